"""The run kinds this service executes, registered with the generic queue (control/core/runs.py), and the
worker pool `yunzhang serve` embeds and `yunzhang worker` runs."""
from __future__ import annotations

from sqlalchemy import Engine

from control.core import runs


def install() -> None:
    """Register every handler; a process must do it before its pool claims runs (it claims only known kinds)."""
    from control.automation import devices, playbook, playbook_change
    runs.register(playbook.KIND, playbook_change.handle)
    runs.register(devices.KIND, devices.handle)


def start_workers(engine: Engine, size: int) -> runs.WorkerPool | None:
    if size <= 0:
        return None
    install()
    return runs.WorkerPool(engine, size).start()
