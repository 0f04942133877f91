"""Markbook's settings plus the benchmark's URLs (bench/answers.py, bench/serve.py).

Only the benchmark servers load this module (DJANGO_SETTINGS_MODULE=bench_settings with
bench/ on the path): the bench views are never part of a deployed Markbook.
"""

from markbook.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
MARKBOOK_BENCH = True
