import pytest


@pytest.fixture(autouse=True)
def head_file(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Each test's own chain-head file (SEC-1), never one left by another run."""
    settings.MARKBOOK_AUDIT_HEAD_FILE = str(tmp_path / "audit-heads.log")
    return tmp_path / "audit-heads.log"
