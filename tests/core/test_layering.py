"""TEN-4: `core` (scoping, keys, encrypted fields, row writers) sits below every app.

It imports nothing of Markbook but itself: admission (which school a request may
enter, and as what) lives in markbook.admission above it, so no import cycle runs
through the mechanism every app relies on. Imports inside functions count too.
"""

import ast
from pathlib import Path

import markbook

SRC = Path(markbook.__file__).resolve().parent
CORE = SRC / "core"


def imported_modules(source: str, module: str) -> set[str]:
    """Every module an import statement of `source` names, at any depth (relative
    imports resolved against `module`, the dotted name of the file)."""
    names: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            # `from markbook import schools` imports markbook.schools.
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def outside_core(names: set[str]) -> set[str]:
    return {
        name
        for name in names
        if (name == "markbook" or name.startswith("markbook."))
        and not (name == "markbook.core" or name.startswith("markbook.core."))
        and name != "markbook"
    }


def test_import_finder_sees_function_level_and_relative_imports():
    source = (
        "from markbook.core import rls\n"
        "def f():\n"
        "    from markbook.schools.models import School\n"
        "    import markbook.accounts.models\n"
        "    from ..admission import Access\n"
        "from markbook import rosters\n"
    )
    found = outside_core(imported_modules(source, "markbook.core.tenancy"))
    assert {
        "markbook.schools.models",
        "markbook.accounts.models",
        "markbook.admission",
        "markbook.rosters",
    } <= found
    assert not any(name.startswith("markbook.core") for name in found)


def test_core_imports_no_app():
    offenders = {}
    for path in sorted(CORE.rglob("*.py")):
        module = ".".join(("markbook", *path.relative_to(SRC).with_suffix("").parts))
        found = outside_core(imported_modules(path.read_text(), module))
        if found:
            offenders[path.relative_to(SRC).as_posix()] = sorted(found)
    assert offenders == {}, f"core must not import the apps or admission: {offenders}"


def private_names_imported(source: str) -> list[str]:
    """`from markbook.x import _y`: a private helper of another module."""
    return [
        f"{node.module}.{alias.name}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("markbook")
        for alias in node.names
        if alias.name.startswith("_")
    ]


def test_private_import_finder_sees_them_inside_functions():
    source = "def f():\n    from markbook.rosters.views import _htmx, ok\n"
    assert private_names_imported(source) == ["markbook.rosters.views._htmx"]


def test_no_module_imports_another_modules_private_helpers():
    """Helpers shared between modules have a public home (markbook.web, markbook.admission)."""
    offenders = {
        path.relative_to(SRC).as_posix(): found
        for path in sorted(SRC.rglob("*.py"))
        if (found := private_names_imported(path.read_text()))
    }
    assert offenders == {}
