"""Emulated Cisco switches (fake-switches' cisco_generic) for the device tests and the benchmark: N of them in
ONE subprocess, each on its own free 127.0.0.1 port, every command each one receives appended to its own file
(`<folder>/<name>.commands`, one line per command; the enable password is written as `<hidden>`), so a test
can count what a switch was sent. The emulator takes ASCII only (a vlan name in Chinese arrives empty and
crashes the session), as do real vlan names.

    with Switches(3, tmp_path) as switches:
        switches.ports["sw01"], switches.commands("sw01")

Run as a module it is the subprocess itself: `python -m tests.fakeswitches FOLDER NAME...` listens, writes
`FOLDER/ports.json` ({name: port}) once every switch listens, and serves until killed."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

# Values no other test data holds, so a test can look for them where secrets must never appear.
USERNAME, PASSWORD, ENABLE = "netops", "Sw-pass-7f3a9c", "En-secret-51e0b2"
ROOT = Path(__file__).resolve().parents[1]


class Switches:
    """The subprocess serving `count` switches named sw01, sw02, ...; started on enter, killed on exit."""

    def __init__(self, count: int, folder: Path, prefix: str = "sw", timeout: float = 60):
        self.names = [f"{prefix}{i:02d}" for i in range(1, count + 1)]
        self.folder = Path(folder)
        self.timeout = timeout
        self.ports: dict[str, int] = {}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Switches:
        self.folder.mkdir(parents=True, exist_ok=True)
        ready = self.folder / "ports.json"
        ready.unlink(missing_ok=True)
        log = (self.folder / "switches.log").open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "tests.fakeswitches", str(self.folder), *self.names],
                                        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + self.timeout
        while not ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"fake-switches did not start: see {self.folder / 'switches.log'}")
            time.sleep(0.05)
        self.ports = json.loads(ready.read_text())
        for port in self.ports.values():
            wait_for_ssh(port, deadline)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def commands(self, name: str) -> list[str]:
        """Every line switch `name` received so far, in order."""
        path = self.folder / f"{name}.commands"
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    def device(self, name: str) -> dict:
        """netmiko ConnectHandler arguments for switch `name`."""
        return {"device_type": "cisco_ios", "host": "127.0.0.1", "port": self.ports[name], "username": USERNAME,
                "password": PASSWORD, "secret": ENABLE}


def wait_for_ssh(port: int, deadline: float) -> None:
    """Until the port answers with an SSH banner."""
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.recv(4).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"switch on port {port} does not accept SSH")
        time.sleep(0.05)


def serve(folder: Path, names: list[str]) -> None:
    from fake_switches.command_processing.shell_session import ShellSession
    from fake_switches.switch_factory import SwitchFactory
    from fake_switches.transports.ssh_service import SwitchSshService
    from twisted.internet import reactor

    original = ShellSession.receive
    files = {name: (folder / f"{name}.commands").open("a", encoding="utf-8", buffering=1) for name in names}

    def receive(self, line):
        name = self.command_processor.switch_configuration.name
        files[name].write("<hidden>\n" if line in (PASSWORD, ENABLE) else f"{line}\n")
        return original(self, line)

    ShellSession.receive = receive
    factory = SwitchFactory()
    ports = {}
    for name in names:
        core = factory.get("cisco_generic", name, ENABLE)
        listening = SwitchSshService(ip="127.0.0.1", port=0, switch_core=core,
                                     users={USERNAME: PASSWORD.encode()}).hook_to_reactor(reactor)
        ports[name] = listening.getHost().port
    tmp = folder / "ports.json.tmp"
    tmp.write_text(json.dumps(ports))
    tmp.replace(folder / "ports.json")
    reactor.run()


if __name__ == "__main__":
    serve(Path(sys.argv[1]), sys.argv[2:])
