"""The inventory list's PostgreSQL paths (migration 0012, control/core/dialect.py): free text through the
pg_trgm index finds what SQLite's FTS5 table finds; without pg_trgm the service warns at start and still
answers the same; the network filter is a bit of the generated network_mask, which a partial index counts
(migration 0017)."""
from __future__ import annotations

import logging
import runpy
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

import control
from control.app import create_app
from control.core import dialect
from control.core.db import make_engine
from control.core.migrate import upgrade
from control.systems import service as systems_service
from control.systems.enums import Network
from tests.api.helpers import create_system
from tests.conftest import build_world, create_database, fresh_sqlite, make_settings

pytestmark = pytest.mark.postgres

SYSTEMS = [  # name, code, function, O&M vendor, networks, department key
    ("学籍管理系统", "EDU-XJ-01", "学生转学办理", "云岭数据科技有限公司", ["extranet", "internet"], "edu"),
    ("校车调度平台", "EDU-XC-02", "校车线路与司机排班", "Yunling Data Co.", ["private"], "edu"),
    ("疫苗接种登记系统", "HLT-YM-01", "疫苗接种登记、50%抽检", "示范信息技术有限公司", ["intranet", "internet"],
     "health"),
    ("城关镇中心校门户", "SCH_MH_01", None, None, [], "school"),
    ("县政务服务平台", "CTY-ZW-01", "政务服务事项受理", "云岭数据科技有限公司", ["extranet"], "county"),
]
QUERIES = ["学籍管理", "学籍", "籍", "edu-xj", "EDU", "yunling data", "云岭数据", "转学办理", "校车", "50%", "50%抽",
           "_MH", "sch_mh", "卫生健康", "示范县", "教育局", "平台", "系统", "不存在的系统", '"引号" OR x', "co."]


def _populate(url: str, tmp_path) -> tuple[TestClient, object, dict]:
    app = create_app(make_settings(url, tmp_path))
    client = TestClient(app)
    client.__enter__()
    world = build_world(client, app.state.engine)
    admin = world.headers("admin")
    for name, code, function, vendor, networks, dept in SYSTEMS:
        create_system(client, admin, world.depts[dept].id, name=name, code=code, function_description=function,
                      om_vendors=vendor, networks=networks)
    return client, app, admin


def _names(client, headers, **params) -> list[str]:
    r = client.get("/api/v1/systems", params={"sort": "name", **params}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == len(r.json()["items"])
    return [i["name"] for i in r.json()["items"]]


@pytest.fixture
def two_databases(sqlite_template, pg_server, tmp_path):
    """The same systems on SQLite and on PostgreSQL, each behind its own app."""
    made = [_populate(fresh_sqlite(sqlite_template, tmp_path), tmp_path / "s"),
            _populate(create_database(pg_server), tmp_path / "p")]
    yield made
    for client, app, _ in made:
        client.__exit__(None, None, None)
        app.state.engine.dispose()


def test_trigram_search_finds_what_sqlite_finds(two_databases):
    (sqlite, _, sh), (pg, pg_app, ph) = two_databases
    assert dialect.has_trigram(pg_app.state.engine)
    for q in QUERIES:
        assert _names(pg, ph, q=q) == _names(sqlite, sh, q=q), q
    assert _names(pg, ph, q="云岭数据") == ["县政务服务平台", "学籍管理系统"]
    assert _names(pg, ph, q="50%抽") == ["疫苗接种登记系统"] and _names(pg, ph, q="_MH") == ["城关镇中心校门户"]


def test_trigram_index_answers_chinese_substrings(two_databases):
    """The GIN index on search_text is what answers a Chinese substring (pg_trgm counts CJK characters as
    word characters under the database's locale); sequential scans are off so the tiny table cannot hide it."""
    _, (_, app, _) = two_databases
    with app.state.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(conn.execute(text("EXPLAIN SELECT id FROM information_system "
                                           "WHERE search_text LIKE lower('%转学办理%')")).scalars())
    assert dialect.TRIGRAM_INDEX in plan


def test_the_name_order_walk_reads_the_index_alone(two_databases):
    """A search past the count limit walks the live systems in name order testing status and search_text
    (migration 0025): an index-only scan, not a heap page fetched for every row it skips."""
    _, (_, app, _) = two_databases
    with app.state.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE information_system"))     # as autovacuum leaves a deployment's
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(conn.execute(text(
            "EXPLAIN SELECT id FROM information_system WHERE deleted_at IS NULL AND status = 'running' "
            "AND search_text LIKE '%系统%' ORDER BY name, id LIMIT 50 OFFSET 50")).scalars())
    assert "Index Only Scan using ix_system_live_name_search" in plan, plan


def test_network_containment_on_both(two_databases):
    (sqlite, _, sh), (pg, pg_app, ph) = two_databases
    expected = {"internet": ["学籍管理系统", "疫苗接种登记系统"], "intranet": ["疫苗接种登记系统"],
                "extranet": ["县政务服务平台", "学籍管理系统"], "private": ["校车调度平台"]}
    for network, names in expected.items():
        assert _names(pg, ph, network=network) == names == _names(sqlite, sh, network=network)
    assert _names(pg, ph, network="internet", q="疫苗") == ["疫苗接种登记系统"]
    with pg_app.state.engine.connect() as conn:
        assert conn.execute(text("SELECT data_type FROM information_schema.columns WHERE table_name = "
                                 "'information_system' AND column_name = 'networks'")).scalar() == "jsonb"
        masks = dict(conn.execute(text("SELECT name, network_mask FROM information_system")).all())
        index = conn.execute(text("SELECT indexdef FROM pg_indexes "
                                  "WHERE indexname = 'ix_system_live_networks'")).scalar()
    assert masks["学籍管理系统"] == 2 + 8 and masks["城关镇中心校门户"] == 0 and masks["校车调度平台"] == 4
    assert "(network_mask, status, department_id) WHERE (deleted_at IS NULL)" in index   # counts from the index


def test_network_mask_follows_the_enum():
    """The generated column numbers the networks in the migration's order: a network added to the enum
    needs a migration that regenerates network_mask."""
    path = Path(control.__file__).parent / "alembic" / "versions" / "0017_verdict_snapshot_and_lz4_tiles.py"
    migration = runpy.run_path(str(path))
    assert tuple(n.value for n in Network) == migration["NETWORKS"]


def test_without_pg_trgm_the_service_warns_and_answers_the_same(two_databases, pg_server, tmp_path, caplog):
    """A role that may not create extensions runs the migrations: 0012 skips the trigram index and says
    so, the service says so again at start, and free text gives the same answers through ILIKE."""
    (sqlite, _, sh), _ = two_databases
    admin = make_engine(pg_server.url())
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("DROP ROLE IF EXISTS yz_plain"))
        conn.execute(text("CREATE ROLE yz_plain LOGIN"))
    url = create_database(pg_server, template=None)
    name = url.rsplit("/", 1)[1]
    with make_engine(pg_server.url(name)).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("GRANT ALL ON SCHEMA public TO yz_plain"))    # tables yes, extensions no
    admin.dispose()
    plain_url = url.replace("postgres@", "yz_plain@")
    with caplog.at_level(logging.WARNING):
        upgrade(plain_url)
    assert "pg_trgm" in caplog.text
    caplog.clear()
    client, app, headers = _populate(plain_url, tmp_path / "plain")
    try:
        assert not dialect.has_trigram(app.state.engine)
        assert any("pg_trgm" in r.message and "ILIKE" in r.message and "逐行匹配" in r.message
                   for r in caplog.records if r.name == "yunzhang.db")
        for q in QUERIES:
            assert _names(client, headers, q=q) == _names(sqlite, sh, q=q), q
        assert _names(client, headers, network="internet") == ["学籍管理系统", "疫苗接种登记系统"]
    finally:
        client.__exit__(None, None, None)
        app.state.engine.dispose()


def test_a_search_past_the_count_limit_says_more_than_and_pages_in_order(two_databases, monkeypatch):
    """Past SEARCH_COUNT_LIMIT matches the total is a lower bound and pages come from walking the sort order:
    the same systems in the same order as the exact listing, on both databases."""
    for client, _, headers in two_databases:
        exact = client.get("/api/v1/systems", params={"q": "-", "sort": "-name"}, headers=headers).json()
        assert exact["total"] == 4 and exact["total_exact"] is True
        monkeypatch.setattr(systems_service, "SEARCH_COUNT_LIMIT", 2)
        pages = [client.get("/api/v1/systems", params={"q": "-", "sort": "-name", "limit": 1, "offset": k},
                            headers=headers).json() for k in range(5)]
        assert [p["total"] for p in pages] == [2] * 5 and not any(p["total_exact"] for p in pages)
        assert [i["name"] for p in pages for i in p["items"]] == [i["name"] for i in exact["items"]]
        page = client.get("/systems", params={"q": "-"}, headers=headers).text
        assert "2+" in page and "请细化检索词" in page
        monkeypatch.undo()
