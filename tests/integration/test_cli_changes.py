"""`yunzhang changes create|list|show|act` call the same services as the API: a draft from a JSON body (with a
device's own variables, shown per device), an action
queued for the workers, the approval refused to the CLI's administrator (not an approver by policy), a bad
action answered in zh-CN."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.changes_helpers import add_device, join_variables

YUNZHANG = str(Path(sys.executable).parent / "yunzhang")


@pytest.fixture
def db_url(sqlite_url):
    return sqlite_url


def test_changes_cli(client, world, db_url, tmp_path):
    device = add_device(client, world, "cli-sw-1", 2401)
    env = {**os.environ, "YUNZHANG_DATABASE_URL": db_url, "YUNZHANG_SECRET_KEY": "changes-cli-test"}

    def cli(*args):
        return subprocess.run([YUNZHANG, "changes", *args], env=env, capture_output=True, text=True, timeout=120)

    body = tmp_path / "change.json"
    body.write_text(json.dumps({"kind": "device", "template": "join_extranet", "variables": join_variables(340),
                                "device_ids": [device],
                                "device_variables": {str(device): {"svi_address": "10.140.0.9/24"}}}))
    made = cli("create", str(body))
    assert made.returncode == 0, made.stderr
    change_id = int(made.stdout.split("#")[1].split("（")[0])
    shown = cli("show", str(change_id))
    assert "草稿" in shown.stdout and "[1] cli-sw-1：待检查" in shown.stdout
    assert '本设备变量 svi_address = "10.140.0.9/24"' in shown.stdout and "变量 vlan_id = 340" in shown.stdout
    checked = cli("act", str(change_id), "check", "--comment", "夜间窗口")
    assert checked.returncode == 0 and "运行 #" in checked.stdout
    assert f"#{change_id}" in cli("list").stdout
    refused = cli("act", str(change_id), "check")                # its check run is still queued
    assert refused.returncode == 1 and "变更正在运行中" in refused.stderr
    bad = cli("act", str(change_id), "frobnicate")
    assert bad.returncode == 1 and "没有名为 frobnicate 的操作" in bad.stderr
