"""Per-school data keys with envelope encryption (SEC-2, RET-5).

Each school has a random 256-bit data key, stored only wrapped by the master key
(AES-GCM, the school id as associated data so a wrapped key cannot be moved to
another school). Field values are encrypted with AES-GCM under the school's key,
with the model field as associated data so ciphertexts cannot be swapped between
columns.
"""

import base64
import hashlib
import hmac
import os
from collections.abc import Callable, Iterable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from markbook.core.models import PlatformKey, SchoolKey
from markbook.core.tenancy import all_schools, school_scope

_PREFIX = "v1:"
_cache: dict[int, AESGCM] = {}


class KeyDestroyed(Exception):
    """The school's data key has been destroyed; its encrypted data is gone."""


def _master(master_key: str | None = None) -> AESGCM:
    return AESGCM(base64.urlsafe_b64decode(master_key or settings.MARKBOOK_MASTER_KEY))


def _wrap(raw: bytes, associated: str, master_key: str | None = None) -> bytes:
    nonce = os.urandom(12)
    return nonce + _master(master_key).encrypt(nonce, raw, associated.encode())


def _unwrap(wrapped: bytes, associated: str, master_key: str | None = None) -> bytes:
    return _master(master_key).decrypt(wrapped[:12], wrapped[12:], associated.encode())


def unwrap_school_key(school_id: int, wrapped: bytes) -> bytes:
    """The raw data key of a school from its wrapped form (the backup's key store, SEC-5)."""
    return _unwrap(wrapped, f"school:{school_id}")


def platform_key_unwrap(wrapped: bytes) -> bytes:
    """The raw platform backup key from its wrapped form (SEC-5)."""
    return _unwrap(wrapped, "platform")


def platform_key_wrapped() -> bytes:
    """The wrapped platform backup key, created on first use (SEC-5)."""
    row = PlatformKey.objects.order_by("pk").first()
    if row is None:
        row = PlatformKey.objects.create(wrapped_key=_wrap(AESGCM.generate_key(256), "platform"))
    return bytes(row.wrapped_key)


def key_store(ensure_for: Iterable[int] = ()) -> tuple[bytes, dict[int, bytes]]:
    """The wrapped platform key and every school's wrapped key (b"" when destroyed),
    first creating the key of each school of `ensure_for` that has none yet."""
    platform = platform_key_wrapped()
    with all_schools():
        schools = {k.school_id: bytes(k.wrapped_key) for k in SchoolKey.objects.all()}
    for school_id in ensure_for:
        if school_id not in schools:
            with school_scope(school_id):
                schools[school_id] = bytes(school_key_create(school_id=school_id).wrapped_key)
    return platform, schools


def master_rotate(*, new_master_key: str) -> int:
    """Re-wrap every school key and the platform key under a new master key (SEC-5, RET-5).

    The data keys themselves do not change, so encrypted fields and backups stay
    readable; what was wrapped under the old master key (an old copy of the key store)
    is unreadable once the old master key is gone. Returns how many keys were re-wrapped.
    """
    _master(new_master_key)  # refuse a malformed key before anything changes
    count = 0
    with transaction.atomic(), all_schools():
        platform_key_wrapped()
        for row in PlatformKey.objects.select_for_update():
            raw = _unwrap(bytes(row.wrapped_key), "platform")
            row.wrapped_key = _wrap(raw, "platform", new_master_key)
            row.save(update_fields=["wrapped_key"])
            count += 1
        for key in SchoolKey.objects.select_for_update().exclude(wrapped_key=b""):
            context = f"school:{key.school_id}"
            raw = _unwrap(bytes(key.wrapped_key), context)
            key.wrapped_key = _wrap(raw, context, new_master_key)
            key.save(update_fields=["wrapped_key"])
            count += 1
    _cache.clear()
    return count


def school_key_create(*, school_id: int) -> SchoolKey:
    """Generate and store a wrapped data key for a new school."""
    wrapped = _wrap(AESGCM.generate_key(256), f"school:{school_id}")
    return SchoolKey.objects.create(school_id=school_id, wrapped_key=wrapped)


def school_key_destroy(*, school_id: int) -> None:
    """Overwrite the wrapped key (RET-5): encrypted data of the school becomes unreadable."""
    with school_scope(school_id):
        SchoolKey.objects.filter(school_id=school_id).update(
            wrapped_key=b"", destroyed_at=timezone.now()
        )
    _cache.pop(school_id, None)


def _data_key(school_id: int) -> AESGCM:
    key = _cache.get(school_id)
    if key is None:
        with school_scope(school_id):
            row = SchoolKey.objects.filter(school_id=school_id).first()
            if row is None:
                row = school_key_create(school_id=school_id)
        wrapped = bytes(row.wrapped_key)
        if not wrapped:
            raise KeyDestroyed(f"the data key of school {school_id} was destroyed")
        raw = _unwrap(wrapped, f"school:{school_id}")
        key = _cache[school_id] = AESGCM(raw)
    return key


def encrypt(school_id: int, plaintext: str, context: str) -> str:
    nonce = os.urandom(12)
    ct = _data_key(school_id).encrypt(nonce, plaintext.encode(), context.encode())
    return _PREFIX + base64.b64encode(nonce + ct).decode()


def encrypter(school_id: int, context: str) -> Callable[[str], str]:
    """`encrypt` for many values of one school and one field: the key looked up once."""
    key, associated = _data_key(school_id), context.encode()
    b64encode = base64.b64encode
    # Random 96-bit nonces as from os.urandom(12), drawn 512 at a time (one system call).
    pool, position = b"", 0

    def encrypt_one(plaintext: str) -> str:
        nonlocal pool, position
        if position >= len(pool):
            pool, position = os.urandom(12 * 512), 0
        nonce = pool[position : position + 12]
        position += 12
        return (
            _PREFIX + b64encode(nonce + key.encrypt(nonce, plaintext.encode(), associated)).decode()
        )

    return encrypt_one


def decrypt(school_id: int, token: str, context: str) -> str:
    if not token.startswith(_PREFIX):
        raise ValueError("not a Markbook ciphertext")
    raw = base64.b64decode(token[len(_PREFIX) :])
    return _data_key(school_id).decrypt(raw[:12], raw[12:], context.encode()).decode()


def decrypter(school_id: int, context: str) -> Callable[[str], str]:
    """`decrypt` for many values of one school and one field: the key looked up once."""
    key, associated = _data_key(school_id), context.encode()
    b64decode = base64.b64decode

    def decrypt_one(token: str) -> str:
        if not token.startswith(_PREFIX):
            raise ValueError("not a Markbook ciphertext")
        raw = b64decode(token[len(_PREFIX) :])
        return key.decrypt(raw[:12], raw[12:], associated).decode()

    return decrypt_one


def forget_cached_keys() -> None:
    _cache.clear()


# The secrets outside the key store that data in the database is bound to, and what
# goes wrong under another one: the keyed hashes (UPNs, the erased people kept out of
# imports, invitation codes) are made with MARKBOOK_HASH_KEY, and the access log's
# chain with MARKBOOK_AUDIT_KEY (or a key derived from MARKBOOK_HASH_KEY when unset).
BOUND_SECRETS = {
    "MARKBOOK_HASH_KEY": (
        "erased people would no longer be recognised and kept out of imports, imports "
        "would not find pupils by their UPN, and the access log would not verify"
    ),
    "MARKBOOK_AUDIT_KEY": "the access log would not verify",
}


def secret_fingerprints() -> dict[str, str]:
    """A short fingerprint of each bound secret ("" for one unset), so that a backup can
    say whether it is restored under the same ones. An HMAC keyed by the secret over a
    fixed text: it reveals nothing of the secret."""
    out = {}
    for name in BOUND_SECRETS:
        value = getattr(settings, name, "") or ""
        label = f"markbook secret fingerprint {name}".encode()
        out[name] = (
            hmac.new(value.encode(), label, hashlib.sha256).hexdigest()[:16] if value else ""
        )
    return out
