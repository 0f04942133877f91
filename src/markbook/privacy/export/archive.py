"""The export archive (DSR-2): one zip of JSON and CSV per model, a manifest and a
readable summary page, all from the collected tables and the data inventory.

Deterministic: rows are sorted by id, keys and files by name, and every zip entry has
the same fixed timestamp and permissions, so the same data gives the same bytes (a
retried export is identical to the first, DSR-9).
"""

import io
import json
import zipfile
from typing import Any

from django.apps import apps
from django.template.loader import render_to_string

from markbook.core.spreadsheet import csv_for_people
from markbook.core.text import without_requirement_ids
from markbook.privacy.export.collect import REDACTED, WITHHELD, Table
from markbook.privacy.inventory import REGISTRY

FORMAT = "markbook-subject-access/1"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the zip format's epoch: no build time in the bytes


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _csv_cell(value: Any) -> object:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _file_stem(label: str) -> str:
    return label.replace(".", "-").lower()


def _model_name(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except LookupError:
        return label


def summary_rows(tables: list[Table]) -> list[dict[str, Any]]:
    """What is held, per model with rows about the person: each personal field with its
    purpose, lawful basis, who sees it, how long it is kept, from the inventory."""
    plain = without_requirement_ids
    out = []
    for table in tables:
        if not table.rows:
            continue
        decl = REGISTRY[table.label]
        model = apps.get_model(table.label)
        fields = []
        for name, p in sorted(decl.personal.items()):
            try:
                field_name = str(model._meta.get_field(name).verbose_name)
            except Exception:
                field_name = name.replace("_", " ")
            fields.append(
                {
                    "name": field_name,
                    "category": str(p.category),
                    "purpose": plain(p.purpose),
                    "basis": plain(str(p.basis)),
                    "visible_to": plain(p.visible_to),
                    "retention": plain(str(p.retention)),
                }
            )
        out.append(
            {
                "label": table.label,
                "name": _model_name(table.label),
                "description": plain(decl.description),
                "count": len(table.rows),
                "file": _file_stem(table.label),
                "fields": fields,
            }
        )
    return out


def manifest(tables: list[Table], about: dict[str, Any]) -> dict[str, Any]:
    """What the archive holds: the request, and each declared model with its row count
    (models holding nothing about the person have 0)."""
    counts = {t.label: len(t.rows) for t in tables}
    return {
        "format": FORMAT,
        **about,
        "redacted_marker": REDACTED,
        "withheld_marker": WITHHELD,
        "models": [
            {
                "model": label,
                "name": _model_name(label),
                "rows": counts.get(label, 0),
                "json": f"json/{_file_stem(label)}.json" if label in counts else None,
                "csv": f"csv/{_file_stem(label)}.csv" if label in counts else None,
                "personal_fields": sorted(REGISTRY[label].personal),
            }
            for label in sorted(REGISTRY)
        ],
    }


def build(tables: list[Table], about: dict[str, Any]) -> bytes:
    """The zip's bytes. `about` describes the request (school, subject, when asked)
    and must hold only fixed values, never the time of the build."""
    files: dict[str, bytes] = {"manifest.json": _json(manifest(tables, about))}
    for table in tables:
        stem = _file_stem(table.label)
        files[f"json/{stem}.json"] = _json(
            {
                "model": table.label,
                "name": _model_name(table.label),
                "description": without_requirement_ids(REGISTRY[table.label].description),
                "rows": table.rows,
            }
        )
        files[f"csv/{stem}.csv"] = csv_for_people(
            table.columns,
            ([_csv_cell(row.get(c)) for c in table.columns] for row in table.rows),
            lineterminator="\n",
        ).encode()
    files["summary.html"] = render_to_string(
        "privacy/export_summary.html",
        {
            "about": about,
            "models": summary_rows(tables),
            "redacted": REDACTED,
            "withheld": WITHHELD,
        },
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            archive.writestr(info, files[name])
    return out.getvalue()
