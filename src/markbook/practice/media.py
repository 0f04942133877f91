"""Images and audio prompts of teachers' questions (ASM-2).

An upload's type is what its first bytes say it is (magic numbers), never only its
name or the browser's content type: PNG, JPEG, GIF and WebP images, MP3, OGG, WAV and
M4A audio. The size limits are settings (`MARKBOOK_PROMPT_IMAGE_MAX_BYTES`,
`MARKBOOK_PROMPT_AUDIO_MAX_BYTES`). Files are stored per school under MEDIA_ROOT with a
random name and served only by `views_teachers.media_file`, to the school's pupils and
staff (404 for everyone else), with their checked content type, `nosniff` and
`inline`; never from a public URL. `url_for(media)` is that view's address, for the
pupil's page (`<img>`, `<audio controls>`).
"""

import secrets
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.practice.models import PromptMedia
from markbook.schools.models import School


@dataclass(frozen=True)
class MediaType:
    kind: str  # PromptMedia.Kind
    content_type: str
    label: str
    extensions: tuple[str, ...]


PNG = MediaType("image", "image/png", "PNG image", (".png",))
JPEG = MediaType("image", "image/jpeg", "JPEG image", (".jpg", ".jpeg", ".jfif"))
GIF = MediaType("image", "image/gif", "GIF image", (".gif",))
WEBP = MediaType("image", "image/webp", "WebP image", (".webp",))
MP3 = MediaType("audio", "audio/mpeg", "MP3 audio", (".mp3",))
OGG = MediaType("audio", "audio/ogg", "Ogg audio", (".ogg", ".oga", ".opus"))
WAV = MediaType("audio", "audio/wav", "WAV audio", (".wav",))
M4A = MediaType("audio", "audio/mp4", "M4A audio", (".m4a", ".mp4", ".aac"))
TYPES = (PNG, JPEG, GIF, WEBP, MP3, OGG, WAV, M4A)
ACCEPT = ",".join(ext for t in TYPES for ext in t.extensions)
ALLOWED_TEXT = "PNG, JPEG, GIF or WebP images and MP3, OGG, WAV or M4A audio"
_M4A_BRANDS = (b"M4A ", b"M4B ", b"mp41", b"mp42", b"isom", b"iso2", b"dash", b"M4V ")


def sniff(head: bytes) -> MediaType | None:
    """The type the file's first bytes (16 or more) show, or None if not one we take."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MP3
    if head[4:8] == b"ftyp" and head[8:12] in _M4A_BRANDS:
        return M4A
    return None


def limit_for(kind: str) -> int:
    if kind == PromptMedia.Kind.AUDIO:
        return int(settings.MARKBOOK_PROMPT_AUDIO_MAX_BYTES)
    return int(settings.MARKBOOK_PROMPT_IMAGE_MAX_BYTES)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def check_upload(upload: UploadedFile) -> MediaType:
    """The upload's type, or a ValidationError on `file` saying what is wrong."""
    upload.seek(0)
    head = upload.read(32)
    upload.seek(0)
    if not head:
        raise ValidationError({"file": ["The file is empty."]})
    found = sniff(head)
    if found is None:
        raise ValidationError(
            {
                "file": [
                    f"This file is not an image or sound Markbook can use: upload {ALLOWED_TEXT}."
                ]
            }
        )
    extension = PurePath(upload.name or "").suffix.lower()
    if extension and extension not in found.extensions:
        raise ValidationError(
            {
                "file": [
                    f"The file is named {extension} but it is a {found.label}; rename it or upload another."
                ]
            }
        )
    size = upload.size or 0
    if size > limit_for(found.kind):
        raise ValidationError(
            {
                "file": [
                    f"The {found.label} is {_megabytes(size)}; {found.kind}s may be at most "
                    f"{_megabytes(limit_for(found.kind))}."
                ]
            }
        )
    return found


@transaction.atomic
def media_upload(*, actor: User | None, school: School, upload: UploadedFile) -> PromptMedia:
    """Store an image or audio prompt for the school's questions (ASM-2), after checking
    its type by its content and its size."""
    found = check_upload(upload)
    media = PromptMedia(
        school=school,
        token=secrets.token_urlsafe(24),
        kind=found.kind,
        content_type=found.content_type,
        size=upload.size or 0,
        original_name=PurePath(upload.name or "").name[:200],
        uploaded_by=actor,
    )
    media.file.save(media.token, upload, save=False)
    media.save()
    audit.record(
        actor=actor,
        school=school,
        action="practice.media.uploaded",
        target=media,
        data={"kind": media.kind, "content_type": media.content_type, "size": media.size},
    )
    return media


def url_for(media: PromptMedia) -> str:
    """Where the school's pupils and staff fetch this prompt (checked by the view)."""
    return reverse(
        "practice_teachers:media", kwargs={"school_id": media.school_id, "media_id": media.pk}
    )


def extension_of(media: PromptMedia) -> str:
    for t in TYPES:
        if t.content_type == media.content_type:
            return t.extensions[0]
    return ""
