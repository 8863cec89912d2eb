"""Playbook changes on the `playbook` run kind: check is the playbook with `--check --diff` (each host's diff
kept on its target row for the approver), apply runs the playbook then its verify play in the same run, and a
failed verify leaves the change failed with the rollback play one action away. Resume verifies first: hosts
that already pass are not changed again. A playbook run without a change is the plain run kind."""
from __future__ import annotations

import hashlib

from control.automation import playbook, service
from control.automation.enums import TargetStatus
from control.automation.models import Change, ChangeTarget
from control.core import runs
from control.core.clock import now


def handle(ctx: runs.RunContext) -> dict:
    if ctx.run.change_id is None:
        return playbook.handle(ctx)
    return Step(ctx).run()


class Step:
    def __init__(self, ctx: runs.RunContext):
        self.ctx = ctx
        self.outputs: dict[str, list[str]] = {}
        with ctx.sessions() as session:
            self.change = session.get(Change, ctx.run.change_id)
            self.targets = service.targets_of(session, self.change.id)

    def emit(self, event: dict) -> int:
        """Every event to the run; each task that would change a host, with its diff, kept for its target row."""
        if event.get("host") and event.get("changed") and (event.get("task") or event.get("diff")):
            self.outputs.setdefault(event["host"], []).append(f"# {event.get('task', '')}\n{event.get('diff', '')}")
        return self.ctx.emit(event)

    def play(self, mode: str) -> tuple[bool, str]:
        ctx = runs.RunContext(self.ctx.sessions, self.ctx.run, self.emit, self.ctx.cancelled)
        try:
            playbook.execute(ctx, mode)
        except runs.RunFailed as exc:
            return False, str(exc)
        return True, ""

    def mark(self, **values) -> None:
        per_host = values.pop("per_host", {})
        with self.ctx.sessions() as session:
            for target in self.targets:
                row = session.get(ChangeTarget, target.id)
                for key, value in {**values, **per_host.get(target.host, {})}.items():
                    setattr(row, key, value)
                session.add(row)
            session.commit()

    def settle(self, outcome: str, error: str = "", **values) -> None:
        with self.ctx.sessions() as session:
            service.settle(session, self.change.id, outcome, error, **values)

    def run(self) -> dict:
        mode = self.ctx.run.mode
        try:
            return getattr(self, mode)()
        except runs.Cancelled:
            self.settle("cancelled" if mode != "check" else "check_failed", "已取消")
            raise

    def check(self) -> dict:
        ok, error = self.play("check")
        if not ok:
            self.settle("check_failed", error)
            raise runs.RunFailed(error)
        diffs = {t.host: "\n".join(self.outputs.get(t.host, [])) for t in self.targets}
        self.mark(status=TargetStatus.checked, error="", per_host={
            host: {"expected_diff": text, "backup_digest": hashlib.sha256(text.encode()).hexdigest()}
            for host, text in diffs.items()})
        self.settle("check_passed", checked_at=now(), checked_by=self.ctx.run.params.get("actor"))
        return {"hosts": len(self.targets)}

    def apply(self) -> dict:
        if self.ctx.run.params.get("resume"):
            ok, _ = self.play("verify")
            if ok:
                self.mark(status=TargetStatus.saved, applied=True, verified=True, verified_at=now())
                self.settle("verified")
                return {"resumed": "verified"}
            self.settle("resumed")
        self.mark(status=TargetStatus.applying)
        ok, error = self.play("apply")
        if not ok:
            self.mark(status=TargetStatus.failed, applied=True, error=error)
            self.settle("failed", error)
            raise runs.RunFailed(error)
        self.mark(status=TargetStatus.applied, applied=True, applied_at=now())
        self.settle("sent")
        ok, error = self.play("verify")
        if not ok:
            message = f"验证未通过（{error}）：可执行“回退”运行剧本的回退部分"
            self.mark(status=TargetStatus.failed, error=message)
            self.settle("failed", message)
            raise runs.RunFailed(message)
        self.mark(status=TargetStatus.saved, verified=True, verified_at=now(), saved_at=now())
        self.settle("verified")
        return {"hosts": len(self.targets)}

    def rollback(self) -> dict:
        if playbook.playbook_file(self.change.playbook, "rollback") is None:
            message = f"剧本“{self.change.playbook}”没有回退部分"
            self.settle("rollback_failed", message)
            raise runs.RunFailed(message)
        ok, error = self.play("rollback")
        if not ok:
            self.mark(status=TargetStatus.rollback_failed, error=error)
            self.settle("rollback_failed", error)
            raise runs.RunFailed(error)
        self.mark(status=TargetStatus.rolled_back, rolled_back_at=now(), error="")
        self.settle("rolled_back")
        return {"hosts": len(self.targets)}
