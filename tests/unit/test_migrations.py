"""The Alembic migrations build exactly the schema the models declare."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import control.models  # noqa: F401
from control.core.db import make_engine
from control.core.migrate import include_name, upgrade


def test_migrations_match_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True,
                                                                        "include_name": include_name}),
                                 SQLModel.metadata)
    engine.dispose()
    assert diffs == []


def old_database(tmp_path, revision: str, *more_sql: str) -> str:
    """A database at an earlier revision holding one department and one system (and more_sql)."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, revision)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO department (id, code, name, level, path, active, created_at) "
                          "VALUES (1, '00927660-1', '统计局', 'county', '/1/', 1, '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO information_system (id, code, department_id, kind, status, name, networks, "
                          "is_classified, use_scopes, user_count_varies, created_at, updated_at) VALUES (1, 'S-1', 1, "
                          "'self_built', 'running', '统计系统', '[]', 0, '[]', 0, '2026-01-01', '2026-01-01')"))
        for sql in more_sql:
            conn.execute(text(sql))
    engine.dispose()
    return url


def test_upgrade_keeps_existing_rows(tmp_path):
    """Later migrations rebuild SQLite tables; rows with foreign keys must survive."""
    url = old_database(tmp_path, "0001")
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM information_system")).scalar() == "统计系统"
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()


def test_daily_usage_rows_move_into_blocks(tmp_path):
    """0004 packs the rows of the old one-row-per-day table into blocks, missing values as NaN."""
    from datetime import date

    from sqlmodel import Session

    from control.zombies import usage
    from control.zombies.enums import Metric
    url = old_database(tmp_path, "0003", "INSERT INTO usage_day (system_id, day, requests, logins) VALUES "
                                         "(1, '2026-11-01', 12, 3), (1, '2026-11-03', 0, NULL)")
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        points = usage.series(session, 1, Metric.requests, date(2026, 11, 1), date(2026, 11, 3))
        assert points == [(date(2026, 11, 1), 12.0), (date(2026, 11, 2), None), (date(2026, 11, 3), 0.0)]
        assert usage.series(session, 1, Metric.logins, date(2026, 11, 3), date(2026, 11, 3)) == [
            (date(2026, 11, 3), None)
        ]
    engine.dispose()


def test_search_index_triggers_survive_every_migration(tmp_path):
    """A later migration that rebuilds a table on SQLite drops its triggers: the trigram search index of 0005
    would silently stop following edits, and the plan rows' departments of 0026 their systems' moves.
    Whatever rebuilds the table must recreate them."""
    url = old_database(tmp_path, "0001")
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        triggers = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                                     "('information_system', 'migration_plan_system')")).scalars().all()
        found = conn.execute(text("SELECT rowid FROM system_search WHERE system_search MATCH '\"统计系统\"'")).all()
    engine.dispose()
    assert sorted(triggers) == ["information_system_plan_department", "migration_plan_system_department_insert",
                                "migration_plan_system_department_update", "system_search_delete",
                                "system_search_insert", "system_search_update"]
    assert found == [(1,)]                       # rows from before 0005 are indexed too


def test_usage_blocks_move_into_tiles_and_back(tmp_path):
    """0006 spreads each system's blocks (metric × day) over tiles of one metric for 1024 systems; the
    downgrade packs them back, NaN where nothing was recorded."""
    from datetime import date

    import numpy as np
    from alembic import command
    from sqlmodel import Session

    from control.core.migrate import alembic_config
    from control.zombies import usage
    block = date(2026, 11, 1).toordinal() // 32
    blocks = {}
    for system_id, blk in ((1, block), (1, block + 1), (1025, block)):
        data = np.full((7, 32), np.nan)
        data[usage.METRIC_INDEX["requests"], :5] = [system_id, 0, np.nan, 3.5, 1e12 + 1]
        data[usage.METRIC_INDEX["deployments"], 31] = blk % 5
        blocks[system_id, blk] = data.tobytes()
    url = old_database(tmp_path, "0005",
                       "INSERT INTO information_system (id, code, department_id, kind, status, name, networks, "
                       "is_classified, use_scopes, user_count_varies, created_at, updated_at) VALUES (1025, 'S-1025', "
                       "1, 'self_built', 'running', '另一系统', '[]', 0, '[]', 0, '2026-01-01', '2026-01-01')",
                       *(f"INSERT INTO usage_block (system_id, block, data) VALUES ({s}, {b}, X'{d.hex()}')"
                         for (s, b), d in blocks.items()))
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        start, end = date.fromordinal(block * 32), date.fromordinal(block * 32 + 63)
        ids, values = usage.window(session, start, end)
        assert ids.tolist() == [1, 1025]
        for (system_id, blk), data in blocks.items():
            days = slice((blk - block) * 32, (blk - block) * 32 + 32)
            assert values[ids.tolist().index(system_id), :, days].tobytes() == data
        assert (
            session.execute(text("SELECT count(*) FROM usage_tile")).scalar() == 3 * 2  # requests, deployments
            and session.execute(text("SELECT metric FROM usage_tile WHERE chunk = 1 ORDER BY metric")).scalars().all()
            == [usage.METRIC_INDEX["requests"], usage.METRIC_INDEX["deployments"]]
        )
    command.downgrade(alembic_config(url), "0005")
    with engine.connect() as conn:
        back = {(s, b): d for s, b, d in conn.execute(text("SELECT system_id, block, data FROM usage_block"))}
        assert not conn.execute(text("SELECT name FROM sqlite_master WHERE name = 'usage_tile'")).all()
    engine.dispose()
    assert back == blocks


def test_verdict_json_moves_into_columns_and_back(tmp_path):
    """0007 keeps each criterion's status and the figures behind it in columns instead of JSON prose;
    the downgrade rebuilds the JSON from them (without the sentences)."""
    import json

    from alembic import command

    from control.core.migrate import alembic_config
    observed = {"business_disconnected": {"days_with_requests": 3, "days_requests_at_or_below": 88,
                                          "days_with_logins": 2, "logins": 4.0},
                "replaceable": {"most_similar": "统计系统二", "similarity": 0.8125},
                "idle_resources": {"days_with_data": 90, "idle_days": 85},
                "maintenance_stopped": {"last_deployment_day": "2025-01-02", "last_recorded_change": None,
                                        "om_vendors": "", "om_cost_yearly": "0"},
                "small_scope_low_frequency": {"days_with_active_users": 5, "days_active_users_at_or_below": 90,
                                              "use_scopes": ["internal"], "usage_frequency": "monthly"}}
    status = {"business_disconnected": "held", "replaceable": "possible", "idle_resources": "held",
              "maintenance_stopped": "held", "small_scope_low_frequency": "not_held"}
    criteria = {c: {"status": status[c], "sentence": "…", "observed": observed[c]} for c in status}
    url = old_database(tmp_path, "0006",
                       "INSERT INTO zombie_scan (id, as_of, started_at, duration_seconds, actor, scanned, candidates, "
                       "insufficient, classified_scanned, policy) VALUES (1, '2026-11-01', '2026-11-01', 0, 'a', 1, 1, "
                       "0, 0, '{}')",
                       "INSERT INTO zombie_verdict (id, scan_id, system_id, department_id, status, held, criteria) "
                       f"VALUES (1, 1, 1, 1, 'candidate', '[\"business_disconnected\"]', '{json.dumps(criteria)}')")
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM zombie_verdict")).mappings().one()
    assert {c: row[c] for c in status} == status
    assert (row["req_days"], row["req_low_days"], row["login_days"], row["logins"]) == (3, 88, 2, 4.0)
    assert (row["idle_days_with_data"], row["idle_days"], row["au_days"], row["au_low_days"]) == (90, 85, 5, 90)
    assert (row["most_similar"], row["similarity"], row["described"]) == ("统计系统二", 0.8125, 1)
    assert (row["last_deployment_day"], row["last_recorded_change"], row["use_scopes"]) == (
        "2025-01-02",
        None,
        "internal",
    )
    assert (row["om_vendors"], float(row["om_cost_yearly"]), row["usage_frequency"]) == ("", 0.0, "monthly")
    command.downgrade(alembic_config(url), "0006")
    with engine.connect() as conn:
        held, back = conn.execute(text("SELECT held, criteria FROM zombie_verdict")).one()
    engine.dispose()
    back = json.loads(back)
    assert json.loads(held) == ["business_disconnected", "idle_resources", "maintenance_stopped"]
    assert {c: back[c]["status"] for c in status} == status
    assert back["business_disconnected"]["observed"] == {**observed["business_disconnected"]}
    assert back["small_scope_low_frequency"]["observed"]["use_scopes"] == ["internal"]


def test_classified_systems_leave_plans_and_networks(tmp_path):
    """0019 takes the classified systems earlier markings left in cloud plans and on private networks out."""
    url = old_database(
        tmp_path, "0017",
        "INSERT INTO information_system (id, code, department_id, kind, status, name, networks, is_classified, "
        "use_scopes, user_count_varies, created_at, updated_at) VALUES (2, 'S-2', 1, 'self_built', 'running', "
        "'涉密系统', '[]', 1, '[]', 0, '2026-01-01', '2026-01-01')",
        "INSERT INTO migration_plan (id, number, kind, department_id, name, content, completion_date, leader_name, "
        "leader_title, leader_phone, office, liaison_name, liaison_phone, status, review_plan, review_index, "
        "created_by, created_at, updated_at) VALUES (1, 'YZMP-1', 'cloud', 1, '上云', '', '2027-01-01', 'a', 'b', "
        "'c', 'd', 'e', 'f', 'draft', '[]', 0, 'u', '2026-01-01', '2026-01-01')",
        "INSERT INTO migration_plan_system (id, plan_id, system_id, target_date, planned_date, state) VALUES "
        "(1, 1, 1, '2027-01-01', '2027-01-01', 'pending'), (2, 1, 2, '2027-01-01', '2027-01-01', 'pending')",
        "INSERT INTO migration_exception (id, plan_system_id, reason, justification, status, interfaces, "
        "requested_by, requested_at) VALUES (1, 2, 'high_security', 'x', 'requested', '[]', 'u', '2026-01-01')",
        "INSERT INTO private_network (id, department_id, name, fiscal_funded, sites, state, created_at, updated_at) "
        "VALUES (1, 1, '专网', 0, '[]', 'in_use', '2026-01-01', '2026-01-01')",
        "INSERT INTO private_network_system (network_id, system_id) VALUES (1, 1), (1, 2)")
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT system_id FROM migration_plan_system")).scalars().all() == [1]
        assert conn.execute(text("SELECT system_id FROM private_network_system")).scalars().all() == [1]
        assert conn.execute(text("SELECT count(*) FROM migration_exception")).scalar() == 0
    engine.dispose()
