"""REST: the information-system inventory."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, UploadFile

from control.core.accounts import Level
from control.core.deps import CurrentActor, SessionDep
from control.core.params import Id, Offset, SearchText, file_response
from control.systems import census, service
from control.systems.enums import Network, SystemKind, SystemStatus, UsageFrequency
from control.systems.schemas import ImportResult, StatusChange, SystemCreate, SystemList, SystemPublic, SystemUpdate
from control.systems.service import SystemFilter

router = APIRouter(prefix="/api/v1/systems", tags=["systems"])


MIGRATION_PATTERN = f"^({'|'.join(service.MIGRATION_STATES)})$"


def system_filter(department_id: Id | None = None, network: Network | None = None,
                  status: SystemStatus | None = None, protection_level: int | None = Query(None, ge=1, le=5),
                  usage_frequency: UsageFrequency | None = None, kind: SystemKind | None = None,
                  classified: bool | None = None, q: SearchText | None = None,
                  sort: str = "name", region: SearchText | None = None, level: Level | None = None,
                  migration: str | None = Query(None, pattern=MIGRATION_PATTERN)) -> SystemFilter:
    """`region` / `level`: of the system's own department (`region=-`: no region code recorded);
    `migration`: planned (in a live cloud plan) or its state there (pending, migrating, migrated,
    exception): what the progress board's system figures count."""
    return SystemFilter(department_id=department_id, network=network, status=status,
                        protection_level=protection_level, usage_frequency=usage_frequency, kind=kind,
                        classified=classified, q=q, sort=sort, region=region, level=level.value if level else None,
                        migration=migration)



FilterDep = Annotated[SystemFilter, Depends(system_filter)]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(data: bytes, filename: str) -> Response:
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/template.xlsx", response_class=Response, responses=file_response(XLSX, "普查表模板"))
def census_template(actor: CurrentActor):
    """The census questionnaire (附件2/附件3) as a workbook with drop-downs and instructions."""
    return xlsx(census.template_workbook(), "census-template.xlsx")


@router.get("/export.xlsx", response_class=Response, responses=file_response(XLSX, "按普查表格式导出"))
def census_export(session: SessionDep, actor: CurrentActor, f: FilterDep):
    """Any filtered list in the template's layout (classified systems are left out)."""
    return xlsx(census.export_workbook(session, actor, f), "census-export.xlsx")


@router.post("/import", response_model=ImportResult)
def census_import(request: Request, session: SessionDep, actor: CurrentActor, file: UploadFile):
    """All or nothing: a 422 lists the first bad cells by sheet, row and column. A plain def, so a large
    census is read and written on a worker thread instead of blocking the event loop. The workbook is read
    from the spooled upload, never copied into memory whole; a 413 answers one past the size limits."""
    return census.import_workbook(session, actor, file.file, census.WorkbookLimits.of(request.app.state.settings))


@router.get("", response_model=SystemList)
def list_systems(session: SessionDep, actor: CurrentActor, f: FilterDep,
                 limit: int = Query(50, ge=1, le=500), offset: Offset = 0):
    items, total, exact = service.list_systems(session, actor, f, limit, offset)
    return SystemList(items=items, total=total, total_exact=exact, limit=limit, offset=offset)


@router.post("", response_model=SystemPublic, status_code=201)
def create_system(session: SessionDep, actor: CurrentActor, data: SystemCreate):
    return service.public(session, service.create_system(session, actor, data))


@router.get("/by-code/{code}", response_model=SystemPublic)
def get_system_by_code(session: SessionDep, actor: CurrentActor, code: str):
    return service.public(session, service.get_system_by_code(session, actor, code))


@router.get("/{system_id:int}", response_model=SystemPublic)
def get_system(session: SessionDep, actor: CurrentActor, system_id: Id):
    return service.public(session, service.get_system(session, actor, system_id))


@router.patch("/{system_id:int}", response_model=SystemPublic)
def update_system(session: SessionDep, actor: CurrentActor, system_id: Id, data: SystemUpdate):
    return service.public(session, service.update_system(session, actor, system_id, data))


@router.delete("/{system_id:int}", status_code=204)
def delete_system(session: SessionDep, actor: CurrentActor, system_id: Id):
    service.delete_system(session, actor, system_id)
    return Response(status_code=204)


@router.post("/{system_id:int}/{action}", response_model=SystemPublic)
def change_status(session: SessionDep, actor: CurrentActor, system_id: Id, action: str,
                  body: StatusChange | None = None):
    """Lifecycle actions: start, stop, decommission."""
    comment = body.comment if body else ""
    return service.public(session, service.change_status(session, actor, system_id, action, comment))
