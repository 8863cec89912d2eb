"""What a change can serve besides its targets: a migration plan's step (plan_step_id), a cloud request
(cloud_request_id), a zombie case (zombie_case_id). Automation knows none of those domains: each registers, at
start (control/wiring.py), how to check that the user creating a change may serve its subject, and what happens
to the subject when the change succeeds. So imports go one way, from those domains to automation (they create
changes and list them through automation's service), and never back.

A hook that fails after a change succeeded does not undo the change (the devices are changed): its reason is
returned, to be shown among the run's events, and the subject is left for a person to finish by hand."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from control.core.accounts import User
from control.core.auth import Actor, actor_for
from control.core.errors import Conflict, ServiceError, ValidationFailed
from control.core.runs import Run

log = logging.getLogger("yunzhang.automation")


@dataclass(frozen=True)
class Served:
    """The subject a change serves, as the change page names it and links to it."""
    label: str
    url: str


@dataclass(frozen=True)
class Done:
    """A change that has just succeeded, as its subjects are told of it."""
    change_id: int
    author: str
    run_ids: list[int]


@dataclass(frozen=True)
class Link:
    field: str                                                 # the change's column: plan_step_id, ...
    serve: Callable[[Session, Actor, int], Served]             # raises (403, 404, 409, 422) when it may not
    succeeded: Callable[[Session, int, Done], str] | None      # (session, subject id, change) → what it did
    describe: Callable[[Session, int], Served | None]          # the subject as a change page names it, whatever
                                                               # its state now (None: gone)


_links: dict[str, Link] = {}


def register(link: Link) -> None:
    _links[link.field] = link


def serve(session: Session, actor: Actor, values: dict[str, int | None]) -> list[Served]:
    """Check every subject a new change names (field → id); an unregistered field named is refused."""
    served = []
    for field, subject_id in values.items():
        if subject_id is None:
            continue
        if field not in _links:
            raise ValidationFailed(f"变更不能关联 {field}", code="unknown_link",
                                   errors=[{"field": field, "message": "不支持的关联", "code": "unknown_link"}])
        served.append(_links[field].serve(session, actor, subject_id))
    return served


def author(session: Session, done: Done) -> Actor:
    """The change's author as the acting user of what its success does; Conflict when the author is no user of
    the service (a change made from the CLI), so the subject is left for a person."""
    user = session.execute(select(User).where(User.username == done.author)).scalar()
    if user is None or not user.active:
        raise Conflict(f"变更发起人 {done.author} 不是平台的在职用户，请由有权限的人员手工确认", code="no_author")
    return actor_for(session, user)


def described(session: Session, change) -> list[Served]:
    """What a change serves, for its page (the reader already sees the change; the subject's page applies its
    own scope when followed)."""
    found = (_links[f].describe(session, getattr(change, f)) for f in _links if getattr(change, f, None))
    return [served for served in found if served is not None]


def succeeded(session: Session, done: Done, values: dict[str, int | None]) -> list[str]:
    """Tell each subject of a change that has just succeeded (each committing its own work, or rolled back
    alone): what each did, or why it could not (the subject moved on meanwhile, a condition not met)."""
    messages = []
    for field, subject_id in values.items():
        link = _links.get(field)
        if subject_id is None or link is None or link.succeeded is None:
            continue
        try:
            messages.append(link.succeeded(session, subject_id, done))
        except ServiceError as exc:
            session.rollback()
            messages.append(f"未能自动完成：{exc.detail}")
        except Exception as exc:  # the change stays succeeded whatever its subject does
            session.rollback()
            log.exception("%s %s: hook after change %s failed", field, subject_id, done.change_id)
            messages.append(f"未能自动完成：{type(exc).__name__}")
    return messages


def on_finished(session: Session, change) -> None:
    """The change pipeline's finished-listener (control/automation/service.py): a change that succeeded tells
    its subjects; what they did is logged, and recorded in their own audit."""
    if change.status != "succeeded":
        return
    run_ids = list(session.execute(select(Run.id).where(Run.change_id == change.id).order_by(Run.id)).scalars())
    done = Done(change_id=change.id, author=change.author, run_ids=run_ids)
    for message in succeeded(session, done, {f: getattr(change, f) for f in _links}):
        log.info("change %s: %s", change.id, message)
