"""yunzhang audit checkpoint / verify --checkpoint as real processes, on SQLite and PostgreSQL: the auditor's
checkpoint catches a deleted tail, every problem is named, and the key stays outside the database."""
from __future__ import annotations

import json
import os
import stat
import subprocess

from sqlalchemy import text

from control.core.db import make_engine
from tests.integration.test_cli import YUNZHANG, empty_url  # noqa: F401  (the fixture)


def run(url: str, cwd, *args: str, key: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "YUNZHANG_DATABASE_URL": url, "YUNZHANG_SECRET_KEY": "cli-test"}
    env.pop("YUNZHANG_AUDIT_KEY", None)
    if key:
        env["YUNZHANG_AUDIT_KEY"] = key
    return subprocess.run([YUNZHANG, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def test_checkpoint_then_truncation(empty_url, tmp_path):  # noqa: F811
    assert run(empty_url, tmp_path, "db", "upgrade").returncode == 0
    r = run(empty_url, tmp_path, "demo", "load")
    assert r.returncode == 0, r.stderr
    key_path = tmp_path / "var" / "audit_key"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    key = key_path.read_text().strip()

    r = run(empty_url, tmp_path, "audit", "checkpoint", "--output", str(tmp_path / "cp.json"))
    assert r.returncode == 0, r.stderr
    cp = json.loads((tmp_path / "cp.json").read_text())
    assert json.loads(r.stdout) == cp and cp["count"] == cp["last_id"] > 10 and cp["legacy_last_id"] == 0
    r = run(empty_url, tmp_path, "audit", "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert r.returncode == 0 and r.stdout.startswith("OK") and f"已到达检查点的第 {cp['last_id']} 条" in r.stdout

    engine = make_engine(empty_url)
    with engine.begin() as conn:
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM audit_entry")) for v in row)
        assert key not in dump                                  # the key is never stored
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_entry_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        conn.execute(text("DELETE FROM audit_entry WHERE id > :id"), {"id": cp["last_id"] - 2})
    engine.dispose()
    assert run(empty_url, tmp_path, "audit", "verify").returncode == 0    # the shorter chain holds by itself
    r = run(empty_url, tmp_path, "audit", "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert r.returncode == 1
    assert f"第 {cp['last_id'] - 1} 至 {cp['last_id']} 条被删除" in r.stderr

    # another key (a reference to it) does not verify this chain, and says it may be the key
    (tmp_path / "other.key").write_text("another-key-of-enough-length\n")
    r = run(empty_url, tmp_path, "audit", "verify", key=f"file:{tmp_path / 'other.key'}")
    assert r.returncode == 1 and "可能是审计密钥配置错误" in r.stderr
    r = run(empty_url, tmp_path, "audit", "verify", key="env:YZ_NOT_SET_ANYWHERE")
    assert r.returncode == 1 and "审计密钥不可用" in r.stderr
    (tmp_path / "bad.json").write_text("{\"count\": 1}")
    r = run(empty_url, tmp_path, "audit", "verify", "--checkpoint", str(tmp_path / "bad.json"))
    assert r.returncode == 2 and "不是有效的检查点" in r.stderr
