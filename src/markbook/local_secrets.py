"""Secrets generated on first run into a git-ignored file; environment variables win.

No secret is ever committed (SEC-4). In production set DJANGO_SECRET_KEY and
MARKBOOK_MASTER_KEY; locally they are created once under MARKBOOK_DATA_DIR.
"""

import base64
import json
import os
import secrets
from pathlib import Path


def _generate() -> dict[str, str]:
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        # 256-bit key that wraps every school's data key (SEC-2, RET-5).
        "MARKBOOK_MASTER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        # Key for keyed hashes (suppression list, pseudonymised identifiers).
        "MARKBOOK_HASH_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }


def load(data_dir: Path) -> dict[str, str]:
    """Return the secrets, creating the file with fresh random values the first time."""
    path = data_dir / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    missing = {k: v for k, v in _generate().items() if k not in stored}
    if missing and not all(k in os.environ for k in missing):
        data_dir.mkdir(parents=True, exist_ok=True)
        stored.update(missing)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(stored, f, indent=2)
    return {k: os.environ.get(k, stored.get(k, "")) for k in _generate()}
