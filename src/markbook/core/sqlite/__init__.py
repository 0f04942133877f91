"""Markbook's SQLite backend: Django's, with a feature probe that survives a busy database."""
