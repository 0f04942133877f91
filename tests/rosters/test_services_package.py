"""ROS-1: the roster services package names every public function of its modules, so
callers keep writing `services.pupil_create(...)` whichever module holds it."""

import importlib
import inspect
import pkgutil

from markbook.rosters import services


def public_names(module: object) -> set[str]:
    """Functions, classes and constants a module defines itself (not imports)."""
    names = set()
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        defined_in = getattr(value, "__module__", None)
        if defined_in == module.__name__ or (
            name.isupper() and not (inspect.ismodule(value) or inspect.isclass(value))
        ):
            names.add(name)
    return names


def test_every_public_name_of_the_modules_is_named_by_the_package():
    # The field-error helpers of services.common are for the services themselves.
    internal = {"invalid", "raise_if", "add_error"}
    missing = {}
    for info in pkgutil.iter_modules(services.__path__):
        module = importlib.import_module(f"{services.__name__}.{info.name}")
        names = public_names(module) - internal - set(services.__all__)
        if names:
            missing[info.name] = sorted(names)
    assert missing == {}


def test_the_names_of_the_former_module_still_import():
    for name in ("pupil_create", "staff_create", "class_create", "guardian_link_create"):
        assert callable(getattr(services, name))
    assert set(services.__all__) <= set(dir(services))
