"""`yunzhang networks` through the real console script on a temp SQLite database: list, show, and the state
changes with their refusals, audited like the API's."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from control.core.db import make_engine

YUNZHANG = str(Path(sys.executable).parent / "yunzhang")


def run(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "YUNZHANG_DATABASE_URL": url, "YUNZHANG_SECRET_KEY": "cli-networks-test"}
    return subprocess.run([YUNZHANG, *args], capture_output=True, text=True, env=env, timeout=120)


def test_list_show_and_act(tmp_path):
    url = f"sqlite:///{tmp_path / 'networks.db'}"
    for args in (("db", "upgrade"), ("demo", "load")):
        assert run(url, *args).returncode == 0
    engine = make_engine(url)
    with engine.begin() as conn:
        dept = conn.execute(text("SELECT id FROM department ORDER BY id DESC LIMIT 1")).scalar()
        conn.execute(text("INSERT INTO private_network (department_id, name, fiscal_funded, sites, state, created_at, "
                          "updated_at) VALUES (:d, '县应急指挥专网', 1, '[\"县应急局\"]', 'in_use', '2026-01-01', "
                          "'2026-01-01')"), {"d": dept})
        network_id = conn.execute(text("SELECT id FROM private_network WHERE name = '县应急指挥专网'")).scalar()
        conn.execute(text("INSERT INTO private_network_line (network_id, carrier, count, bandwidth_mbps, "
                          "yearly_rent) VALUES (:n, '中国联通', 4, 100, 6.5)"), {"n": network_id})
    engine.dispose()

    r = run(url, "networks", "list", "--fiscal")
    assert r.returncode == 0 and "县应急指挥专网" in r.stdout and "疫苗冷链监测专网" not in r.stdout  # the demo's own
    merged = run(url, "networks", "list", "--state", "merged").stdout
    assert "共 1 条" in merged and "社保经办专网" in merged
    r = run(url, "networks", "show", str(network_id))
    assert r.returncode == 0 and "中国联通 4 条，100 Mbps" in r.stdout and "县应急局" in r.stdout

    r = run(url, "networks", "act", str(network_id), "merge", "--note", "并入外网")
    assert r.returncode == 1 and "只能联通" in r.stderr
    r = run(url, "networks", "act", str(network_id), "connect", "--on", "2026-01-05")
    assert r.returncode == 0 and "已联通" in r.stdout
    r = run(url, "networks", "show", str(network_id))
    assert "联通日期：2026-01-05" in r.stdout
    r = run(url, "networks", "show", "999")
    assert r.returncode == 1 and "业务专网 999 不存在" in r.stderr
    assert run(url, "audit", "verify").returncode == 0
