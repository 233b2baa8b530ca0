"""Evidence for the bad-rating loop: photos and PDFs, checked by their bytes (not by what
the client says they are), kept in the database with their size and sha256, and served only
to those who may see the item they belong to (before that, to their uploader alone)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from models.stores import evidence as store
from models.stores import work_items as items
from services.identity import STAFF_ROLES, Principal
from services.work_items import item_scope

# Under the request body limit (server.body_limit), with room for the request itself.
MAX_BYTES = 3 * 1024 * 1024
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)

EVIDENCE_REFUSALS = {
    "NOT_STAFF": "只有工作人员可以上传佐证材料",
    "EMPTY": "文件是空的",
    "TOO_LARGE": f"文件不能超过 {MAX_BYTES // (1024 * 1024)} MB",
    "UNSUPPORTED_TYPE": "只接受 JPEG、PNG 图片或 PDF 文件",
}


@dataclass(frozen=True)
class Stored:
    id: int
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class EvidenceRefusal:
    code: str
    message: str


@dataclass(frozen=True)
class EvidenceFile:
    file_name: str
    content_type: str
    sha256: str
    data: bytes


def sniffed_type(data: bytes) -> str | None:
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


def _refusal(viewer: Principal, data: bytes) -> str | None:
    if viewer.role not in STAFF_ROLES:
        return "NOT_STAFF"
    if not data:
        return "EMPTY"
    return "TOO_LARGE" if len(data) > MAX_BYTES else None


async def upload(
    *, viewer: Principal, file_name: str, data: bytes, now: datetime
) -> Stored | EvidenceRefusal:
    kind = sniffed_type(data)
    code = _refusal(viewer, data)
    if code is not None or kind is None:
        code = code or "UNSUPPORTED_TYPE"
        return EvidenceRefusal(code, EVIDENCE_REFUSALS[code])
    digest = hashlib.sha256(data).hexdigest()
    name = "".join(ch for ch in file_name if ch.isprintable() and ch not in '/\\"')[:120]
    evidence_id = await store.store(viewer.subject, name, kind, data, digest, now.astimezone(UTC))
    return Stored(evidence_id, kind, len(data), digest)


async def open_evidence(*, viewer: Principal, evidence_id: int) -> EvidenceFile | None:
    """The file, or None when it does not exist or the viewer may not see it (not told
    apart)."""
    row = await store.one(evidence_id)
    if row is None:
        return None
    item_id = row["work_item_id"]
    if item_id is None:
        visible = row["uploaded_by"] == viewer.subject[:100]
    else:
        visible = await items.visible(int(item_id), item_scope(viewer))
    if not visible:
        return None
    data = bytes(row["data"])
    return EvidenceFile(row["file_name"], row["content_type"], row["sha256"], data)
