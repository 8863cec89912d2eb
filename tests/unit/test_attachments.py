"""The one reading of uploaded files (control/core/attachments.py) both cloud requests and migration plans use:
types, limits, empty files, names."""
from __future__ import annotations

import hashlib
import io

import pytest

from control.core import attachments
from control.core.errors import PayloadTooLarge, ValidationFailed


def read(content: bytes, content_type: str = attachments.PDF, name: str | None = "方案.pdf", limit: int = 10):
    return attachments.read(io.BytesIO(content), name, content_type, limit, allowed=(attachments.PDF, attachments.PNG),
                            what="技术方案", default_name="document")


def test_an_accepted_file_carries_its_digest_and_size():
    upload = read(b"%PDF-1.7")
    assert upload.columns() == {"filename": "方案.pdf", "content_type": attachments.PDF, "size": 8,
                                "sha256": hashlib.sha256(b"%PDF-1.7").hexdigest(), "content": b"%PDF-1.7"}


@pytest.mark.parametrize(("sent", "kept"), [
    ("C:\\fakepath\\技术方案 v2.pdf", "技术方案 v2.pdf"), ("../../etc/passwd", "passwd"), ("a\nb\x00.pdf", "a b.pdf"),
    ("", "document"), (None, "document"), ("x" * 300, "x" * 200)])
def test_names_are_the_last_part_on_one_line(sent, kept):
    assert read(b"%PDF", name=sent).filename == kept


def test_wrong_type_empty_and_too_large_are_refused_naming_the_file():
    with pytest.raises(ValidationFailed) as exc:
        read(b"x", "text/html")
    assert exc.value.code == "attachment_type"
    assert exc.value.detail.startswith("技术方案只接受 PDF、PNG（收到 text/html")
    with pytest.raises(ValidationFailed) as exc:
        read(b"")
    assert exc.value.code == "attachment_empty" and "技术方案" in exc.value.detail
    with pytest.raises(PayloadTooLarge) as exc:
        read(b"x" * 11)
    assert exc.value.status == 413 and "技术方案" in exc.value.detail


def test_download_offers_the_file_under_its_chinese_name():
    response = attachments.download("技术方案.pdf", attachments.PDF, b"%PDF")
    assert response.body == b"%PDF" and response.media_type == attachments.PDF
    assert response.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''%E6%8A%80%E6%9C%AF%E6%96%B9%E6%A1%88.pdf")
