"""The pure rules of device configs: noise lines ignored, secret lines masked, versions compared by digest,
diffs between two versions."""
from __future__ import annotations

from control.devices import rules

RUNNING = """Building configuration...\r
\r
Current configuration : 386 bytes\r
! Last configuration change at 10:00:01 UTC Mon Nov 2 2026 by admin
! NVRAM config last updated at 09:00:00 UTC Mon Nov 2 2026
version 12.1
hostname sw01
enable secret 5 $1$abcd$xyz
username admin privilege 15 password 7 0822455D0A16
snmp-server community Publ1c-Str RO
tacacs-server key 7 045802150C2E
crypto isakmp key Sup3r-psk address 1.2.3.4
interface Vlan100
 description 教育专网互联
 ip address 10.1.1.1 255.255.255.0
end
"""


def test_noise_lines_do_not_make_a_new_version():
    later = (RUNNING.replace("386 bytes", "512 bytes").replace("10:00:01", "23:59:59")
             .replace("09:00:00", "22:00:00"))
    assert rules.digest(rules.stored_form(RUNNING)) == rules.digest(rules.stored_form(later))
    changed = RUNNING.replace("教育专网互联", "教育专网互联（新）")
    assert rules.digest(rules.stored_form(RUNNING)) != rules.digest(rules.stored_form(changed))
    stored = rules.stored_form(RUNNING)
    assert stored.startswith("version 12.1\n") and "Current configuration" not in stored and "\r" not in stored


def test_secret_lines_are_masked_keeping_their_keyword():
    stored = rules.stored_form(RUNNING)
    for secret in ("$1$abcd$xyz", "0822455D0A16", "Publ1c-Str", "045802150C2E", "Sup3r-psk"):
        assert secret not in stored
    assert "enable secret <已隐藏>" in stored and "username admin privilege 15 password <已隐藏>" in stored
    assert "snmp-server community <已隐藏>" in stored and "tacacs-server key <已隐藏>" in stored
    assert " ip address 10.1.1.1 255.255.255.0" in stored       # other lines untouched


def test_diff_between_versions():
    old = rules.stored_form(RUNNING)
    new = rules.stored_form(RUNNING.replace("hostname sw01", "hostname sw01\nvlan 123\n name edu"))
    diff = rules.unified_diff(old, new, "v1", "v2")
    assert "+vlan 123\n" in diff and "+ name edu\n" in diff and diff.startswith("--- v1\n+++ v2\n")
    kinds = dict(rules.diff_lines(diff))
    assert kinds["add"] and kinds["file"] and kinds["hunk"]
    assert rules.unified_diff(old, old, "v1", "v1") == ""


def test_ios_error_answers_are_recognised():
    from control.devices.netmiko import ios_error
    for answer in ("                ^\n% Invalid input detected at '^' marker.", "% Incomplete command.",
                   "% Ambiguous command:  \"sh\"", "No such command : foo bar"):
        assert ios_error(answer), answer
    for answer in ("", "Building configuration...\n[OK]", " description 100% uptime", "vlan 100\n name x"):
        assert not ios_error(answer), answer
