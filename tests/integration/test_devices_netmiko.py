"""The netmiko adapter against emulated Cisco switches over real SSH on 127.0.0.1: the running config, a
config set honouring the emulator's quirks, IOS errors failing the command by name, write memory, events
with the secrets redacted, and the connection closed every time."""
from __future__ import annotations

import pytest

from control.devices.netmiko import IDLE, REDACTED, DeviceError, IOSCommandError, Target, connect
from tests.fakeswitches import ENABLE, PASSWORD, USERNAME


def target(switches, name: str, **extra) -> Target:
    values = {"name": name, "host": "127.0.0.1", "port": switches.ports[name], "device_type": "cisco_ios",
              "username": USERNAME, "password": PASSWORD, "secret": ENABLE, **extra}
    return Target(**values)


def test_show_configure_and_write(fake_switches):
    events: list[dict] = []
    with connect(target(fake_switches, "sw03"), events.append, timeout=10) as c:
        assert "hostname sw03" in c.running_config()
        # `ip route` typed inside an interface is dropped by the emulator: the adapter leaves the sub-mode first.
        c.configure(["vlan 310", " name edu-interconnect", "interface Vlan310", " description edu-interconnect",
                     " ip address 10.31.0.1 255.255.255.0", "ip route 10.32.0.0 255.255.0.0 10.31.0.254"])
        config = c.running_config()
        assert "vlan 310" in config and "description edu-interconnect" in config
        assert "ip route 10.32.0.0 255.255.0.0 10.31.0.254" in config
        assert "OK" in c.write_memory()
    sent = [e["command"] for e in events if e["kind"] == "command"]
    assert sent[:2] == ["show running-config", "configure terminal"]
    assert sent.index("ip route 10.32.0.0 255.255.0.0 10.31.0.254") == sent.index(" ip address 10.31.0.1 "
                                                                                   "255.255.255.0".strip()) + 2
    assert "end" not in sent and sent[-1] == "write memory" and events[-1]["kind"] == "disconnect"
    assert not any(PASSWORD in str(e) or ENABLE in str(e) for e in events)


def test_ios_error_names_the_command_and_leaves_config_mode(fake_switches):
    events: list[dict] = []
    with connect(target(fake_switches, "sw03"), events.append, timeout=10) as c:
        with pytest.raises(IOSCommandError) as exc:
            c.configure(["interface FastEthernet0/99", "description never"])
        assert exc.value.command == "interface FastEthernet0/99" and "% Invalid input" in str(exc.value)
        assert c.handler.find_prompt() == "sw03#"                 # back in exec mode, the session still usable
        assert "hostname sw03" in c.running_config()
    failed = [e for e in events if e.get("failed")]
    assert [e["command"] for e in failed] == ["interface FastEthernet0/99"]
    assert "description never" not in [e.get("command") for e in events]     # stopped at the first error


def test_secrets_are_redacted_from_every_event(fake_switches):
    events: list[dict] = []
    with connect(target(fake_switches, "sw03"), events.append, timeout=10) as c:
        c.configure(["interface Vlan311", f" description {PASSWORD}"])
        assert PASSWORD in c.handler.send_command("show running-config interface Vlan311")
    assert any(REDACTED in e.get("output", "") + e.get("command", "") for e in events)
    assert not any(PASSWORD in str(e) for e in events)
    assert "password" not in repr(target(fake_switches, "sw03")).lower().replace("password=", "")


def test_unreachable_and_refused_logins_are_device_errors(fake_switches):
    events: list[dict] = []
    with pytest.raises(DeviceError, match="无法连接设备 sw03"), connect(
            target(fake_switches, "sw03", password="wrong"), events.append, timeout=5):
        pass
    with pytest.raises(DeviceError, match="127.0.0.1:1"), connect(target(fake_switches, "sw04", port=1), timeout=3):
        pass
    assert [e["kind"] for e in events] == ["connect", "error"] and "wrong" not in str(events)


def test_a_kept_session_serves_the_next_call_until_an_error_or_its_time(fake_switches):
    """keep: the next connect within the time uses the same logged-in session (the switch is logged in to once);
    a session that died meanwhile is replaced by a fresh login; an error closes the session instead of keeping
    it; keep=0 keeps nothing."""
    login = target(fake_switches, "sw04")
    IDLE.close_all()

    def logins() -> int:
        return fake_switches.commands("sw04").count("terminal length 0")

    first = logins()
    events: list[dict] = []
    for _ in range(3):
        with connect(login, events.append, timeout=10, keep=30) as c:
            assert "hostname sw04" in c.running_config()
    assert logins() == first + 1
    assert [e.get("reused", False) for e in events if e["kind"] == "connect"] == [False, True, True]
    assert events[-1] == {"kind": "disconnect", "device": "sw04", "kept": 30}

    IDLE.kept[login][0][1].remote_conn.close()           # the device dropped the idle session
    with connect(login, timeout=10, keep=30) as c:
        assert "hostname sw04" in c.running_config()
    assert logins() == first + 2

    with pytest.raises(IOSCommandError), connect(login, timeout=10, keep=30) as c:
        c.configure(["interface FastEthernet0/99"])
    assert login not in IDLE.kept or not IDLE.kept[login]
    with connect(login, timeout=10, keep=0) as c:
        c.running_config()
    assert logins() == first + 3 and not IDLE.kept.get(login)


def test_the_running_config_is_shown_again_only_after_a_command_that_may_change_it(fake_switches):
    """A verify that showed the running config and the post-change backup after `write memory` read it once;
    a config set in between makes the next read ask the device again."""
    events: list[dict] = []
    with connect(target(fake_switches, "sw02"), events.append, timeout=10) as c:
        first = c.running_config()
        assert c.show("show running-config") == first
        c.write_memory()
        assert c.running_config() == first
        c.configure(["interface Vlan312", " description shown-again"])
        assert "shown-again" in c.running_config()
    sent = [e["command"] for e in events if e["kind"] == "command"]
    assert sent.count("show running-config") == 2
