"""`yunzhang devices` through the real console script on a temp SQLite database with the demo county and
emulated switches: sync from the shipped-format inventory file (twice: nothing changes), list, backup of one
device and of all, drift after an out-of-band change — and the secrets in no output."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from netmiko import ConnectHandler

from control.demo import DEPARTMENTS, department_code
from tests.fakeswitches import ENABLE, PASSWORD, USERNAME

YUNZHANG = str(Path(sys.executable).parent / "yunzhang")
ROOT = Path(__file__).resolve().parents[2]
IC = next(department_code(region, seq) for seq, (key, _, _, _, region) in enumerate(DEPARTMENTS, 1) if key == "ic")


def run(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "YUNZHANG_DATABASE_URL": url, "YUNZHANG_SECRET_KEY": "cli-devices-test",
           "YUNZHANG_VAR_DIR": str(tmp_path / "var"), "YUNZHANG_SECRET_SW_PASS": PASSWORD,
           "YUNZHANG_SECRET_SW_ENABLE": ENABLE}
    return subprocess.run([YUNZHANG, *args], capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path)


def test_shipped_inventory_file_syncs_into_the_demo(tmp_path):
    url = f"sqlite:///{tmp_path / 'shipped.db'}"
    for args in (("db", "upgrade"), ("demo", "load")):
        assert run(url, tmp_path, *args).returncode == 0
    r = run(url, tmp_path, "devices", "sync", "--file", str(ROOT / "inventory" / "devices.yaml"))
    assert r.returncode == 0 and "新增：1（ic-core-01）" in r.stdout, r.stdout + r.stderr
    assert "白水县电子政务中心" in run(url, tmp_path, "devices", "list").stdout


def test_sync_list_backup_and_drift(tmp_path, fake_switches):
    url = f"sqlite:///{tmp_path / 'devices.db'}"
    for args in (("db", "upgrade"), ("demo", "load")):
        assert run(url, tmp_path, *args).returncode == 0
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    entries = "".join(f"""  - name: cli-{name}
    host: 127.0.0.1
    port: {fake_switches.ports[name]}
    device_type: cisco_ios
    department: {IC}
    zone: extranet_public
    username: {USERNAME}
    password: secret:sw-pass
    enable_secret: secret:sw-enable
""" for name in ("sw01", "sw02"))
    (inventory / "devices.yaml").write_text("devices:\n" + entries, encoding="utf-8")
    r = run(url, tmp_path, "devices", "sync")
    assert r.returncode == 0, r.stderr
    assert "新增：2" in r.stdout
    assert "新增：0" in run(url, tmp_path, "devices", "sync").stdout

    r = run(url, tmp_path, "devices", "backup", "cli-sw01")
    assert r.returncode == 0, r.stderr
    assert "当前为第 1 版" in r.stdout
    r = run(url, tmp_path, "devices", "backup", "--all")         # the demo's own switches have no secrets set
    assert r.returncode == 1 and "新版本 1 台，未变化 1 台，失败 3 台" in r.stdout, r.stdout + r.stderr

    c = ConnectHandler(**fake_switches.device("sw01"))
    c.enable()
    c.config_mode()
    c.send_command("interface Vlan150", expect_string="#")
    c.send_command("description cli-drift", expect_string="#")
    c.send_command("exit", expect_string="#")
    c.disconnect()
    r = run(url, tmp_path, "devices", "backup", "cli-sw01")
    assert r.returncode == 0 and "配置漂移" in r.stdout and "第 2 版" in r.stdout
    listed = run(url, tmp_path, "devices", "list", "--drifted")
    assert "cli-sw01" in listed.stdout and "cli-sw02" not in listed.stdout and "共 1 台" in listed.stdout

    r = run(url, tmp_path, "devices", "backup")
    assert r.returncode == 2 and "--all" in r.stderr
    r = run(url, tmp_path, "devices", "backup", "nope")
    assert r.returncode != 0 and "设备 nope 不存在" in r.stderr
    assert PASSWORD not in str(r) + listed.stdout
