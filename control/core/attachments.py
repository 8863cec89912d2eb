"""Files people upload and the service keeps in the database so replicas share them (a cloud request's
signed form, the versions of a plan's technical plan). One reading of an upload for every domain: the
allowed types, the size limit (read one byte past it, never whole: the route's body limit already stopped
a larger upload while it streamed in), no empty file, a clean file name, the SHA-256 the audit entry
records; and one download response."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import quote

from fastapi import Response

from control.core.bodylimit import too_large
from control.core.errors import ValidationFailed
from control.core.textsafe import clean_text

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PNG = "image/png"
JPEG = "image/jpeg"
# What people call the types, in the order the messages list them.
TYPE_NAMES = {PDF: "PDF", DOCX: "DOCX", PNG: "PNG", JPEG: "JPEG"}
NAME_LENGTH = 200


@dataclass(frozen=True)
class Upload:
    """An accepted file: its clean name, its type, its bytes and their digest."""
    filename: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def columns(self) -> dict[str, Any]:
        """The stored-file columns every attachment table has."""
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size,
                "sha256": self.sha256, "content": self.content}


def clean_name(filename: str | None, default: str) -> str:
    """The last part of what the browser sent (some send a whole Windows path), on one line, at most
    NAME_LENGTH characters; `default` when nothing is left."""
    name = PurePosixPath(clean_text(filename or "", multiline=False).replace("\\", "/")).name.strip()
    return name[:NAME_LENGTH] or default


def read(stream: BinaryIO, filename: str | None, content_type: str, max_bytes: int, *,
         allowed: tuple[str, ...], what: str, default_name: str) -> Upload:
    """The upload if it is one of `allowed` types, not empty and at most `max_bytes`; else 422 / 413 naming
    `what` (附件, 技术方案 …) in the message."""
    if content_type not in allowed:
        names = "、".join(TYPE_NAMES[t] for t in TYPE_NAMES if t in allowed)
        raise ValidationFailed(f"{what}只接受 {names}（收到 {clean_text(content_type)[:100]}）",
                               code="attachment_type")
    content = stream.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise too_large(max_bytes, what)
    if not content:
        raise ValidationFailed(f"{what}文件为空", code="attachment_empty")
    return Upload(clean_name(filename, default_name), content_type, content)


def download(filename: str, content_type: str, content: bytes) -> Response:
    """The stored file as it was uploaded, offered for saving under its name (RFC 5987 for Chinese names)."""
    return Response(content, media_type=content_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})
