"""Markbook: pupil assessment and tracking, private by construction."""
