"""Per-school data keys with envelope encryption (SEC-2, RET-5).

Each school has a random 256-bit data key, stored only wrapped by the master key
(AES-GCM, the school id as associated data so a wrapped key cannot be moved to
another school). Field values are encrypted with AES-GCM under the school's key,
with the model field as associated data so ciphertexts cannot be swapped between
columns.
"""

import base64
import os
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils import timezone

from markbook.core.models import SchoolKey
from markbook.core.tenancy import school_scope

_PREFIX = "v1:"
_cache: dict[int, AESGCM] = {}


class KeyDestroyed(Exception):
    """The school's data key has been destroyed; its encrypted data is gone."""


def _master() -> AESGCM:
    return AESGCM(base64.urlsafe_b64decode(settings.MARKBOOK_MASTER_KEY))


def school_key_create(*, school_id: int) -> SchoolKey:
    """Generate and store a wrapped data key for a new school."""
    nonce = os.urandom(12)
    wrapped = nonce + _master().encrypt(
        nonce, AESGCM.generate_key(256), f"school:{school_id}".encode()
    )
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
        raw = _master().decrypt(wrapped[:12], wrapped[12:], f"school:{school_id}".encode())
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
