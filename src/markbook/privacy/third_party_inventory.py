"""Declarations for third-party models (allauth, sessions, tasks) are added by the inventory work."""
