"""GET /console/export/{kind}.{csv|xlsx}?from=YYYY-MM-DD&to=YYYY-MM-DD[&region=CODE]: the
console's download of `hcp export`, with the console's bearer token; `statistics` also takes
`granularity` (DAY … YEAR, MONTH when none) and `groupBy` (`department,window`). An area
admin gets their region (or a region below it), a department's handler their department;
other roles 403, no or a bad token 401. The file is streamed as its rows are read."""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from rules import Engine
from server.endpoints.bearer import bearer_principal
from server.state import app_state
from services.export_files import FORMATS, MEDIA_TYPES, Table, written
from services.exports import (
    KINDS,
    ExportRefusal,
    Period,
    export_table,
    file_name,
    period,
    reach,
)
from services.identity import Principal
from services.stat_export import statistics_export

_FORBIDDEN = frozenset({"FORBIDDEN", "REGION_OUT_OF_SCOPE"})


def _refusal(refusal: ExportRefusal) -> JSONResponse:
    status = 403 if refusal.code in _FORBIDDEN else 400
    return JSONResponse({"code": refusal.code, "message": refusal.message}, status_code=status)


async def export_file(request: Request) -> Response:
    viewer = bearer_principal(request)
    if viewer is None:
        return JSONResponse({"code": "UNAUTHENTICATED"}, status_code=401)
    kind, fmt = request.path_params["kind"], request.path_params["fmt"]
    if kind not in KINDS or fmt not in FORMATS:
        return JSONResponse({"code": "NOT_FOUND"}, status_code=404)
    query = request.query_params
    engine = app_state(request).collaborators.engine
    made = await _table(viewer, kind, query, engine)
    if isinstance(made, ExportRefusal):
        return _refusal(made)
    table, chosen = made
    return StreamingResponse(
        written(table, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{file_name(kind, chosen, fmt)}"',
            "Cache-Control": "private, no-store",
        },
    )


async def _table(
    viewer: Principal, kind: str, query: QueryParams, engine: Engine
) -> tuple[Table, Period] | ExportRefusal:
    """The export's table and period, or why not: the role and the region first, then what
    else was sent."""
    region = query.get("region") or None
    scopes = await reach(viewer, region)
    if isinstance(scopes, ExportRefusal):
        return scopes
    chosen = period(query.get("from", ""), query.get("to", ""))
    if isinstance(chosen, ExportRefusal):
        return chosen
    if kind != "statistics":
        return export_table(kind, scopes=scopes, chosen=chosen, engine=engine), chosen
    figures = await statistics_export(
        viewer,
        engine=engine,
        chosen=chosen,
        region=region,
        granularity=query.get("granularity"),
        group_by=query.get("groupBy"),
    )
    return figures if isinstance(figures, ExportRefusal) else (figures, chosen)
