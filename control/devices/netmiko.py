"""The netmiko adapter: the only module that imports netmiko (DESIGN: one adapter per outside system).

A connection lives for one device call and is always closed. Every command sent and its answer goes to the
caller's `emit(event)` (a run stores them as its events) with the device's secrets redacted. Any answer
carrying an IOS error fails the call with IOSCommandError naming the command. Config sets honour what real
IOS and the fake-switches emulator both accept: config mode is left with `exit` (the emulator has no `end`),
and a global-only command (`ip route`) is sent from global config, so an open sub-mode is left first."""
from __future__ import annotations

import atexit
import hmac
import re
import select
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import paramiko.util
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoBaseException
from paramiko.ssh_exception import SSHException

Emit = Callable[[dict], None]
# paramiko (5.1 too) checks each packet's MAC with a Python loop over its bytes: with a device that echoes
# each typed character in a packet of its own, most of a change's CPU. hmac.compare_digest is the standard
# library's constant-time comparison of the same two byte strings, in C. PARAMIKO_BYTES_EQ is paramiko's own,
# kept for whoever must measure paramiko as it comes (bench/automation.py's plain script).
PARAMIKO_BYTES_EQ = paramiko.util.constant_time_bytes_eq
paramiko.util.constant_time_bytes_eq = hmac.compare_digest
REDACTED = "******"
# Answers IOS gives to a command it refused. fake-switches answers an unknown config command with
# "No such command", which real IOS words as "% Invalid input": both fail the command.
IOS_ERROR = re.compile(r"^\s*(% ?(Invalid input|Incomplete command|Ambiguous command|Unknown command|Bad mask)"
                       r"|No such command)", re.IGNORECASE | re.MULTILINE)
RUNNING_CONFIG = "show running-config"
KEEPS_CONFIG = ("show ", "write memory", "copy running-config startup-config")   # leave the running config as is
GLOBAL_ONLY = ("ip route ", "no ip route ")            # dropped by the emulator when typed in a sub-mode
SUB_MODES = ("interface ", "vlan ", "router ", "line ", "ip access-list ", "policy-map ", "class-map ")


class DeviceError(Exception):
    """The device could not be reached or did not answer in time; the message names the device (zh-CN)."""


class IOSCommandError(DeviceError):
    """A command answered with an IOS error."""

    def __init__(self, device: str, command: str, output: str):
        self.device, self.command, self.output = device, command, output
        first = next((line.strip() for line in output.splitlines() if IOS_ERROR.match(line)), output.strip())
        super().__init__(f"设备 {device} 拒绝了命令“{command}”：{first}")


@dataclass(frozen=True)
class Target:
    """Where and how to log in: the resolved credentials stay out of repr (and so out of tracebacks and logs)."""
    name: str
    host: str
    port: int
    device_type: str
    username: str
    password: str = field(repr=False)
    secret: str = field(default="", repr=False)

    def redact(self, text: str) -> str:
        for value in (self.password, self.secret):
            if value:
                text = text.replace(value, REDACTED)
        return text


def ios_error(output: str) -> bool:
    return IOS_ERROR.search(output) is not None


class Connection:
    """One logged-in, enabled session; use `connect()`."""

    def __init__(self, target: Target, handler, emit: Emit, timeout: float):
        self.target, self.handler, self._emit, self.timeout = target, handler, emit, timeout
        # The device's prompt ending the answer (exec or any config mode: "sw01#", "sw01(config-if)#").
        self.prompt = re.compile(r"(?:^|\n)" + re.escape(handler.base_prompt) + r"[^\n#>]*#\s*$")
        self.in_sub = False
        self.config: str | None = None        # the running config as last shown, until a command may change it

    def emit(self, event: dict) -> None:
        self._emit({k: self.target.redact(v) if isinstance(v, str) else v for k, v in event.items()})

    def send(self, command: str, *, check: bool = True) -> str:
        """One command and its answer (emitted); IOSCommandError when the answer is an IOS error."""
        try:
            output = self._exchange(command)
        except (NetmikoBaseException, SSHException, OSError, EOFError, TimeoutError) as exc:
            self.emit({"kind": "error", "device": self.target.name, "command": command, "output": str(exc)})
            raise DeviceError(f"设备 {self.target.name} 未能执行命令“{command}”：{type(exc).__name__}") from None
        failed = check and ios_error(output)
        if not command.startswith(KEEPS_CONFIG):
            self.config = None
        self.emit({"kind": "command", "device": self.target.name, "command": command, "output": output,
                   "failed": failed})
        if failed:
            raise IOSCommandError(self.target.name, command, output)
        return output

    def _exchange(self, command: str) -> str:
        """The command's answer, the echo and the prompt stripped as netmiko's send_command strips them."""
        return self.handler.strip_prompt(self.handler.strip_command(self.handler.normalize_cmd(command),
                                                                    self._raw(command)))

    def _raw(self, command: str) -> str:
        """Write the command and read until the prompt ends the answer, waking when the device writes rather
        than sleeping in a polling loop (netmiko's send_command sleeps 10-25 ms a read: most of a config
        line's time on a near device)."""
        handler, channel = self.handler, self.handler.remote_conn
        handler.write_channel(handler.normalize_cmd(command))
        deadline = time.monotonic() + self.timeout
        output = ""
        while True:
            output += handler.read_channel()
            if self.prompt.search(output) and command.strip() in output:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(command)
            select.select([channel], [], [], min(left, 1.0))
        return output

    def in_exec_mode(self) -> bool:
        """Whether the session answers a bare return with its privileged exec prompt (not a config mode)."""
        lines = self._raw("").strip().splitlines()
        return bool(lines) and lines[-1].strip() == self.handler.base_prompt + "#"

    def show(self, command: str) -> str:
        return self.running_config() if command == RUNNING_CONFIG else self.send(command)

    def running_config(self) -> str:
        """`show running-config`, sent again only when a command since the last one may have changed it (a
        verify that showed it and the post-change backup that follows read it once)."""
        if self.config is None:
            self.config = self.send(RUNNING_CONFIG)
        return self.config

    def configure(self, commands: Sequence[str]) -> list[str]:
        """Send a config set; the answers in order. Stops at the first refused command (IOSCommandError); config
        mode is left in every case, so the session ends where it began."""
        self.send("configure terminal")
        self.in_sub = False
        outputs = []
        try:
            for raw in commands:
                command = raw.strip()
                # `end` is not understood by the emulator: config mode is left with exit below, whatever the set says.
                if not command or command.startswith("!") or command == "end":
                    continue
                if self.in_sub and command.startswith(GLOBAL_ONLY):
                    self.send("exit")
                    self.in_sub = False
                outputs.append(self.send(command))
                if command == "exit":
                    self.in_sub = False
                elif command.startswith(SUB_MODES):
                    self.in_sub = True
        except DeviceError:
            with suppress(DeviceError):               # the first error is the one to report
                self._leave_config()
            raise
        self._leave_config()
        return outputs

    def _leave_config(self) -> None:
        if self.in_sub:
            self.send("exit", check=False)
            self.in_sub = False
        self.send("exit", check=False)

    def write_memory(self) -> str:
        return self.send("write memory")


class Idle:
    """Logged-in sessions kept for a short while after use (Ansible keeps its network sessions 30 s the same
    way), so the steps of one change that follow each other closely (the check, the drift check before apply,
    the apply, a rollback) log in to a device once: a login is most of the time a short change takes on a
    device. A session is lent to one caller at a time, checked with a bare return before it is lent again, and
    closed once idle for its time (a sweeper thread runs while any is kept) or at exit."""

    def __init__(self):
        self.lock = threading.Lock()
        self.kept: dict[Target, list[tuple[float, object]]] = {}
        self.sweeper: threading.Thread | None = None

    def take(self, target: Target):
        """A kept session to `target` not yet expired, or None."""
        with self.lock:
            found = self.kept.get(target) or []
            while found:
                expires, handler = found.pop()
                if expires > time.monotonic():
                    return handler
                _close(handler)
        return None

    def keep(self, target: Target, handler, seconds: float) -> None:
        with self.lock:
            self.kept.setdefault(target, []).append((time.monotonic() + seconds, handler))
            if self.sweeper is None or not self.sweeper.is_alive():
                self.sweeper = threading.Thread(target=self._sweep, name="device-sessions", daemon=True)
                self.sweeper.start()

    def _sweep(self) -> None:
        while True:
            time.sleep(1)
            with self.lock:
                moment = time.monotonic()
                for target, found in list(self.kept.items()):
                    for expires, handler in [f for f in found if f[0] <= moment]:
                        found.remove((expires, handler))
                        _close(handler)
                    if not found:
                        del self.kept[target]
                if not self.kept:
                    self.sweeper = None
                    return

    def close_all(self) -> None:
        with self.lock:
            for found in self.kept.values():
                for _, handler in found:
                    _close(handler)
            self.kept.clear()


def _close(handler) -> None:
    with suppress(Exception):   # a session the device already dropped: nothing left to close
        handler.disconnect()


IDLE = Idle()
atexit.register(IDLE.close_all)


def _login(target: Target, sink: Emit, timeout: float):
    try:
        handler = ConnectHandler(device_type=target.device_type, host=target.host, port=target.port,
                                 username=target.username, password=target.password, secret=target.secret,
                                 conn_timeout=timeout, auth_timeout=timeout, banner_timeout=timeout,
                                 read_timeout_override=timeout, fast_cli=True)
    except (NetmikoBaseException, SSHException, OSError, EOFError, ValueError) as exc:
        sink({"kind": "error", "device": target.name, "output": target.redact(str(exc))})
        raise DeviceError(f"无法连接设备 {target.name}（{target.host}:{target.port}）：{type(exc).__name__}") from None
    if target.secret:
        try:
            handler.enable()
        except (NetmikoBaseException, SSHException, OSError, ValueError) as exc:
            _close(handler)
            raise DeviceError(f"设备 {target.name} 未能进入特权模式：{type(exc).__name__}") from None
    return handler


def _reuse(target: Target, sink: Emit, timeout: float) -> Connection | None:
    """A kept session that still answers a bare return with its exec prompt, or None."""
    while (handler := IDLE.take(target)) is not None:
        connection = Connection(target, handler, sink, timeout)
        try:
            if connection.in_exec_mode():
                return connection
        except (NetmikoBaseException, SSHException, OSError, EOFError, TimeoutError, ValueError):
            pass
        _close(handler)
    return None


@contextmanager
def connect(target: Target, emit: Emit | None = None, timeout: float = 20, keep: float = 0
            ) -> Iterator[Connection]:
    """A logged-in, enabled session to `target`; DeviceError when it cannot be had. Closed on leaving, unless
    `keep` seconds are given: then a session kept from an earlier call is used if one still answers, and the
    session is kept that long after a call that ended without error (an error closes it)."""
    sink = emit or (lambda event: None)
    connection = _reuse(target, sink, timeout) if keep else None
    sink({"kind": "connect", "device": target.name, "host": target.host, "port": target.port,
          **({"reused": True} if connection else {})})
    if connection is None:
        connection = Connection(target, _login(target, sink, timeout), sink, timeout)
    kept = False
    try:
        yield connection
        kept = bool(keep) and not connection.in_sub
    finally:
        if kept:
            IDLE.keep(target, connection.handler, keep)
        else:
            _close(connection.handler)
        sink({"kind": "disconnect", "device": target.name, **({"kept": keep} if kept else {})})


def device_types() -> frozenset[str]:
    """The device_type values netmiko can drive (its SSH platforms)."""
    from netmiko.ssh_dispatcher import CLASS_MAPPER
    return frozenset(CLASS_MAPPER)
