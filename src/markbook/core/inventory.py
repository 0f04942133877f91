"""The core app declares nothing in the data inventory (DSR-1).

Its models, SchoolKey (a school's wrapped data key) and PlatformKey (the wrapped key
of the platform's rows in backups), protect personal data (SEC-2, SEC-5, RET-5) but
are not about any person. tests/privacy/test_inventory.py
would fail if a personal field or a link to a person were added here undeclared.
"""
