"""The user commands (issue 12): the reviewer designation, unlock and temporary passwords from the CLI."""
from __future__ import annotations

from sqlalchemy import text

from control.core.auth import verify_password
from control.core.db import make_engine
from tests.integration.test_cli import run


def _user(url: str, username: str):
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT reviewer, must_change_password, password_hash FROM app_user "
                                "WHERE username = :u"), {"u": username}).one()
    engine.dispose()
    return row


def test_user_commands(tmp_path):
    url = f"sqlite:///{tmp_path / 'users.db'}"
    assert run(url, "db", "upgrade").returncode == 0
    assert run(url, "demo", "load").returncode == 0
    edu_code = "11530921D00000080H"                      # 白水县教育局 in the demo

    r = run(url, "user", "add", "head2", "--role", "department", "--department", edu_code, "--reviewer",
            "--password-stdin", stdin="a-long-password\n")
    assert r.returncode == 0, r.stderr
    assert _user(url, "head2").reviewer
    r = run(url, "user", "add", "boss", "--role", "bureau", "--reviewer", "--password-stdin",
            stdin="a-long-password\n")
    assert r.returncode == 1 and "只有部门（用户单位）的用户可以指定为审核人" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1

    r = run(url, "user", "set", "head2", "--no-reviewer")
    assert r.returncode == 0 and "非审核人" in r.stdout and not _user(url, "head2").reviewer
    r = run(url, "user", "set", "edu", "--reviewer")
    assert r.returncode == 0 and _user(url, "edu").reviewer
    r = run(url, "user", "set", "ops", "--reviewer")
    assert r.returncode == 1 and "审核人" in r.stderr
    r = run(url, "user", "set", "edu")
    assert r.returncode == 1 and "--reviewer" in r.stderr
    r = run(url, "user", "set", "nobody", "--reviewer")
    assert r.returncode == 1 and "用户 nobody 不存在" in r.stderr

    engine = make_engine(url)
    with engine.begin() as conn:
        for _ in range(7):
            conn.execute(text("INSERT INTO login_failure (username, client, at) "
                              "VALUES ('edu', '10.0.0.9', CURRENT_TIMESTAMP)"))
    engine.dispose()
    r = run(url, "user", "unlock", "edu")
    assert r.returncode == 0 and "7 条" in r.stdout
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM login_failure WHERE username = 'edu'")).scalar() == 0
    engine.dispose()

    r = run(url, "user", "reset-password", "edu")
    assert r.returncode == 0, r.stderr
    temporary = r.stdout.strip().splitlines()[-1]
    row = _user(url, "edu")
    assert row.must_change_password and verify_password(row.password_hash, temporary)
    assert not verify_password(row.password_hash, "edu-yz-2026")
    r = run(url, "user", "reset-password", "nobody")
    assert r.returncode == 1 and "不存在" in r.stderr

    engine = make_engine(url)
    with engine.connect() as conn:
        logged = " ".join(str(v) for v in conn.execute(text(
            "SELECT action, changes FROM audit_entry WHERE entity_type = 'user' AND action IN "
            "('unlock', 'reset_password', 'update')")).all())
    engine.dispose()
    assert "unlock" in logged and "reset_password" in logged and temporary not in logged
    r = run(url, "audit", "verify")
    assert r.returncode == 0 and r.stdout.startswith("OK")
