"""REST: migration plans, their systems, in-house exceptions, technical plan documents and the plan workbook."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, UploadFile

from control.automation.service import READ_ROLES
from control.core import attachments, workflow
from control.core.accounts import Level
from control.core.deps import CurrentActor, SessionDep
from control.core.params import XLSX, Id, Offset, SearchText, file_response
from control.migration import automation, board, rules, service, workbook
from control.migration.enums import PlanKind, PlanStatus
from control.migration.schemas import (
    ActionIn,
    BoardOut,
    DocumentOut,
    ExceptionDecisionIn,
    ExceptionIn,
    PlanIn,
    PlanList,
    PlanOut,
    PlanUpdate,
    SystemActionIn,
)
from control.systems.census_read import WorkbookLimits
from control.systems.schemas import ImportResult

router = APIRouter(prefix="/api/v1/migration-plans", tags=["migration plans"])


def plan_filter(department_id: Id | None = None, kind: PlanKind | None = None, stage: PlanStatus | None = None,
                schedule: str | None = Query(None, pattern="^(on_plan|behind_plan)$"), funding_stop: bool = False,
                awaiting_me: bool = False, live: bool = False, q: SearchText | None = None,
                region: SearchText | None = None, level: Level | None = None) -> service.PlanFilter:
    """`department_id`: that department and those under it; `stage`: where the plan stands; `schedule`:
    on_plan or behind_plan; `funding_stop`: plans holding a fiscal private network not migrated by the plan's
    completion date; `awaiting_me`: the review levels and approvals the caller decides now; `live`: leave out
    cancelled plans (what the progress board counts); `region` / `level`: of the plan's own department
    (`region=-`: no region code recorded), as the board's region and level rows count."""
    return service.PlanFilter(department_id=department_id, kind=kind, status=stage, schedule=schedule,
                              funding_stop=funding_stop, awaiting_me=awaiting_me, live=live, q=q, region=region,
                              level=level.value if level else None)


FilterDep = Annotated[service.PlanFilter, Depends(plan_filter)]


def plan_procedure(request: Request, session: SessionDep) -> workflow.Procedure:
    """The plans' procedure on the shared stage engine: today's working calendar and the policy section."""
    return workflow.Procedure(subject=rules.SUBJECT, calendar=request.app.state.calendars.get(session),
                              policy=request.app.state.policy.migration_plans)


ProcedureDep = Annotated[workflow.Procedure, Depends(plan_procedure)]


def xlsx(data: bytes, filename: str) -> Response:
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/template.xlsx", response_class=Response, responses=file_response(XLSX, "迁移计划表模板"))
def plan_template(actor: CurrentActor):
    """The plan workbook (迁移计划表) with drop-downs and instructions."""
    return xlsx(workbook.template_workbook(), "migration-plans-template.xlsx")


@router.get("/export.xlsx", response_class=Response, responses=file_response(XLSX, "按迁移计划表格式导出"))
def plan_export(session: SessionDep, actor: CurrentActor, f: FilterDep):
    """Any filtered list in the template's layout: importing it again changes nothing."""
    return xlsx(workbook.export_workbook(session, actor, f), "migration-plans.xlsx")


@router.post("/import", response_model=ImportResult)
def plan_import(request: Request, session: SessionDep, actor: CurrentActor, file: UploadFile):
    """All or nothing: a 422 lists the bad cells by sheet, row and column. Re-importing the same file
    changes nothing."""
    return workbook.import_workbook(session, actor, file.file, WorkbookLimits.of(request.app.state.settings))


@router.get("/board", response_model=BoardOut)
def progress_board(session: SessionDep, actor: CurrentActor, department_id: Id | None = None,
                   limit: int = Query(board.DEPARTMENT_PAGE, ge=1, le=500), offset: Offset = 0,
                   region_offset: Offset = 0, funding_offset: Offset = 0):
    """The progress board: the total, per level, and a page of `limit` rows of each of: departments (with
    those under them) from `offset` (`departments_total` in all), regions from `region_offset`
    (`regions_total`) and the funding-stop list from `funding_offset` (`funding_stop_total`; the workbook
    export holds them all). A department user sees its own subtree; `department_id` narrows to one
    department's subtree."""
    # Serialised by pydantic in one pass: FastAPI's validate, encode, json.dumps of the ~1,200 rows of a
    # province-wide board took as long as computing it.
    return Response(BoardOut.model_validate(board.board(session, actor, department_id, limit, offset,
                                                       region_offset, funding_offset))
                    .model_dump_json(), media_type="application/json")


@router.get("/board/funding-stop.xlsx", response_class=Response,
            responses=file_response(XLSX, "停止运维经费的业务专网清单"))
def funding_stop_export(session: SessionDep, actor: CurrentActor, department_id: Id | None = None):
    """The funding-stop list (第十条) for the auditor and the Bureau."""
    return xlsx(board.funding_stop_workbook(session, actor, department_id), "funding-stop.xlsx")


@router.get("", response_model=PlanList)
def list_plans(session: SessionDep, actor: CurrentActor, f: FilterDep, limit: int = Query(50, ge=1, le=500),
               offset: Offset = 0):
    items, total = service.list_plans(session, actor, f, limit, offset)
    return PlanList(items=items, total=total, limit=limit, offset=offset)


def _out(session, actor, plan) -> dict:
    """A plan as the API gives it: its detail and the automation changes serving its steps."""
    data = service.detail(session, plan)
    readable = actor.role in READ_ROLES
    return {**data, "changes": automation.plan_change_rows(session, actor, data["stages"]) if readable else []}


@router.post("", response_model=PlanOut, status_code=201)
def create_plan(session: SessionDep, actor: CurrentActor, data: PlanIn):
    return _out(session, actor, service.create_plan(session, actor, data))


@router.get("/{plan_id:int}", response_model=PlanOut)
def get_plan(session: SessionDep, actor: CurrentActor, plan_id: Id):
    return _out(session, actor, service.get_plan(session, actor, plan_id))


@router.patch("/{plan_id:int}", response_model=PlanOut)
def update_plan(session: SessionDep, actor: CurrentActor, plan_id: Id, data: PlanUpdate):
    return _out(session, actor, service.update_plan(session, actor, plan_id, data))


@router.post("/{plan_id:int}/documents", response_model=DocumentOut, status_code=201)
def upload_document(request: Request, session: SessionDep, actor: CurrentActor, plan_id: Id, file: UploadFile):
    """A new version of the technical plan; earlier versions stay."""
    return service.add_document(session, actor, plan_id, file.filename or "document", file.content_type or "",
                                file.file, request.app.state.settings.attachment_max_bytes)


@router.get("/{plan_id:int}/documents/{document_id:int}", response_class=Response,
            responses=file_response("application/octet-stream", "技术方案原文件（按上传时的类型）"))
def download_document(session: SessionDep, actor: CurrentActor, plan_id: Id, document_id: Id):
    doc = service.get_document(session, actor, plan_id, document_id)
    return attachments.download(doc.filename, doc.content_type, doc.content)


@router.post("/{plan_id:int}/systems/{system_id:int}/exception", response_model=PlanOut)
def request_exception(session: SessionDep, actor: CurrentActor, plan_id: Id, system_id: Id, data: ExceptionIn):
    """The department asks that this system stay in-house (专业性强、安全性高、体量大)."""
    return _out(session, actor, service.request_exception(session, actor, plan_id, system_id, data))


@router.post("/{plan_id:int}/systems/{system_id:int}/exception/decide", response_model=PlanOut)
def decide_exception(session: SessionDep, actor: CurrentActor, plan_id: Id, system_id: Id,
                     data: ExceptionDecisionIn):
    """The Bureau's decision on the pending exception request."""
    return _out(session, actor, service.decide_exception(session, actor, plan_id, system_id, data))


@router.post("/{plan_id:int}/systems/{system_id:int}/{action}", response_model=PlanOut)
def system_action(session: SessionDep, actor: CurrentActor, plan_id: Id, system_id: Id, action: str,
                  body: SystemActionIn | None = None):
    """One system's migration: start, finish, pause."""
    return _out(session, actor, service.system_action(session, actor, plan_id, system_id, action,
                                                         body or SystemActionIn()))


@router.post("/{plan_id:int}/{action}", response_model=PlanOut)
def act(session: SessionDep, actor: CurrentActor, proc: ProcedureDep, plan_id: Id, action: str,
        body: ActionIn | None = None):
    """Plan steps: submit, cancel, approve, return; the technical steps connect, migrate, withdraw (private
    network) and complete (cloud plan), each with a note, evidence and the actual date."""
    return _out(session, actor, service.act(session, actor, proc, plan_id, action, body or ActionIn()))
