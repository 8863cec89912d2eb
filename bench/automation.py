"""Benchmark: device automation against 50 emulated Cisco switches in one process (tests/fakeswitches.py), over
real SSH on 127.0.0.1. Times (a) the service's backup of every device (backups.backup_all, one after another, as
the daily job runs it), (b) the full change pipeline of an 8-line change on all of them (check → approve → apply
→ verify → write memory) with 16 workers, (c) a plain netmiko script doing the same device work one device after
another (show running-config, the 8 commands, the verify show commands, write memory), (d) that script with 16
threads. The change is playbooks/network/interconnect_update (an interconnect's description and 6 static
routes); each of (b), (b'), (c), (d) changes its own interconnect, so none finds its work already done. (b) runs
first, right after the backups, so that no device has drifted (changed outside yunzhang) when it is checked.
In (b) the approval follows the check at once, so the drift check and the apply use the device sessions the
check kept (netmiko.connect's keep, 30 s by default); (b') is the same pipeline with every session closed after
each step, as when the approver comes later than that: it logs in to every device three times (check, drift
check, apply). (c) and (d) run paramiko as it comes, without the adapter's C comparison of packet MACs.
Targets: (b) at least 8× faster than (c), (b) within 1.5× of (d): what the pipeline adds
(records, events, approval, canary, the check's backups) costs at most half again. Prints the figures; asserts
nothing.
`bench/automation.py [SWITCHES] [--db sqlite|postgresql]`."""
from __future__ import annotations

import hmac
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paramiko.util
from netmiko import ConnectHandler
from sqlalchemy import insert, select
from sqlmodel import Session

from bench.harness import arguments, database, figure
from control.app import create_app
from control.automation import service as changes
from control.automation import templates
from control.automation.enums import ChangeKind, ChangeStatus
from control.automation.models import Change
from control.automation.schemas import ChangeActionIn, ChangeIn
from control.core import runs
from control.core.accounts import Department, Level, User
from control.core.auth import actor_for, hash_password
from control.core.migrate import upgrade
from control.core.roles import Role
from control.devices import backups
from control.devices import service as devices
from control.devices.netmiko import IDLE, PARAMIKO_BYTES_EQ
from control.devices.schemas import DeviceCreate
from control.org.codes import uscc_check_char
from control.settings import Settings
from tests.fakeswitches import ENABLE, PASSWORD, USERNAME, Switches

ARGS = arguments(__doc__, 50)        # a smaller run: bench/automation.py 10
SWITCHES = ARGS.size
WORKERS = 16
NOW = datetime(2026, 11, 29, 1, tzinfo=UTC)
SPEEDUP_TARGET, OVERHEAD_TARGET = 8, 1.5
VLANS = {"pipeline": 3101, "sequential": 3102, "threaded": 3103, "pipeline, sessions closed": 3104}
TEMPLATE = "interconnect_update"     # an interconnect's description and 6 new static routes: 8 config lines
GLOBAL = ("ip route ", "no ip route ")


def variables(vlan: int) -> dict:
    third = vlan % 250
    return {"vlan_id": vlan, "description": f"bench-interconnect-{vlan}", "old_description": "none",
            "add_routes": [f"10.{200 + n}.{third}.0/24 via 10.250.{third}.254" for n in range(6)]}


def change(vlan: int) -> tuple[list[str], list[dict]]:
    """The template's 8 config lines and verify commands with their patterns, rendered as the pipeline renders
    them, with the `exit` a plain script types before a global command (the emulator drops `ip route` in an
    interface; the service's adapter leaves the sub-mode by itself)."""
    rendered = templates.get(TEMPLATE).render(variables(vlan))
    lines, in_sub = [], False
    for line in rendered.commands:
        if in_sub and line.startswith(GLOBAL):
            lines.append("exit")
            in_sub = False
        elif line.startswith(("interface ", "vlan ")):
            in_sub = True
        lines.append(line)
    return lines, rendered.verify


def plain_device(params: dict, vlan: int) -> None:
    """What an engineer's script does on one switch, with netmiko and nothing else."""
    lines, verify = change(vlan)
    c = ConnectHandler(**params)
    try:
        c.enable()
        c.send_command("show running-config")
        c.send_config_set(lines, exit_config_mode=False)      # the emulator has no `end`
        c.send_command("exit", expect_string=r"#")
        for check in verify:
            output = c.send_command(check["command"])
            if not all(re.search(p, output, re.M) for p in check["expect"]) or any(
                    re.search(p, output, re.M) for p in check["absent"]):
                raise RuntimeError(f"verify failed on port {params['port']}: {check['command']}")
        c.send_command("write memory")
    finally:
        c.disconnect()


def plain(switches: Switches, vlan: int, threads: int) -> float:
    """The script's seconds, with paramiko as it comes (without the adapter's faster MAC comparison)."""
    paramiko.util.constant_time_bytes_eq = PARAMIKO_BYTES_EQ
    try:
        return _plain(switches, vlan, threads)
    finally:
        paramiko.util.constant_time_bytes_eq = hmac.compare_digest


def _plain(switches: Switches, vlan: int, threads: int) -> float:
    t = time.perf_counter()
    devices_ = [switches.device(name) for name in switches.names]
    if threads == 1:
        for params in devices_:
            plain_device(params, vlan)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda p: plain_device(p, vlan), devices_))
    return time.perf_counter() - t


def emulator_cpu(switches: Switches) -> float:
    """CPU seconds the switches' one process has used so far (user + system, from /proc): whether the one
    single-threaded emulator, rather than the device round trips, bounds the parallel runs."""
    fields = Path(f"/proc/{switches.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def populate(engine, switches: Switches) -> None:
    """One department, an operator who writes changes and a second user who approves them, and the switches
    as devices whose credentials are secret references (resolved from the environment)."""
    body = "11450000000000001"
    with engine.begin() as conn:
        conn.execute(insert(Department), [{"id": 1, "code": body + uscc_check_char(body), "name": "自治区大数据局",
                                           "level": Level.province, "parent_id": None, "path": "/1/", "active": True,
                                           "created_at": NOW}])
        conn.execute(insert(User), [{"username": name, "display_name": name, "role": role, "active": True,
                                     "password_hash": hash_password("bench-password"), "created_at": NOW}
                                    for name, role in (("operator", Role.infocenter), ("approver", Role.bureau))])
    os.environ["YUNZHANG_SECRET_BENCH_SW_PASS"] = PASSWORD
    os.environ["YUNZHANG_SECRET_BENCH_SW_ENABLE"] = ENABLE
    with Session(engine, expire_on_commit=False) as session:
        actor = actor_for(session, session.execute(select(User).where(User.username == "operator")).scalar_one())
        for name in switches.names:
            devices.create_device(session, actor, DeviceCreate(
                name=name, host="127.0.0.1", port=switches.ports[name], department_id=1, username=USERNAME,
                password_ref="secret:bench-sw-pass", enable_secret_ref="secret:bench-sw-enable"))


def backup_all(engine) -> tuple[float, dict[str, int]]:
    with Session(engine, expire_on_commit=False) as session:
        actor = actor_for(session, session.execute(select(User).where(User.username == "operator")).scalar_one())
        t = time.perf_counter()
        counts = backups.backup_all(session, actor)
        return time.perf_counter() - t, counts


def actor(session: Session, username: str):
    return actor_for(session, session.execute(select(User).where(User.username == username)).scalar_one())


def wait(engine, change_id: int, until: tuple[ChangeStatus, ...]) -> ChangeStatus:
    """Poll the change until its run has ended and it is in one of `until` (or ended elsewhere)."""
    while True:
        with Session(engine) as session:
            change = session.get(Change, change_id)
            run = session.get(runs.Run, change.run_id) if change.run_id else None
            if run is not None and run.status in runs.FINISHED and change.status in until:
                return change.status
            if run is not None and run.status in runs.FINISHED and change.status not in changes.rules.ACTIVE:
                return change.status
        time.sleep(0.05)


def pipeline(app, vlan: int, keep_sessions: bool = True) -> tuple[float, dict[str, float]]:
    """create → check → approve (a second person, pinned to the checked digest) → apply (canary, then 16 at a
    time: drift check, commands, verify, write memory, post-change backup); the seconds of each step. Without
    `keep_sessions` the sessions kept by each step are closed before the next."""
    def step_done() -> None:
        if not keep_sessions:
            IDLE.close_all()

    engine, policy = app.state.engine, app.state.policy
    steps: dict[str, float] = {}
    with Session(engine, expire_on_commit=False) as session:
        operator, approver = actor(session, "operator"), actor(session, "approver")
        ids = [d.id for d in devices.list_devices(session, operator, devices.DeviceFilter(), limit=1000)[0]]
        step_done()
        t0 = time.perf_counter()
        change = changes.create_change(session, operator, ChangeIn(
            kind=ChangeKind.device, template=TEMPLATE, variables=variables(vlan), device_ids=ids, concurrency=WORKERS))
        changes.act(session, operator, policy, change.id, "check", ChangeActionIn())
        status = wait(engine, change.id, (ChangeStatus.checked,))
        steps["check"] = time.perf_counter() - t0
        if status != ChangeStatus.checked:
            raise RuntimeError(f"check ended {status}: {session.get(Change, change.id).error}")
        step_done()
        t = time.perf_counter()
        digest = changes.detail(session, changes.get_change(session, approver, change.id)).digest
        changes.act(session, approver, policy, change.id, "approve", ChangeActionIn(digest=digest))
        step_done()
        changes.act(session, operator, policy, change.id, "apply", ChangeActionIn())
        steps["approve and drift check"] = time.perf_counter() - t
        t = time.perf_counter()
        status = wait(engine, change.id, (ChangeStatus.succeeded,))
        steps["apply"] = time.perf_counter() - t
        if status != ChangeStatus.succeeded:
            session.expire_all()
            raise RuntimeError(f"apply ended {status}: {session.get(Change, change.id).error}")
        return time.perf_counter() - t0, steps


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="yz-bench-automation-"))
    try:
        with Switches(SWITCHES, tmp / "switches", prefix="bsw", timeout=120) as switches, \
                database(ARGS.db, tmp, "automation") as url:
            run(url, tmp, switches)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(url: str, tmp: Path, switches: Switches) -> None:
    upgrade(url)
    app = create_app(Settings(database_url=url, secret_key="bench", scheduler_enabled=False, var_dir=tmp,
                              automation_workers=0))
    engine = app.state.engine
    populate(engine, switches)
    pool = runs.WorkerPool(engine, 2).start()      # one change at a time; its devices 16 at a time
    print(f"{SWITCHES} emulated switches in one process, {ARGS.db}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f} at start")
    lines, verify = change(VLANS["pipeline"])
    print(f"change: template {TEMPLATE}, {len([x for x in lines if x != 'exit'])} config lines, "
          f"{len(verify)} verify commands; {WORKERS} workers")
    seconds, counts = backup_all(engine)
    print(f"(a) backup of all {SWITCHES} (backup_all, one after another): {seconds:.1f} s "
          f"({seconds / SWITCHES:.2f} s a device; {counts})")
    figure(f"device backup of all {SWITCHES}", seconds, "s", size=SWITCHES)
    cpu = emulator_cpu(switches)
    piped, steps = pipeline(app, VLANS["pipeline"])
    cpu_piped = emulator_cpu(switches) - cpu
    print(f"(b) change pipeline, {WORKERS} workers: {piped:.1f} s ("
          + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()) + f"); emulator CPU {cpu_piped:.1f} s")
    figure(f"change pipeline, {WORKERS} workers", piped, "s", size=SWITCHES)
    fresh, steps = pipeline(app, VLANS["pipeline, sessions closed"], keep_sessions=False)
    print(f"(b') change pipeline, {WORKERS} workers, every session closed after each step (an approval later than "
          f"the sessions are kept): {fresh:.1f} s (" + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items())
          + ")")
    figure(f"change pipeline, {WORKERS} workers, sessions closed between steps", fresh, "s", size=SWITCHES)
    cpu = emulator_cpu(switches)
    sequential = plain(switches, VLANS["sequential"], 1)
    cpu_sequential, cpu = emulator_cpu(switches) - cpu, emulator_cpu(switches)
    print(f"(c) plain netmiko script, one device after another: {sequential:.1f} s "
          f"({sequential / SWITCHES:.2f} s a device); emulator CPU {cpu_sequential:.1f} s")
    figure("plain netmiko script, sequential", sequential, "s", size=SWITCHES)
    threaded = plain(switches, VLANS["threaded"], WORKERS)
    cpu_threaded = emulator_cpu(switches) - cpu
    print(f"(d) plain netmiko script, {WORKERS} threads: {threaded:.1f} s ({sequential / threaded:.1f}× (c)); "
          f"emulator CPU {cpu_threaded:.1f} s")
    figure(f"plain netmiko script, {WORKERS} threads", threaded, "s", size=SWITCHES)
    print(f"(c)/(b) {sequential / piped:.1f}×  target ≥ {SPEEDUP_TARGET}×;  (b)/(d) {piped / threaded:.2f}×  "
          f"target ≤ {OVERHEAD_TARGET}×;  (b')/(d) {fresh / threaded:.2f}×")
    figure("pipeline speed-up over the sequential script", sequential / piped, "×", SPEEDUP_TARGET, ">=",
           size=SWITCHES)
    figure(f"pipeline ÷ script with {WORKERS} threads", piped / threaded, "×", OVERHEAD_TARGET, "<=", size=SWITCHES)
    print(f"the emulator's CPU ({cpu_piped:.1f} s for (b), {cpu_threaded:.1f} s for (d)) shows device round trips, "
          "not the emulator, bound both")
    IDLE.close_all()
    print(f"load {os.getloadavg()[0]:.1f} at the end")
    pool.stop()
    engine.dispose()


if __name__ == "__main__":
    main()
