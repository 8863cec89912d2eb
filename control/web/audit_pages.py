"""Web pages of the audit log (admins and auditors): filter, page, export, verify the hash chain."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlmodel import Session

from control.core import labels
from control.core.audit import parse_checkpoint, verify_chain
from control.core.audit_api import AUDIT_READERS, AuditFilter, list_entries
from control.core.auth import Actor
from control.core.deps import CurrentActor, SessionDep
from control.core.params import MAX_DATE, MIN_DATE, Offset
from control.web.render import csrf_protect, render, templates

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = 50

# Entity types the services record, in the order the filter offers them (labels translated in the template).
ENTITY_TYPES = list(labels.ENTITY_TYPES)


def empty_change(item: tuple) -> bool:
    """A (field, None, nothing, pair) row of a create entry: a field left blank, not worth a line."""
    _key, old, new, pair = item
    return pair and old is None and new in (None, "", [], False)


def change_label(entity_type: str, key: str, locale: str) -> str:
    return labels.field_label(key, locale, entity_type)


def audit_value(name: str, value: Any, locale: str, entity_type: str = "system") -> str:
    return labels.value_label(name, value, locale, entity_type)


templates.env.tests["empty_change"] = empty_change
templates.env.globals["audit_value"] = audit_value
templates.env.globals["change_label"] = change_label
templates.env.globals["change_pairs"] = labels.change_pairs
templates.env.globals["audit_action"] = labels.action_label
templates.env.globals["audit_entity"] = labels.entity_type_label


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
                                      "query": query, "entity_types": ENTITY_TYPES,
                                      "actions": list(labels.ACTIONS)})


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
