"""/evidence: staff upload a photo or PDF for a step of the bad-rating loop (POST, the file
as the body, its name in X-File-Name, URL-encoded) and get its id to cite in fileAppeal or
submitRectification; GET /evidence/{id} serves it to those who may see its item."""

from __future__ import annotations

from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.endpoints.bearer import bearer_principal
from server.state import app_state
from services.evidence import EvidenceRefusal, open_evidence, upload
from services.identity import STAFF_ROLES, Principal
from services.paging import parse_id


def _staff(request: Request) -> Principal | None:
    principal = bearer_principal(request)
    return principal if principal is not None and principal.role in STAFF_ROLES else None


async def upload_evidence(request: Request) -> JSONResponse:
    viewer = _staff(request)
    if viewer is None:
        return JSONResponse({"code": "UNAUTHENTICATED"}, status_code=401)
    name = unquote(request.headers.get("x-file-name", "evidence"))
    state = app_state(request)
    result = await upload(
        viewer=viewer, file_name=name, data=await request.body(), now=state.collaborators.clock()
    )
    if isinstance(result, EvidenceRefusal):
        return JSONResponse({"code": result.code, "message": result.message}, status_code=400)
    return JSONResponse(
        {
            "id": str(result.id),
            "contentType": result.content_type,
            "size": result.size,
            "sha256": result.sha256,
        },
        status_code=201,
    )


async def evidence_file(request: Request) -> Response:
    viewer = _staff(request)
    if viewer is None:
        return JSONResponse({"code": "UNAUTHENTICATED"}, status_code=401)
    evidence_id = parse_id(request.path_params["evidence_id"])
    found = None
    if evidence_id is not None:
        found = await open_evidence(viewer=viewer, evidence_id=evidence_id)
    if found is None:
        return JSONResponse({"code": "NOT_FOUND"}, status_code=404)
    return Response(
        found.data,
        media_type=found.content_type,
        headers={
            "ETag": f'"{found.sha256}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
        },
    )
