"""Web pages of the audit log (admins and auditors): filter, page, export, verify the hash chain."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlmodel import Session

from control.cloud.enums import RequestStatus
from control.core.accounts import Level
from control.core.audit import parse_checkpoint, verify_chain
from control.core.audit_api import AUDIT_READERS, AuditFilter, list_entries
from control.core.auth import Actor
from control.core.deps import CurrentActor, SessionDep
from control.core.params import MAX_DATE, MIN_DATE, Offset
from control.core.roles import Role
from control.systems.enums import SharingDirection, SharingMethod, SystemKind
from control.systems.fields import FIELDS_BY_NAME
from control.web.render import csrf_protect, render, templates

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = 50

# Entity types the services record, in the order the filter offers them (labels translated in the template).
ENTITY_TYPES = ["system", "department", "user", "cloud_request", "cloud_capacity", "cloud_quota",
                "calendar_year", "zombie_scan", "zombie_case", "usage_metrics"]


# Labels of recorded keys that are not census fields: (zh-CN, English).
KEY_LABELS = {
    "id": ("ID", "ID"), "department_id": ("部门", "Department"), "kind": ("类型", "Kind"),
    "user_count_varies": ("用户数量不固定", "User count varies"), "sharing": ("信息资源共享", "Sharing"),
    "comment": ("说明", "Comment"), "replaced_by_id": ("替代系统", "Replaced by"),
    "deleted_at": ("删除时间", "Deleted at"),
    "active": ("启用", "Active"), "role": ("角色", "Role"), "username": ("用户名", "Username"),
    "display_name": ("姓名", "Name"), "locale": ("界面语言", "Language"), "password": ("密码", "Password"),
    "parent_id": ("上级部门", "Parent department"), "path": ("层级路径", "Tree path"), "level": ("层级", "Level"),
    "region": ("地区", "Region"), "name": ("名称", "Name"), "status": ("状态", "Status"),
    "stage": ("办理环节", "Stage"),
    "reviewer": ("审核人", "Reviewer"), "must_change_password": ("须修改临时密码", "Must change temporary password"),
    "login_failures": ("登录失败次数", "Failed sign-ins"),
}
_DEPT_CODE = ("部门代码", "Department code")


def change_label(entity_type: str, key: str, locale: str) -> str:
    """The label of a recorded key: census field labels for systems, plain words for the rest."""
    en = locale == "en"
    if entity_type == "system" and key in FIELDS_BY_NAME:
        f = FIELDS_BY_NAME[key]
        return f.en if en else f.zh
    if entity_type == "department" and key == "code":
        return _DEPT_CODE[en]
    if key in KEY_LABELS:
        return KEY_LABELS[key][en]
    return key


def audit_value(name: str, value: Any, locale: str, entity_type: str = "system") -> str:
    """One recorded value as people read it: enum labels, 是/否, lists joined, — for nothing."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return ("Yes" if value else "No") if locale == "en" else ("是" if value else "否")
    if name == "sharing" and isinstance(value, list):
        return "；".join(_sharing_line(v, locale) for v in value)
    if isinstance(value, list):
        return "、".join(audit_value(name, v, locale, entity_type) for v in value)
    census = entity_type == "system" and name in FIELDS_BY_NAME
    enum = FIELDS_BY_NAME[name].enum if census else _ENUMS.get((entity_type, name), _ENUMS.get(name))
    if enum is not None and isinstance(value, str):
        try:
            return enum(value).label(locale)
        except ValueError:
            pass
    if isinstance(value, dict):
        return "；".join(f"{k}: {audit_value(k, v, locale, entity_type)}" for k, v in value.items())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _sharing_line(line: Any, locale: str) -> str:
    if not isinstance(line, dict):
        return str(line)
    head = f"{audit_value('direction', line.get('direction'), locale)}：{line.get('resource_name') or ''}"
    extra = [str(line[k]) for k in ("counterpart",) if line.get(k)]
    if line.get("method"):
        extra.append(audit_value("method", line["method"], locale))
    return head + (f"（{'，'.join(extra)}）" if extra else "")


_ENUMS: dict[Any, Any] = {("cloud_request", "status"): RequestStatus, "kind": SystemKind,
                          "direction": SharingDirection, "method": SharingMethod, "role": Role, "level": Level}

def empty_change(item: tuple[str, Any]) -> bool:
    """A [None, nothing] pair of a create entry: a field left blank, not worth a line."""
    _key, v = item
    return isinstance(v, list) and len(v) == 2 and v[0] is None and v[1] in (None, "", [], False)


templates.env.tests["empty_change"] = empty_change
templates.env.globals["audit_value"] = audit_value
templates.env.globals["change_label"] = change_label


def entity_history(session: Session, actor: Actor, entity_type: str, entity_id: int | str, limit: int = 50):
    """The latest audit entries of one record, for its page; empty for roles that may not read the log."""
    if actor.role not in AUDIT_READERS:
        return []
    f = AuditFilter(entity_type=entity_type, entity_id=str(entity_id))
    items, _ = list_entries(session, actor, f, limit, 0)
    return items


def _day(text: str | None) -> date | None:
    """A date field of the filter form: blank (the form always sends it) or unreadable means no bound."""
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return day if day is None or MIN_DATE <= day <= MAX_DATE else None


@router.get("/audit")
def audit_page(request: Request, session: SessionDep, actor: CurrentActor,
               who: str | None = Query(None, alias="actor", max_length=64), action: str | None = None,
               entity_type: str | None = None, since: str | None = None, until: str | None = None,
               q: str | None = Query(None, max_length=100), offset: Offset = 0):
    f = AuditFilter(actor=who or None, action=action or None, entity_type=entity_type or None,
                    since=_day(since), until=_day(until), q=q or None)
    items, total = list_entries(session, actor, f, PAGE, offset)
    params = {k: v for k, v in f.model_dump().items() if v not in (None, "")}
    query = urlencode(params)
    template = "audit/_table.html" if request.headers.get("hx-request") and not request.headers.get(
        "hx-history-restore-request") else "audit/index.html"
    return render(request, template, {"items": items, "total": total, "f": f, "offset": offset, "page": PAGE,
                                      "query": query, "entity_types": ENTITY_TYPES})


@router.post("/audit/verify")
def audit_verify(request: Request, session: SessionDep, actor: CurrentActor,
                 checkpoint: Annotated[str, Form(max_length=4000)] = ""):
    """The whole chain, and against a pasted auditor's checkpoint when one is given."""
    actor.require(*AUDIT_READERS)
    try:
        cp = parse_checkpoint(checkpoint) if checkpoint.strip() else None
    except ValueError as exc:
        return render(request, "audit/_verify.html", {"ok": False, "bad_id": None, "message": str(exc)})
    v = verify_chain(session, cp, request.app.state.settings.audit_verify_max_problems)
    message = v.message + (f"；已到达检查点的第 {cp.last_id} 条" if v.ok and cp and cp.last_id else "")
    return render(request, "audit/_verify.html", {"ok": v.ok, "bad_id": v.first_broken_id, "message": message})
