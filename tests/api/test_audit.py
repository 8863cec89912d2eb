"""The audit log: who may read it, filters, export, and the hash chain catching tampering."""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from tests.api.helpers import create_system


def test_audit_readers(client, world):
    create_system(client, world.headers("edu"), world.depts["edu"].id)
    for role, expected in (("auditor", 200), ("admin", 200), ("edu", 403), ("bureau", 403), ("ops", 403)):
        assert client.get("/api/v1/audit", headers=world.headers(role)).status_code == expected


def test_filters_and_export(client, world):
    s = create_system(client, world.headers("edu"), world.depts["edu"].id)
    create_system(client, world.headers("health"), world.depts["health"].id, name="卫健系统")
    h = world.headers("auditor")
    r = client.get("/api/v1/audit", params={"actor": "health"}, headers=h)
    assert [e["entity_label"] for e in r.json()["items"]] == ["卫健系统"]
    r = client.get("/api/v1/audit", params={"q": "学籍"}, headers=h)
    assert r.json()["items"][0]["entity_id"] == str(s["id"])
    r = client.get("/api/v1/audit", params={"since": "2000-01-01", "until": "2000-01-02"}, headers=h)
    assert r.json()["total"] == 0
    r = client.get("/api/v1/audit/export.csv", params={"actor": "edu"}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("id,时间,操作人") and len(lines) == 2 and "县中小学学籍管理系统" in lines[1]


def test_chain_verifies_and_catches_tampering(client, world, app):
    for i in range(3):
        create_system(client, world.headers("edu"), world.depts["edu"].id, name=f"系统{i}")
    h = world.headers("auditor")
    assert client.get("/api/v1/audit/verify", headers=h).json()["ok"] is True
    engine = app.state.engine
    with engine.begin() as conn:
        second = conn.execute(text("SELECT id FROM audit_entry ORDER BY id LIMIT 1 OFFSET 1")).scalar()
        # The database refuses updates to the log; an attacker with DDL rights drops the guard first.
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_entry_no_update"))
        else:
            conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        conn.execute(text("UPDATE audit_entry SET actor = 'mallory' WHERE id = :id"), {"id": second})
    body = client.get("/api/v1/audit/verify", headers=h).json()
    assert body["ok"] is False and body["first_broken_id"] == second


def test_log_is_append_only_in_the_database(app, world, client):
    from sqlalchemy.exc import DBAPIError
    create_system(client, world.headers("edu"), world.depts["edu"].id)
    with pytest.raises(DBAPIError), app.state.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entry"))
    with pytest.raises(DBAPIError), app.state.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET actor = 'x'"))


# --- the chain's gaps (issue 11, point 8) -------------------------------------------------------------
# An attacker here holds the database with DDL rights (drops the append-only guard first) but not the
# audit key, which lives outside the database.

def unguard(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_delete"))
    else:
        conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))


def some_entries(client, world, n: int = 3) -> list[int]:
    for i in range(n):
        create_system(client, world.headers("edu"), world.depts["edu"].id, name=f"系统{i}")
    with world.session.bind.connect() as conn:
        return list(conn.execute(text("SELECT id FROM audit_entry ORDER BY id")).scalars())


def verify(client, world, checkpoint: dict | None = None) -> dict:
    h = world.headers("auditor")
    r = (client.post("/api/v1/audit/verify", json=checkpoint, headers=h) if checkpoint is not None
         else client.get("/api/v1/audit/verify", headers=h))
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(("column", "value"), [("entity_label", "'无害的名字'"), ("actor_id", "99"),
                                               ("request_id", "'forged-request'")])
def test_edit_of_any_column_is_detected(client, world, app, column, value):
    """entity_label, actor_id and request_id were outside the old hash: an edit went unnoticed."""
    ids = some_entries(client, world)
    assert verify(client, world)["ok"] is True
    with app.state.engine.begin() as conn:
        unguard(conn)
        conn.execute(text(f"UPDATE audit_entry SET {column} = {value} WHERE id = :id"), {"id": ids[1]})
    body = verify(client, world)
    assert body["ok"] is False and body["first_broken_id"] == ids[1]
    assert body["problems"] == [f"第 {ids[1]} 条内容与其哈希不符（记录被篡改）"]


def test_renumbered_entry_is_detected(client, world, app):
    ids = some_entries(client, world)
    with app.state.engine.begin() as conn:
        unguard(conn)
        conn.execute(text("UPDATE audit_entry SET id = :new WHERE id = :id"), {"id": ids[-1], "new": ids[-1] + 7})
    assert verify(client, world)["first_broken_id"] == ids[-1] + 7


def test_truncated_tail_is_detected_against_a_checkpoint(client, world, app):
    """Deleting the newest entries leaves a chain that verifies by itself; the auditor's checkpoint does not."""
    ids = some_entries(client, world)
    r = client.get("/api/v1/audit/checkpoint", headers=world.headers("auditor"))
    assert r.status_code == 200, r.text
    cp = r.json()
    assert cp["count"] == len(ids) and cp["last_id"] == ids[-1] and len(cp["head"]) == 64
    assert cp["legacy_last_id"] == 0
    assert client.get("/api/v1/audit/checkpoint", headers=world.headers("edu")).status_code == 403
    assert verify(client, world, cp)["ok"] is True
    create_system(client, world.headers("edu"), world.depts["edu"].id, name="后来的系统")
    assert verify(client, world, cp)["ok"] is True          # the chain grew past the checkpoint: fine

    with app.state.engine.begin() as conn:
        unguard(conn)
        conn.execute(text("DELETE FROM audit_entry WHERE id >= :id"), {"id": ids[-2]})
    assert verify(client, world)["ok"] is True               # without the checkpoint nothing shows
    body = verify(client, world, cp)
    assert body["ok"] is False
    assert body["problems"] == [f"检查点记录到第 {ids[-1]} 条（共 {len(ids)} 条），现在只到第 {ids[-3]} 条："
                                f"第 {ids[-2]} 至 {ids[-1]} 条被删除"]


def test_replaced_head_and_bad_checkpoint(client, world, app):
    ids = some_entries(client, world)
    cp = client.get("/api/v1/audit/checkpoint", headers=world.headers("auditor")).json()
    with app.state.engine.begin() as conn:
        unguard(conn)
        conn.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": ids[0]})
    body = verify(client, world, cp)
    assert (f"截至第 {ids[-1]} 条，检查点时有 {len(ids)} 条记录，现有 {len(ids) - 1} 条：少了 1 条（被删除）"
            in body["problems"])
    # a checkpoint is refused while the chain is broken, and a malformed one is a 422
    r = client.get("/api/v1/audit/checkpoint", headers=world.headers("auditor"))
    assert r.status_code == 409 and r.json()["code"] == "audit_chain_broken"
    r = client.post("/api/v1/audit/verify", json={**cp, "head": "not-a-hash"}, headers=world.headers("auditor"))
    assert r.status_code == 422


def plain_sha256(prev: str, row) -> str:
    """The old unkeyed scheme, as anyone can compute it from the database alone."""
    at = row.at if isinstance(row.at, datetime) else datetime.fromisoformat(row.at)
    at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    changes = json.loads(row.changes) if isinstance(row.changes, str) else row.changes
    payload = json.dumps([prev, at, row.actor, row.action, row.entity_type, row.entity_id, changes],
                         ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def hmac_with(key: bytes):
    def compute(prev: str, row) -> str:
        at = row.at if isinstance(row.at, datetime) else datetime.fromisoformat(row.at)
        at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="microseconds")
        changes = json.loads(row.changes) if isinstance(row.changes, str) else row.changes
        values = [2, row.id, prev, at, row.actor_id, row.actor, row.action, row.entity_type, row.entity_id,
                  row.entity_label, changes, row.request_id]
        payload = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    return compute


def rewrite_from(engine, first_id: int, scheme, version: int) -> None:
    """Set the actor of entry `first_id` to mallory and recompute the hashes of it and all after it."""
    with engine.begin() as conn:
        unguard(conn)
        conn.execute(text("UPDATE audit_entry SET actor = 'mallory' WHERE id = :id"), {"id": first_id})
        prev = conn.execute(text("SELECT hash FROM audit_entry WHERE id < :id ORDER BY id DESC LIMIT 1"),
                            {"id": first_id}).scalar() or "0" * 64
        rows = conn.execute(text("SELECT * FROM audit_entry WHERE id >= :id ORDER BY id"), {"id": first_id}).all()
        for row in rows:
            new = scheme(prev, row)
            conn.execute(text("UPDATE audit_entry SET prev_hash = :p, hash = :h, hash_version = :v WHERE id = :id"),
                         {"p": prev, "h": new, "v": version, "id": row.id})
            prev = new


def test_chain_recomputed_without_the_key_is_detected(client, world, app):
    """Plain SHA-256 recomputed from the database was accepted; it is the old scheme, refused after a keyed
    entry, and the whole chain rewritten that way is caught by the checkpoint."""
    ids = some_entries(client, world)
    cp = client.get("/api/v1/audit/checkpoint", headers=world.headers("auditor")).json()
    rewrite_from(app.state.engine, ids[1], plain_sha256, 1)
    body = verify(client, world)
    assert body["ok"] is False and body["first_broken_id"] == ids[1]
    assert f"第 {ids[1]} 条是无密钥的旧格式记录，却排在带密钥的记录之后（记录被改写）" in body["problems"]

    rewrite_from(app.state.engine, ids[0], plain_sha256, 1)
    assert verify(client, world)["ok"] is True     # all "old": only the auditor's checkpoint can tell
    problems = verify(client, world, cp)["problems"]
    assert f"第 {ids[-1]} 条的哈希与检查点不符（记录被替换或整条链被重算）" in problems
    assert any("出现无密钥的旧格式记录，检查点时旧格式记录只到第 0 条" in p for p in problems)


def test_chain_recomputed_with_a_wrong_key_is_detected(client, world, app):
    ids = some_entries(client, world)
    rewrite_from(app.state.engine, ids[1], hmac_with(b"a guessed key, not the real one"), 2)
    body = verify(client, world)
    assert body["ok"] is False and body["first_broken_id"] == ids[1]
    assert body["problems"] == [f"第 {i} 条内容与其哈希不符（记录被篡改）" for i in ids[1:]]


def test_broken_rows_are_reported_by_id_and_the_walk_goes_on(client, world, app):
    """Unparseable JSON made verify crash; now every bad entry is named and the walk continues."""
    ids = some_entries(client, world, 4)
    with app.state.engine.begin() as conn:
        unguard(conn)
        if conn.dialect.name == "postgresql":       # PostgreSQL checks JSON: the attacker changes the type
            conn.execute(text("ALTER TABLE audit_entry ALTER COLUMN changes TYPE text"))
        conn.execute(text("UPDATE audit_entry SET changes = '{\"name\": [null, ' WHERE id = :id"), {"id": ids[1]})
        conn.execute(text("UPDATE audit_entry SET action = 'delete' WHERE id = :id"), {"id": ids[3]})
    body = verify(client, world)
    assert body["ok"] is False and body["first_broken_id"] == ids[1] and body["problem_count"] == 2
    assert body["problems"] == [f"第 {ids[1]} 条的变更内容不是有效的 JSON（记录损坏或被篡改）",
                                f"第 {ids[3]} 条内容与其哈希不符（记录被篡改）"]


def test_unreadable_columns_on_sqlite(client, world, app):
    if app.state.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps its columns typed and its text valid")
    ids = some_entries(client, world, 3)
    with app.state.engine.begin() as conn:
        unguard(conn)
        conn.execute(text("UPDATE audit_entry SET at = 'yesterday' WHERE id = :id"), {"id": ids[0]})
        conn.execute(text("UPDATE audit_entry SET actor = CAST(x'c3ff' AS TEXT) WHERE id = :id"), {"id": ids[2]})
    body = verify(client, world)
    assert body["problems"] == [f"第 {ids[0]} 条的时间无法读取（记录损坏或被篡改）",
                                f"第 {ids[2]} 条的字段无法读取（记录损坏或被篡改）"]


def test_problems_are_capped_and_counted(client, world, app):
    ids = some_entries(client, world, 4)
    app.state.settings.audit_verify_max_problems = 2
    with app.state.engine.begin() as conn:
        unguard(conn)
        conn.execute(text("UPDATE audit_entry SET entity_label = 'x'"))
    body = verify(client, world)
    assert body["problem_count"] == len(ids) and len(body["problems"]) == 2
    assert body["message"].endswith(f"另有 {len(ids) - 2} 处问题未列出")
    assert body["hint"].startswith("所有带密钥的记录都与哈希不符：可能是审计密钥配置错误")


def test_csv_export_neutralises_formulas(client, world, app):
    from sqlmodel import Session

    from control.core import audit
    with Session(app.state.engine) as session:
        audit.record(session, "import", "update", "system", "-1", label="=HYPERLINK(\"http://x\",\"点我\")",
                     changes={"name": ["a", "b"]})
        session.commit()
    r = client.get("/api/v1/audit/export.csv", headers=world.headers("auditor"))
    row = next(csv.reader(io.StringIO(r.content.decode("utf-8-sig").splitlines()[-1])))
    assert row[5:7] == ["'-1", "'=HYPERLINK(\"http://x\",\"点我\")"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request, tmp_path) -> str:
    """An empty database at the revision before the keyed chain."""
    from control.core.migrate import upgrade
    from tests.conftest import create_database
    url = (f"sqlite:///{tmp_path / 'old.db'}" if request.param == "sqlite"
           else create_database(request.getfixturevalue("pg_server"), template=None))
    upgrade(url, "0007")
    return url


def test_entries_of_the_old_scheme_keep_verifying(old_url, tmp_path):
    """A database written by the old code: its entries verify after the upgrade, as an unkeyed prefix that
    the checkpoint records; new entries are keyed."""
    from types import SimpleNamespace

    import sqlalchemy as sa
    from fastapi.testclient import TestClient

    from control.app import create_app
    from control.core.db import make_engine
    from control.core.migrate import upgrade
    from tests.conftest import build_world, make_settings

    entry = sa.table("audit_entry", *(sa.column(c) for c in (
        "id", "actor_id", "actor", "action", "entity_type", "entity_id", "entity_label", "request_id",
        "prev_hash", "hash")), sa.column("at", sa.DateTime(timezone=True)), sa.column("changes", sa.JSON()))
    engine = make_engine(old_url)
    prev = "0" * 64
    with engine.begin() as conn:
        for i in (1, 2, 4):                         # id 3 rolled back: old ids may have gaps
            row = SimpleNamespace(id=i, at=datetime(2026, 1, i, 8, 30, tzinfo=UTC), actor="admin", action="create",
                                  entity_type="department", entity_id=str(i), changes={"name": [None, f"局{i}"]})
            h = plain_sha256(prev, row)
            conn.execute(sa.insert(entry).values(**vars(row), actor_id=1, entity_label=f"局{i}", request_id="r",
                                                 prev_hash=prev, hash=h))
            prev = h
    engine.dispose()
    upgrade(old_url)

    app = create_app(make_settings(old_url, tmp_path))
    with TestClient(app) as client:
        world = build_world(client, app.state.engine)
        for name in ("新系统甲", "新系统乙"):
            create_system(client, world.headers("edu"), world.depts["edu"].id, name=name)
        body = verify(client, world)
        assert body["ok"] is True and body["count"] == 5
        assert "第 4 条及以前是启用密钥前的旧格式记录" in body["message"]
        cp = client.get("/api/v1/audit/checkpoint", headers=world.headers("auditor")).json()
        assert cp["legacy_last_id"] == 4 and cp["last_id"] == 6
        with app.state.engine.connect() as conn:
            assert conn.execute(text("SELECT hash_version FROM audit_entry ORDER BY id")).scalars().all() == [
                1, 1, 1, 2, 2]
        # a keyed entry rewritten in the old scheme: refused even without a checkpoint
        rewrite_from(app.state.engine, 6, plain_sha256, 1)
        assert verify(client, world)["problems"] == [
            "第 6 条是无密钥的旧格式记录，却排在带密钥的记录之后（记录被改写）"]
        # every keyed entry rewritten so: the checkpoint's end of the old entries tells
        rewrite_from(app.state.engine, 5, plain_sha256, 1)
        assert verify(client, world)["ok"] is True
        assert verify(client, world, cp)["problems"][-1] == (
            "第 5 至 6 条之间出现无密钥的旧格式记录，检查点时旧格式记录只到第 4 条（记录被改写为旧格式）")
        world.session.close()
    app.state.engine.dispose()


def test_audit_page_verifies_against_a_pasted_checkpoint(client, world, app):
    from tests.api.test_pages import csrf, login
    ids = some_entries(client, world, 2)
    cp = client.get("/api/v1/audit/checkpoint", headers=world.headers("auditor")).text
    login(client, "auditor")
    headers = {"X-CSRF-Token": csrf(client, "/audit"), "HX-Request": "true"}
    r = client.post("/audit/verify", data={"checkpoint": cp}, headers=headers)
    assert r.status_code == 200 and f"已到达检查点的第 {ids[-1]} 条" in r.text
    with app.state.engine.begin() as conn:
        unguard(conn)
        conn.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": ids[-1]})
    r = client.post("/audit/verify", data={"checkpoint": cp}, headers=headers)
    assert "哈希链断裂" in r.text and f"第 {ids[-1]} 至 {ids[-1]} 条被删除" in r.text
    r = client.post("/audit/verify", data={"checkpoint": "{not json"}, headers=headers)
    assert r.status_code == 200 and "检查点不是有效的检查点 JSON" in r.text
