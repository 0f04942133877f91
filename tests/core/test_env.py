"""Settings read from the environment fail loudly on a bad value (markbook.env): a
mistyped boolean such as MARKBOOK_DEBUG=maybe stops Markbook from starting instead of
being read as off, and MARKBOOK_DEBUG=true means on."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from markbook.env import env_bool, env_int, env_str


@pytest.mark.parametrize("word", ["1", "true", "TRUE", "True", "yes", "Yes", "on", "ON", " on "])
def test_true_words_are_true(word):
    assert env_bool("X_FLAG", environ={"X_FLAG": word}) is True


@pytest.mark.parametrize("word", ["0", "false", "FALSE", "no", "No", "off", "Off"])
def test_false_words_are_false_whatever_the_default(word):
    assert env_bool("X_FLAG", True, environ={"X_FLAG": word}) is False


@pytest.mark.parametrize("default", [True, False])
def test_an_unset_or_empty_boolean_takes_the_default(default):
    assert env_bool("X_FLAG", default, environ={}) is default
    assert env_bool("X_FLAG", default, environ={"X_FLAG": ""}) is default


@pytest.mark.parametrize("word", ["maybe", "2", "tru", "enabled", "y"])
def test_any_other_boolean_is_refused_naming_variable_and_value(word):
    with pytest.raises(ImproperlyConfigured) as refused:
        env_bool("X_FLAG", environ={"X_FLAG": word})
    assert "X_FLAG" in str(refused.value) and repr(word) in str(refused.value)


def test_integers_are_read_and_bad_ones_refused():
    assert env_int("X_COUNT", 5, environ={"X_COUNT": " 42 "}) == 42
    assert env_int("X_COUNT", 5, environ={}) == 5
    assert env_int("X_COUNT", 5, environ={"X_COUNT": ""}) == 5
    for bad in ("12abc", "1.5", "ten"):
        with pytest.raises(ImproperlyConfigured, match=f"X_COUNT={bad!r}"):
            env_int("X_COUNT", 5, environ={"X_COUNT": bad})
    with pytest.raises(ImproperlyConfigured, match="X_COUNT='0' is too small"):
        env_int("X_COUNT", 5, minimum=1, environ={"X_COUNT": "0"})


def test_text_takes_the_default_only_when_unset_or_empty():
    assert env_str("X_NAME", "d", environ={"X_NAME": "value"}) == "value"
    assert env_str("X_NAME", "d", environ={"X_NAME": ""}) == "d"
    assert env_str("X_NAME", "d", environ={}) == "d"


def _start_with(**variables: str) -> subprocess.CompletedProcess[str]:
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "markbook.settings", **variables}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


def test_settings_read_debug_true_as_on_and_refuse_a_bad_value():
    on = _start_with(MARKBOOK_DEBUG="true")
    assert on.returncode == 0, on.stderr
    assert on.stdout.strip() == "True"
    refused = _start_with(MARKBOOK_DEBUG="maybe")
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr
    assert "MARKBOOK_DEBUG='maybe'" in refused.stderr
