"""The ansible-runner adapter: the only module that imports ansible_runner (AWX could take its place behind
run_playbook). Every run gets a fresh private data dir, deleted afterwards: runner writes the cmdline, extra vars
and inventory into it and would reuse them, so a `--check` could leak into a later real run."""
from __future__ import annotations

import difflib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ansible_runner

PLAYBOOKS_DIR = Path(__file__).resolve().parents[2] / "playbooks"
CANCEL_CHECK_SECONDS = 1.0          # the run's cancel flag is read from the database at most this often
REDACTED = "******"
# Events worth keeping: the play and task headings, each host's result, the recap.
KEPT_EVENTS = {"playbook_on_play_start", "playbook_on_task_start", "runner_on_ok", "runner_on_changed",
               "runner_on_failed", "runner_on_unreachable", "runner_on_skipped", "runner_item_on_ok",
               "runner_item_on_failed", "playbook_on_stats"}


@dataclass
class PlaybookResult:
    status: str                                            # successful, failed, canceled, timeout
    rc: int
    stats: dict = field(default_factory=dict)              # per host: ok, changed, failures, unreachable, skipped
    failures: list[str] = field(default_factory=list)      # each failed task: "host task：its message"

    @property
    def changed(self) -> int:
        return sum(host.get("changed", 0) for host in self.stats.values())

    def as_dict(self) -> dict:
        return {"status": self.status, "rc": self.rc, "stats": self.stats, "changed": self.changed,
                "failures": self.failures}


def local_host() -> dict:
    """Host variables for this machine over the local connection, with this interpreter (interpreter discovery
    may find a python without the venv, or a pyenv shim that fails)."""
    return {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}


def _per_host(stats: dict | None) -> dict:
    """runner's stats (counter → host → n) turned per host (host → counter → n)."""
    hosts: dict[str, dict[str, int]] = {}
    for counter in ("ok", "changed", "failures", "dark", "skipped", "rescued", "ignored"):
        for host, n in ((stats or {}).get(counter) or {}).items():
            hosts.setdefault(host, {})["unreachable" if counter == "dark" else counter] = n
    return hosts


def diff_text(diff) -> str:
    """A task's `--diff` result (one {before, after, *_header} or a list of them) as unified diff text."""
    parts = diff if isinstance(diff, list) else [diff] if isinstance(diff, dict) else []
    out = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("prepared"), str):
            out.append(part["prepared"])
        before, after = part.get("before"), part.get("after")
        if isinstance(before, str) and isinstance(after, str):
            out += difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        str(part.get("before_header", "before")),
                                        str(part.get("after_header", "after")))
        elif before != after and (before or after):
            out.append(f"- {before}\n+ {after}\n")
    return "".join(out)


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def run_playbook(playbook: str, *, inventory: dict, extravars: dict | None = None, check: bool = False,
                 emit: Callable[[dict], object] | None = None, cancelled: Callable[[], bool] | None = None,
                 secrets: Sequence[str] = (), project_dir: Path | None = None) -> PlaybookResult:
    """Run `playbook` (a file of project_dir) on the hosts of `inventory` (Ansible's JSON inventory), in check
    mode with diffs when `check`. Each kept event goes to emit (host, task, changed, failed, stdout, counter),
    the strings in `secrets` masked; `cancelled()` true stops ansible-playbook (its process group is killed).
    project_dir defaults to PLAYBOOKS_DIR as it is when called."""
    last_check, stop, recap, failures = [0.0], [False], {}, []

    def on_event(event: dict) -> bool:
        if event.get("event") == "playbook_on_stats":
            recap.update(event.get("event_data") or {})
        if event.get("event") in ("runner_on_failed", "runner_on_unreachable") \
                and not (event.get("event_data") or {}).get("ignore_errors"):
            data = event.get("event_data") or {}
            res = data.get("res") if isinstance(data.get("res"), dict) else {}
            failures.append(_redact(f"{data.get('host', '')} {data.get('task', '')}：{res.get('msg', '')}",
                                    secrets)[:500])
        if emit is not None and event.get("event") in KEPT_EVENTS:
            data = event.get("event_data") or {}
            res = data.get("res") or {}
            emit({"event": event["event"], "host": data.get("host") or data.get("remote_addr") or "",
                  "task": data.get("task") or data.get("play") or "",
                  "changed": bool(res.get("changed")) if isinstance(res, dict) else False,
                  "failed": event["event"] in ("runner_on_failed", "runner_on_unreachable", "runner_item_on_failed"),
                  "stdout": _redact(event.get("stdout") or "", secrets), "counter": event.get("counter"),
                  "diff": _redact(diff_text(res.get("diff")) if isinstance(res, dict) else "", secrets)})
        return False    # nothing kept on disk: the database holds the events

    def on_cancel() -> bool:
        if cancelled is not None and not stop[0] and time.monotonic() - last_check[0] >= CANCEL_CHECK_SECONDS:
            last_check[0] = time.monotonic()
            stop[0] = cancelled()
        return stop[0]

    with tempfile.TemporaryDirectory(prefix="yz-ansible-") as private:
        env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               "ANSIBLE_LOCAL_TEMP": f"{private}/tmp", "ANSIBLE_REMOTE_TEMP": f"{private}/remote-tmp",
               "ANSIBLE_HOME": f"{private}/home", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
               "ANSIBLE_PYTHON_INTERPRETER": "auto_silent"}
        runner = ansible_runner.run(private_data_dir=private, project_dir=str(project_dir or PLAYBOOKS_DIR),
                                    playbook=playbook,
                                    inventory=inventory, extravars=extravars or {},
                                    cmdline="--check --diff" if check else None, envvars=env, quiet=True,
                                    event_handler=on_event, cancel_callback=on_cancel, suppress_env_files=True)
        return PlaybookResult(status=runner.status, rc=runner.rc, stats=_per_host(recap), failures=failures)
