"""Web pages of migration plans: the list with its filters and queues, the plan form, the plan page with its
stages (planned against actual dates), the steps each reader may take, per-system progress, in-house
exceptions and the technical plan's versions, and the plan workbook's import."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from control.automation import service as automation_service
from control.core.accounts import LEVEL_ORDER, Level
from control.core.clock import today
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import Conflict, PayloadTooLarge, ServiceError, ValidationFailed
from control.core.messages import zh_error
from control.core.params import Blank, Id, Offset, SearchText
from control.core.roles import Role
from control.core.runs import RunStatus
from control.migration import automation as plan_automation
from control.migration import board, rules, service, timeline, workbook
from control.migration.api import plan_procedure
from control.migration.enums import EDITABLE, ExceptionReason, PlanKind, PlanStatus, Target
from control.migration.schemas import (
    ActionIn,
    ExceptionDecisionIn,
    ExceptionIn,
    Interface,
    PlanIn,
    PlanUpdate,
    SystemActionIn,
)
from control.networks.enums import NetworkState
from control.networks.service import NetworkFilter, list_networks
from control.org import service as org_service
from control.systems.census_read import WorkbookLimits
from control.systems.service import SystemFilter, list_systems
from control.web.render import FormDep, PostedForm, csrf_protect, flash, pager_query, redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = 50
# What the pages flash after a step (through _then, so tools/en_catalog.py lists them from here).
DONE = {"document": "技术方案已上传", "request_exception": "已申请自行部署例外", "decide_exception": "已审批例外申请",
        "action": "已{action}"}
PLAN_FORM_FIELDS = ("kind", "department_id", "name", "content", "target", "completion_date", "connect_by",
                    "migrate_by", "leader_name", "leader_title", "leader_phone", "office", "liaison_name",
                    "liaison_phone")


def _error(exc: ValidationError | ServiceError) -> str:
    if isinstance(exc, ServiceError):
        return exc.detail
    return "；".join(zh_error(e, entity_type="migration_plan") for e in exc.errors())


@router.get("/plans")
def plan_list(request: Request, session: SessionDep, actor: CurrentActor,
              kind: Annotated[PlanKind | None, Blank] = None, stage: Annotated[PlanStatus | None, Blank] = None,
              schedule: Annotated[Literal["on_plan", "behind_plan"] | None, Blank] = None,
              funding_stop: Annotated[bool, Blank] = False, awaiting_me: Annotated[bool, Blank] = False,
              live: Annotated[bool, Blank] = False, department_id: Annotated[Id | None, Blank] = None,
              region: Annotated[SearchText | None, Blank] = None, level: Annotated[Level | None, Blank] = None,
              offset: Annotated[Offset, Blank] = 0):
    """Plans by completion date, a page at a time; the filters are the API's."""
    f = service.PlanFilter(department_id=department_id, kind=kind, status=stage, schedule=schedule,
                           funding_stop=funding_stop, awaiting_me=awaiting_me, live=live, region=region,
                           level=level.value if level else None)
    items, total = service.list_plans(session, actor, f, limit=PAGE, offset=offset)
    query = pager_query(request)
    return render(request, "plans/list.html", {
        "items": items, "total": total, "f": f, "kinds": list(PlanKind), "stages": list(PlanStatus),
        "offset": offset, "page": PAGE, "query": query, "levels": LEVEL_ORDER,
        "can_write": actor.role in rules.WRITE_ROLES,
        "can_review": actor.role == Role.bureau or (actor.role == Role.department and actor.reviewer)})



@router.get("/plans/board")
def progress_board(request: Request, session: SessionDep, actor: CurrentActor,
                   department_id: Annotated[Id | None, Blank] = None, offset: Offset = 0, region_offset: Offset = 0,
                   funding_offset: Offset = 0):
    """The progress board; each figure links to the list it counts. Department, region and funding-stop
    rows a page at a time."""
    return render(request, "plans/board.html", {"b": board.board(session, actor, department_id, offset=offset,
                                                                 region_offset=region_offset,
                                                                 funding_offset=funding_offset),
                                                "queries": {param: pager_query(request, param=param) for param in
                                                            ("offset", "region_offset", "funding_offset")},
                                                "states": list(NetworkState), "can_export":
                                                actor.role in board.EXPORT_ROLES})

def _form_context(session, actor, values: dict | None = None, error: str | None = None) -> dict:
    depts, _ = org_service.list_departments(session, actor, limit=5000)
    systems, *_ = list_systems(session, actor, SystemFilter(classified=False), limit=500)
    networks, _ = list_networks(session, actor, NetworkFilter(), limit=500)
    return {"values": values or {}, "error": error, "depts": depts, "systems": systems, "networks": networks,
            "kinds": list(PlanKind), "targets": list(Target)}


@router.get("/plans/new")
def new_plan(request: Request, session: SessionDep, actor: CurrentActor,
             kind: Annotated[PlanKind | None, Blank] = None):
    actor.require(*rules.WRITE_ROLES)
    values = {"kind": (kind or PlanKind.private_network).value, "department_id": actor.department_id}
    return render(request, "plans/form.html", _form_context(session, actor, values))


def _form_values(form: dict[str, Any]) -> dict[str, Any]:
    """The posted plan: its fields, the ticked networks, and each ticked system with its target date."""
    values: dict[str, Any] = {k: (form.get(k) or None) for k in PLAN_FORM_FIELDS}
    values["content"] = values["content"] or ""
    values["network_ids"] = [v for k, v in form.items() if k.startswith("network-") and v]
    values["systems"] = [{"system_id": k.removeprefix("system-"), "target_date": form.get(f"target-{k[7:]}")}
                         for k, v in form.items() if k.startswith("system-") and v]
    return values


@router.post("/plans/new")
def create_plan(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep):
    values = _form_values(form)
    try:
        plan = service.create_plan(session, actor, PlanIn(**values))
    except (ValidationError, ServiceError) as exc:
        session.rollback()
        values["targets"] = {int(x["system_id"]): x["target_date"] for x in values["systems"]}
        return render(request, "plans/form.html", _form_context(session, actor, values, _error(exc)),
                      status_code=422)
    flash(request, "已保存迁移计划 {number}（草稿）", number=plan.number)
    return redirect(f"/plans/{plan.id}")


@router.get("/plans/{plan_id:int}/edit")
def edit_plan(request: Request, session: SessionDep, actor: CurrentActor, plan_id: Id):
    """The form of a draft or returned plan, filled from the plan."""
    plan = service.editable_plan(session, actor, plan_id)
    data = service.detail(session, plan)
    values = {k: data[k].value if hasattr(data[k], "value") else data[k] for k in PLAN_FORM_FIELDS}
    values["network_ids"] = [n["network_id"] for n in data["networks"]]
    values["targets"] = {s["system_id"]: s["target_date"] for s in data["systems"]}
    return render(request, "plans/form.html", {**_form_context(session, actor, values), "plan": plan})


@router.post("/plans/{plan_id:int}/edit")
def save_plan(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep, plan_id: Id):
    plan = service.editable_plan(session, actor, plan_id)     # 403/409 before any field is read
    values = _form_values(form)
    try:
        service.update_plan(session, actor, plan_id, PlanUpdate(**{k: v for k, v in values.items()
                                                                   if k not in ("kind", "department_id")}))
    except (ValidationError, ServiceError) as exc:
        session.rollback()
        values["targets"] = {int(x["system_id"]): x["target_date"] for x in values["systems"]}
        return render(request, "plans/form.html", {**_form_context(session, actor, values, _error(exc)),
                                                   "plan": plan}, status_code=422)
    flash(request, "已保存迁移计划 {number}", number=plan.number)
    return redirect(f"/plans/{plan_id}")


@router.get("/plans/import")
def import_page(request: Request, actor: CurrentActor):
    actor.require(*rules.WRITE_ROLES)
    return render(request, "plans/import.html", {"errors": None, "result": None})


@router.post("/plans/import")
def import_upload(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm):
    """All or nothing, as the API: the page lists every bad cell by sheet, row and column (as the census
    import page does); a refusal for lack of rights is a 403, not a form error."""
    actor.require(*rules.WRITE_ROLES)
    file = form.get("file")
    filename = file.filename if isinstance(file, UploadFile) else ""
    try:
        if not isinstance(file, UploadFile) or not file.size:
            raise ValidationFailed("请选择要导入的迁移计划表（.xlsx）", code="no_file")
        result = workbook.import_workbook(session, actor, file.file, WorkbookLimits.of(request.app.state.settings))
    except (ValidationFailed, PayloadTooLarge, Conflict) as exc:
        session.rollback()
        return render(request, "plans/import.html", {"errors": exc.errors, "detail": exc.detail, "result": None,
                                                     "filename": filename}, status_code=exc.status)
    return render(request, "plans/import.html", {"errors": None, "result": result, "filename": filename})


def _allowed(session, actor, plan) -> list[str]:
    """The steps this reader may take now (the service's own checks decide)."""
    out = []
    for action in rules.PROCEDURES[plan.kind].allowed(plan.status):
        try:
            service.check_actor(session, actor, plan, action)
            out.append(action)
        except ServiceError:
            pass
    return out


@router.get("/plans/{plan_id:int}")
def plan_page(request: Request, session: SessionDep, actor: CurrentActor, plan_id: Id):
    plan = service.get_plan(session, actor, plan_id)
    data = service.detail(session, plan)
    is_owner = actor.role == Role.department and actor.department_id == plan.department_id
    day = today()
    readable = actor.role in automation_service.READ_ROLES
    open_step = next((s for s in data["stages"] if s.active and s.stage in plan_automation.STEPS), None)
    return render(request, "plans/detail.html", {
        "changes": plan_automation.plan_changes(session, actor, data["stages"]) if readable else [],
        "automate_step": open_step if actor.role in automation_service.OPERATE_ROLES else None,
        "as_run_status": RunStatus,
        "p": data, "chart": timeline.layout(timeline.bars(data["stages"], data["systems"], day), day),
        "allowed": _allowed(session, actor, plan), "labels": rules.ACTION_LABELS,
        "technical": rules.TECHNICAL_STEPS, "reasons": list(ExceptionReason), "is_owner": is_owner,
        "is_bureau": actor.role == Role.bureau, "system_actions": rules.SYSTEM_ACTION_LABELS,
        "can_progress": plan.status == PlanStatus.migration and actor.role in rules.SYSTEM_ROLES,
        "can_edit": plan.status in EDITABLE and actor.role in rules.WRITE_ROLES
        and (actor.role != Role.department or is_owner)})


def _then(request: Request, plan_id: int, run, done: str, **params):
    try:
        run()
        flash(request, done, **params)
    except ServiceError as exc:
        flash(request, exc.detail)
    except ValidationError as exc:
        flash(request, _error(exc))
    return redirect(f"/plans/{plan_id}")


@router.post("/plans/{plan_id:int}/documents")
def upload_document(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm, plan_id: Id):
    file = form.get("file")

    def run():
        if not isinstance(file, UploadFile):
            raise ValidationFailed("请选择技术方案文件", code="no_file")
        service.add_document(session, actor, plan_id, file.filename or "document", file.content_type or "",
                             file.file, request.app.state.settings.attachment_max_bytes)
    return _then(request, plan_id, run, DONE["document"])


@router.post("/plans/{plan_id:int}/systems/{system_id:int}/exception")
def request_exception(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep, plan_id: Id,
                      system_id: Id):
    return _then(request, plan_id, lambda: service.request_exception(
        session, actor, plan_id, system_id, ExceptionIn(reason=form.get("reason") or None,
                                                        justification=form.get("justification", ""))),
        DONE["request_exception"])


@router.post("/plans/{plan_id:int}/systems/{system_id:int}/exception/decide")
def decide_exception(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep, plan_id: Id,
                     system_id: Id):
    def run():
        interfaces = [Interface(name=form.get("interface"), evidence=form.get("interface_evidence", ""))] \
            if form.get("interface") else []
        service.decide_exception(session, actor, plan_id, system_id, ExceptionDecisionIn(
            approve=form.get("approve") == "1", comment=form.get("comment", ""), interfaces=interfaces,
            later_target_date=form.get("later_target_date") or None))
    return _then(request, plan_id, run, DONE["decide_exception"])


@router.post("/plans/{plan_id:int}/systems/{system_id:int}/{action}")
def system_action(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep, plan_id: Id,
                  system_id: Id, action: str):
    return _then(request, plan_id, lambda: service.system_action(
        session, actor, plan_id, system_id, action, SystemActionIn(note=form.get("note", ""))),
        DONE["action"], action=rules.SYSTEM_ACTION_LABELS.get(action, action))


@router.post("/plans/{plan_id:int}/{action}")
def act(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep, plan_id: Id, action: str):
    def run():
        body = ActionIn(comment=form.get("comment", ""), evidence=form.get("evidence", ""),
                        on=form.get("on") or None)
        service.act(session, actor, plan_procedure(request, session), plan_id, action, body)
    return _then(request, plan_id, run, DONE["action"], action=rules.ACTION_LABELS.get(action, action))
