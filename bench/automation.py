"""Benchmark: device automation against 50 emulated Cisco switches in one process (tests/fakeswitches.py), over
real SSH on 127.0.0.1. Times (a) the service's backup of every device (backups.backup_all, one after another, as
the daily job runs it), (b) the full change pipeline of an 8-line change on all of them (check → approve → apply
→ verify → write memory) with 16 workers, (c) a plain netmiko script doing the same device work one device after
another (show running-config, the 8 commands, the verify show commands, write memory), (d) that script with 16
threads. Each of (b), (c), (d) adds its own interconnect VLAN, so none finds its work already done.
Targets: (b) at least 8× faster than (c), (b) within 1.5× of (d): what the pipeline adds (records, events,
approval, canary, the check's backups) costs at most half again. Prints the figures; asserts nothing.
`bench/automation.py [SWITCHES] [--db sqlite|postgresql]`."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netmiko import ConnectHandler
from sqlalchemy import insert, select
from sqlmodel import Session

from bench.harness import arguments, database, figure
from control.app import create_app
from control.core.accounts import Department, Level, User
from control.core.auth import actor_for, hash_password
from control.core.migrate import upgrade
from control.core.roles import Role
from control.devices import backups
from control.devices import service as devices
from control.devices.schemas import DeviceCreate
from control.org.codes import uscc_check_char
from control.settings import Settings
from tests.fakeswitches import ENABLE, PASSWORD, USERNAME, Switches

ARGS = arguments(__doc__, 50)        # a smaller run: bench/automation.py 10
SWITCHES = ARGS.size
WORKERS = 16
NOW = datetime(2026, 11, 29, 1, tzinfo=UTC)
SPEEDUP_TARGET, OVERHEAD_TARGET = 8, 1.5
VLANS = {"pipeline": 3101, "sequential": 3102, "threaded": 3103}


def change(vlan: int) -> tuple[list[str], dict[str, str]]:
    """The 8 config lines (an interconnect VLAN, its SVI, an access port, a static route) and the verify show
    commands with the text each must show, as a plain script would type them: `exit` before the route, which the
    emulator takes only in global config (the service's adapter inserts it by itself)."""
    third = vlan % 250
    lines = [f"vlan {vlan}", f" name bench-{vlan}", f"interface Vlan{vlan}", f" description bench-interconnect-{vlan}",
             f" ip address 10.250.{third}.1 255.255.255.0", "interface FastEthernet0/7",
             f" switchport access vlan {vlan}", "exit", f"ip route 10.251.{third}.0 255.255.255.0 10.250.{third}.254"]
    return lines, {f"show running-config interface Vlan{vlan}": f"description bench-interconnect-{vlan}",
                   "show ip route static": f"10.251.{third}.0"}


def plain_device(params: dict, vlan: int) -> None:
    """What an engineer's script does on one switch, with netmiko and nothing else."""
    lines, verify = change(vlan)
    c = ConnectHandler(**params)
    try:
        c.enable()
        c.send_command("show running-config")
        c.send_config_set(lines, exit_config_mode=False)      # the emulator has no `end`
        c.send_command("exit", expect_string=r"#")
        for command, expected in verify.items():
            output = c.send_command(command)
            if expected not in output:
                raise RuntimeError(f"verify failed on port {params['port']}: {command}: {output}")
        c.send_command("write memory")
    finally:
        c.disconnect()


def plain(switches: Switches, vlan: int, threads: int) -> float:
    t = time.perf_counter()
    devices_ = [switches.device(name) for name in switches.names]
    if threads == 1:
        for params in devices_:
            plain_device(params, vlan)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda p: plain_device(p, vlan), devices_))
    return time.perf_counter() - t


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
    print(f"{SWITCHES} emulated switches in one process, {ARGS.db}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f} at start")
    seconds, counts = backup_all(engine)
    print(f"(a) backup of all {SWITCHES} (backup_all, one after another): {seconds:.1f} s "
          f"({seconds / SWITCHES:.2f} s a device; {counts})")
    figure(f"device backup of all {SWITCHES}", seconds, "s", size=SWITCHES)
    sequential = plain(switches, VLANS["sequential"], 1)
    print(f"(c) plain netmiko script, one device after another: {sequential:.1f} s "
          f"({sequential / SWITCHES:.2f} s a device)")
    figure("plain netmiko script, sequential", sequential, "s", size=SWITCHES)
    threaded = plain(switches, VLANS["threaded"], WORKERS)
    print(f"(d) plain netmiko script, {WORKERS} threads: {threaded:.1f} s ({sequential / threaded:.1f}× (c))")
    figure(f"plain netmiko script, {WORKERS} threads", threaded, "s", size=SWITCHES)
    print(f"load {os.getloadavg()[0]:.1f} at the end")
    engine.dispose()


if __name__ == "__main__":
    main()
