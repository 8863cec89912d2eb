"""Crash safety: kill -9 of a `yunzhang worker` in the middle of an apply across several emulated switches (a
pause between devices, set for this test only, makes the moment deterministic), a new worker marks the run
interrupted and the change follows; resume verifies the devices already applied (not sent again) and carries
on. Counting the commands each switch received: nothing was applied twice."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakeswitches import Switches
from tests.integration.changes_helpers import (
    act,
    add_device,
    create_change,
    join_variables,
    sent,
    set_secrets,
    wait_status,
)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NAMES = ["rs01", "rs02", "rs03", "rs04"]


@pytest.fixture
def db_url(sqlite_url):
    return sqlite_url


def worker(db_url: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "yunzhang"), "worker", "--size", "1"], cwd=ROOT, start_new_session=True,
                            env={**os.environ, **env, "YUNZHANG_DATABASE_URL": db_url,
                                 "YUNZHANG_SECRET_KEY": "resume-test"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def test_kill_9_during_apply_then_resume_sends_nothing_twice(client, world, db_url, tmp_path, monkeypatch):
    env = set_secrets(monkeypatch, tmp_path)
    with Switches(len(NAMES), tmp_path / "switches", prefix="rs") as switches:
        ids = [add_device(client, world, name, switches.ports[name]) for name in NAMES]
        vlan = 777
        change = create_change(client, world, ids, join_variables(vlan), concurrency=1)
        first = worker(db_url, {**env, "YUNZHANG_AUTOMATION_DEVICE_PAUSE": "4"})
        try:
            act(client, world, change["id"], "check")
            wait_status(client, world, change["id"], "checked")
            act(client, world, change["id"], "approve", user="bureau")
            act(client, world, change["id"], "apply")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                got = client.get(f"/api/v1/changes/{change['id']}", headers=world.headers("infocenter")).json()
                if [t["status"] for t in got["targets"]][:2] == ["saved", "saved"]:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the first two devices were never saved")
        finally:
            stop(first)                     # kill -9, in the pause after the second device
        assert got["status"] == "applying"
        second = worker(db_url, env)
        try:
            interrupted = wait_status(client, world, change["id"], "interrupted", seconds=60)
            assert interrupted["runs"][-1]["status"] == "interrupted"
            assert [t["status"] for t in interrupted["targets"]] == ["saved", "saved", "checked", "checked"]
            act(client, world, change["id"], "resume")
            done = wait_status(client, world, change["id"], "succeeded")
        finally:
            stop(second)
        assert [t["status"] for t in done["targets"]] == ["saved"] * 4
        assert [r["mode"] for r in done["runs"]] == ["check", "apply", "apply"]
        for name in NAMES:
            commands = sent(switches, name)
            assert commands.count(f"vlan {vlan}") == 1, name
            assert commands.count("configure terminal") == 1, name
            assert commands.count("write memory") == 1, name
