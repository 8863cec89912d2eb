"""The netmiko adapter: the only module that imports netmiko (DESIGN: one adapter per outside system).

A connection lives for one device call and is always closed. Every command sent and its answer goes to the
caller's `emit(event)` (a run stores them as its events) with the device's secrets redacted. Any answer
carrying an IOS error fails the call with IOSCommandError naming the command. Config sets honour what real
IOS and the fake-switches emulator both accept: config mode is left with `exit` (the emulator has no `end`),
and a global-only command (`ip route`) is sent from global config, so an open sub-mode is left first."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoBaseException
from paramiko.ssh_exception import SSHException

Emit = Callable[[dict], None]
REDACTED = "******"
# Answers IOS gives to a command it refused. fake-switches answers an unknown config command with
# "No such command", which real IOS words as "% Invalid input": both fail the command.
IOS_ERROR = re.compile(r"^\s*(% ?(Invalid input|Incomplete command|Ambiguous command|Unknown command|Bad mask)"
                       r"|No such command)", re.IGNORECASE | re.MULTILINE)
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
        self.prompt = re.escape(handler.base_prompt) + r"[^\n#>]*#"
        self.in_sub = False

    def emit(self, event: dict) -> None:
        self._emit({k: self.target.redact(v) if isinstance(v, str) else v for k, v in event.items()})

    def send(self, command: str, *, check: bool = True) -> str:
        """One command and its answer (emitted); IOSCommandError when the answer is an IOS error."""
        try:
            output = self.handler.send_command(command, expect_string=self.prompt, read_timeout=self.timeout,
                                               strip_prompt=True, strip_command=True)
        except (NetmikoBaseException, SSHException, OSError, EOFError) as exc:
            self.emit({"kind": "error", "device": self.target.name, "command": command, "output": str(exc)})
            raise DeviceError(f"设备 {self.target.name} 未能执行命令“{command}”：{type(exc).__name__}") from None
        failed = check and ios_error(output)
        self.emit({"kind": "command", "device": self.target.name, "command": command, "output": output,
                   "failed": failed})
        if failed:
            raise IOSCommandError(self.target.name, command, output)
        return output

    def show(self, command: str) -> str:
        return self.send(command)

    def running_config(self) -> str:
        return self.send("show running-config")

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


@contextmanager
def connect(target: Target, emit: Emit | None = None, timeout: float = 20) -> Iterator[Connection]:
    """A logged-in, enabled session to `target`, closed on leaving; DeviceError when it cannot be had."""
    sink = emit or (lambda event: None)
    sink({"kind": "connect", "device": target.name, "host": target.host, "port": target.port})
    try:
        handler = ConnectHandler(device_type=target.device_type, host=target.host, port=target.port,
                                 username=target.username, password=target.password, secret=target.secret,
                                 conn_timeout=timeout, auth_timeout=timeout, banner_timeout=timeout,
                                 read_timeout_override=timeout, fast_cli=True)
    except (NetmikoBaseException, SSHException, OSError, EOFError, ValueError) as exc:
        sink({"kind": "error", "device": target.name, "output": target.redact(str(exc))})
        raise DeviceError(f"无法连接设备 {target.name}（{target.host}:{target.port}）：{type(exc).__name__}") from None
    try:
        connection = Connection(target, handler, sink, timeout)
        if target.secret:
            try:
                handler.enable()
            except (NetmikoBaseException, SSHException, OSError, ValueError) as exc:
                raise DeviceError(f"设备 {target.name} 未能进入特权模式：{type(exc).__name__}") from None
        yield connection
    finally:
        with suppress(Exception):   # a session the device already dropped: nothing left to close
            handler.disconnect()
        sink({"kind": "disconnect", "device": target.name})


def device_types() -> frozenset[str]:
    """The device_type values netmiko can drive (its SSH platforms)."""
    from netmiko.ssh_dispatcher import CLASS_MAPPER
    return frozenset(CLASS_MAPPER)
