"""The suppression list (DSR-4): who was erased at the school's request, as keyed
hashes, so that no import or registration makes an account or pupil for them again.

Importers call `suppressed(...)` for each person they would create and skip those it
names, reporting "not re-created: erased at the school's request", unless the school
asked to bring them back (`restore_erased`)."""

import hashlib
import hmac
from collections.abc import Iterable

from django.conf import settings

from markbook.privacy.models import Suppression

NOT_RECREATED = "Not re-created: erased at the school's request."


def digest_of(kind: str, value: str) -> str:
    """The keyed hash of `value` (an email address, UPN, MIS or OneRoster id); a UPN's is
    the same HMAC as Pupil.upn_hash (rosters.services.upn_digest)."""
    key = settings.MARKBOOK_HASH_KEY.encode()
    if kind == Suppression.Kind.UPN:
        return hmac.digest(key, value.strip().upper().encode(), "sha256").hex()
    if kind in (Suppression.Kind.EMAIL, Suppression.Kind.USERNAME):
        text = value.strip().lower()
    elif kind == Suppression.Kind.NAME:
        text = " ".join(value.casefold().split())
    else:
        text = value.strip()
    return hmac.new(key, f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()


def suppression_add(*, school_id: int, kind: str, value: str = "", digest: str = "") -> None:
    """Put a value (or its digest) on the school's list; adding it twice changes nothing."""
    digest = digest or (digest_of(kind, value) if value.strip() else "")
    if digest:
        Suppression.objects.get_or_create(school_id=school_id, kind=kind, digest=digest)


def suppressed_digests(kind: str, digests: Iterable[str]) -> set[str]:
    """Which of these digests are on the list of the school in scope; one query."""
    wanted = {d for d in digests if d}
    if not wanted:
        return set()
    return set(
        Suppression.objects.filter(kind=kind, digest__in=wanted).values_list("digest", flat=True)
    )


def suppressed(
    *, email: str = "", upn: str = "", upn_hash: str = "", mis_id: str = "", oneroster_id: str = ""
) -> bool:
    """Whether a person with any of these identifiers was erased at the school's request
    (the school in scope); one query."""
    wanted: list[tuple[str, str]] = []
    if email.strip():
        wanted.append((Suppression.Kind.EMAIL, digest_of(Suppression.Kind.EMAIL, email)))
    if upn_hash or upn.strip():
        wanted.append((Suppression.Kind.UPN, upn_hash or digest_of(Suppression.Kind.UPN, upn)))
    if mis_id.strip():
        wanted.append((Suppression.Kind.MIS_ID, digest_of(Suppression.Kind.MIS_ID, mis_id)))
    if oneroster_id.strip():
        wanted.append(
            (Suppression.Kind.ONEROSTER_ID, digest_of(Suppression.Kind.ONEROSTER_ID, oneroster_id))
        )
    if not wanted:
        return False
    from django.db.models import Q

    query = Q()
    for kind, digest in wanted:
        query |= Q(kind=kind, digest=digest)
    return Suppression.objects.filter(query).exists()


class Suppressed:
    """The list of the school in scope, read once, for an import's many rows."""

    def __init__(self) -> None:
        self._by_kind: dict[str, set[str]] = {k: set() for k in Suppression.Kind.values}
        for kind, digest in Suppression.objects.values_list("kind", "digest"):
            self._by_kind.setdefault(kind, set()).add(digest)

    def __bool__(self) -> bool:
        return any(self._by_kind.values())

    def named(
        self,
        *,
        email: str = "",
        upn: str = "",
        upn_hash: str = "",
        mis_id: str = "",
        oneroster_id: str = "",
        username: str = "",
        name: str = "",
    ) -> bool:
        if not self:
            return False
        checks = (
            (Suppression.Kind.EMAIL, email),
            (Suppression.Kind.MIS_ID, mis_id),
            (Suppression.Kind.ONEROSTER_ID, oneroster_id),
            (Suppression.Kind.USERNAME, username),
            (Suppression.Kind.NAME, name),
        )
        for kind, value in checks:
            if value and value.strip() and digest_of(kind, value) in self._by_kind[kind]:
                return True
        digest = upn_hash or (digest_of(Suppression.Kind.UPN, upn) if upn and upn.strip() else "")
        return bool(digest) and digest in self._by_kind[Suppression.Kind.UPN]
