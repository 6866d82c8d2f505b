"""Files on resources: typed by their content (puremagic) against an allow-list, capped in
size and number, stored under generated keys, and downloaded through short-lived signed
tokens that name one file and one reader, whose access is checked again at download time."""

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import puremagic
from sqlalchemy import func
from sqlmodel import Session, select

from cop_app.models import Attachment, Resource, User
from cop_app.models.base import utcnow
from cop_app.services import settings, validation
from cop_app.services.errors import DomainError, Invalid, NotFound
from cop_app.services.library import storage
from cop_app.services.library.access import access_resource, require_editor
from cop_app.services.library.writes import record_change

# Detected type -> the extension a downloaded copy gets. Documents and images only: nothing
# a browser would run, and SVG (an image that can carry script) is left out on purpose.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
}
_UNSAFE = re.compile(r"[^\w .()+-]+")
_MISSING_FILE = "This file does not exist, or you may not see it."


def detect_type(data: bytes, filename: str = "") -> str:
    """The allowed content type of these bytes, or Invalid. Several readings of one header
    (a .docx and a .xlsx share theirs) are told apart by the name's extension."""
    try:
        matches = puremagic.magic_string(data)
    except (puremagic.PureError, ValueError):
        matches = []
    allowed = [m for m in matches if m.mime_type in ALLOWED_TYPES]
    if not allowed:
        kinds = "PDF, PNG, JPEG, GIF, WebP, Word, Excel, PowerPoint and OpenDocument files"
        raise Invalid(f"This file's content is not an allowed type ({kinds}).", "file")
    ext = os.path.splitext(filename)[1].lower()
    named = [m for m in allowed if ALLOWED_TYPES[m.mime_type] == ext]
    return (named or allowed)[0].mime_type


def safe_filename(raw: object, content_type: str) -> str:
    """A display name that cannot name a path: the last segment of what the browser sent,
    only word characters, spaces and a few marks, cut to size, with the detected extension."""
    name = raw if isinstance(raw, str) else ""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    stem = os.path.splitext(name)[0]
    stem = validation.strip_invisible(_UNSAFE.sub("_", stem)).strip(" ._")
    ext = ALLOWED_TYPES[content_type]
    stem = stem[: settings.ATTACHMENT_NAME_MAX - len(ext)] or "file"
    return stem + ext


def do_attach(
    session: Session,
    resource: Resource,
    user: User,
    filename: str,
    content_type: str,
    data: bytes,
    *,
    now: datetime | None = None,
) -> Attachment:
    """Store the bytes and record the file; the stored copy is removed if the row is not."""
    key = storage.store().put(data)
    row = Attachment(
        resource_id=resource.id,
        uploader_id=user.id,
        key=key,
        filename=filename,
        content_type=content_type,
        size=len(data),
        created_at=now or utcnow(),
    )
    session.add(row)
    session.info.setdefault("cop_stored_keys", []).append(key)
    record_change(
        session,
        "resource.attached",
        user,
        resource,
        f"{user.display_name} attached {filename} to “{resource.title}”",
        now,
    )
    session.flush()
    return row


def check_attach(
    session: Session, actor: User | None, resource_id: object, filename: object, data: object
) -> Attachment:
    """Add a file to a resource the actor may edit, within the size, count and type limits."""
    access = access_resource(session, actor, resource_id)
    require_editor(access)
    if not isinstance(data, bytes | bytearray) or not data:
        raise Invalid("The file is empty.", "file")
    limit = settings.ATTACHMENT_MAX_BYTES
    if len(data) > limit:
        raise Invalid(f"A file may be at most {limit // (1024 * 1024)} MB.", "file")
    count = session.exec(
        select(func.count()).where(Attachment.resource_id == access.resource.id)
    ).one()
    if count >= settings.ATTACHMENTS_PER_RESOURCE:
        raise Invalid(
            f"A resource holds at most {settings.ATTACHMENTS_PER_RESOURCE} files.", "file"
        )
    name = filename if isinstance(filename, str) else ""
    content_type = detect_type(bytes(data), name)
    try:
        row = do_attach(
            session,
            access.resource,
            access.user,
            safe_filename(name, content_type),
            content_type,
            bytes(data),
        )
        session.commit()
    except Exception:
        session.rollback()
        for key in session.info.pop("cop_stored_keys", []):
            storage.store().delete(key)
        raise
    session.info.pop("cop_stored_keys", None)
    session.refresh(row)
    return row


# ---------------------------------------------------------------- downloads


def _secret() -> bytes:
    """COP_SECRET_KEY when set (several hosts share it), else a key kept in the data folder."""
    env = os.environ.get("COP_SECRET_KEY", "")
    if env:
        return env.encode()
    path = storage.data_dir() / "download.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    return path.read_bytes()


def _sign(payload: str) -> str:
    digest = hmac.new(_secret(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def mint_download(session: Session, actor: User | None, attachment_id: object) -> str:
    """A token letting this reader fetch this file for a few minutes."""
    aid = validation.integer(attachment_id, "attachment_id", "File")
    row = session.get(Attachment, aid)
    if row is None:
        raise NotFound(_MISSING_FILE)
    try:
        access = access_resource(session, actor, row.resource_id)
    except NotFound:
        raise NotFound(_MISSING_FILE) from None
    expires = int(time.time() + settings.DOWNLOAD_TOKEN_LIFETIME.total_seconds())
    payload = f"{aid}.{access.user.id}.{expires}"
    return f"{payload}.{_sign(payload)}"


@dataclass(frozen=True)
class Download:
    """What the download route sends."""

    filename: str
    content_type: str
    data: bytes


def open_download(session: Session, token: object) -> Download:
    """The file a token names, if the token is genuine and fresh and its reader may still
    see the resource; anything else is NotFound (an outsider learns nothing)."""
    parts = token.split(".") if isinstance(token, str) and len(token) < 200 else []
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        raise NotFound(_MISSING_FILE)
    payload = ".".join(parts[:3])
    if not hmac.compare_digest(_sign(payload), parts[3]) or int(parts[2]) < time.time():
        raise NotFound(_MISSING_FILE)
    row = session.get(Attachment, int(parts[0]))
    reader = session.get(User, int(parts[1]))
    if row is None:
        raise NotFound(_MISSING_FILE)
    try:
        access_resource(session, reader, row.resource_id)
        data = storage.store().open(row.key)
    except (DomainError, KeyError):  # no access any more (or suspended), or no bytes
        raise NotFound(_MISSING_FILE) from None
    return Download(row.filename, row.content_type, data)
