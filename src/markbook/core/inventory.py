"""The core app declares nothing in the data inventory (DSR-1).

Its only model, SchoolKey, is a school's wrapped data key: it protects personal
data (SEC-2, RET-5) but is not about any person. tests/privacy/test_inventory.py
would fail if a personal field or a link to a person were added here undeclared.
"""
