"""Every date in every Markbook form is shown in the format the browser's date input
reads (ISO 8601): a form saved unchanged keeps its dates (ROS-1)."""

import importlib
import pkgutil
from datetime import date, datetime

from django import forms
from django.utils import translation

import markbook
from markbook.rosters.forms import PupilForm


def _markbook_forms() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(markbook.__path__, "markbook."):
        if ".migrations" not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: list[type[forms.BaseForm]] = []
    todo: list[type] = [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("markbook."):
            found.append(cls)
    return found


def test_every_date_field_of_every_form_renders_iso_dates():
    """In en-GB Django writes 11/05/2014, which <input type="date"> cannot show: the
    pupil's date of birth looked empty and saving the form blanked it."""
    found = _markbook_forms()
    assert PupilForm in found
    dates = []
    with translation.override("en-gb"):
        for cls in found:
            for name, field in cls.base_fields.items():
                if isinstance(field, forms.DateTimeField):
                    value: date = datetime(2014, 5, 11, 9, 30)
                    wanted = "2014-05-11T09:30"
                elif isinstance(field, forms.DateField):
                    value, wanted = date(2014, 5, 11), "2014-05-11"
                else:
                    continue
                dates.append(f"{cls.__name__}.{name}")
                html = field.widget.render(name, value)
                assert f'value="{wanted}' in html, f"{cls.__name__}.{name}: {html}"
                assert field.clean(wanted) is not None  # and what the browser sends back parses
    assert {"PupilForm.date_of_birth", "PupilForm.left_on"} <= set(dates)
