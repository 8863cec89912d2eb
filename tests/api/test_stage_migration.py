"""Migration 0014 on SQLite and PostgreSQL: the stages of cloud requests filed before it move from
cloud_stage into the shared workflow_stage with their ids and values, their creator and submitter become
recorded authors, new stages continue the ids, and the downgrade puts the rows back."""
from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import Session

from control.cloud.service import SUBJECT
from control.core import workflow
from control.core.calendar import WorkingCalendar
from control.core.db import make_engine
from control.core.migrate import alembic_config, upgrade
from control.core.policy import load_policy
from control.core.stages import SlaState
from tests.conftest import create_database

ROWS = [
    "INSERT INTO department (id, code, name, level, path, active, created_at) "
    "VALUES (1, '00927660-1', '教育局', 'county', '/1/', TRUE, '2026-01-01 00:00:00+00')",
    "INSERT INTO cloud_request (id, number, department_id, new_system_name, contact_name, contact_phone, purpose, "
    "zone, status, review_plan, review_index, created_by, submitted_by, created_at, updated_at) VALUES "
    "(1, 'YZCR-2026-000001', 1, '学籍系统', '李明', '0870-1', '扩容', 'public', 'acceptance', '[]', 1, 'edu', "
    "'edu2', '2026-03-01 00:00:00+00', '2026-03-02 00:00:00+00'), "
    "(2, 'YZCR-2026-000002', 1, '校车系统', '李明', '0870-1', '存储', 'public', 'draft', '[]', 0, 'edu', NULL, "
    "'2026-03-01 00:00:00+00', '2026-03-01 00:00:00+00')",
    "INSERT INTO cloud_stage (id, request_id, stage, name, started_at, start_date, working_days, due_date, "
    "calendar_error, done_at, done_date, outcome, actor, comment, active, sla_state, sla_working_days) VALUES "
    "(5, 1, 'review:department_head', '本单位负责人审核', '2026-03-02 01:00:00+00', '2026-03-02', 3, '2026-03-05', "
    "NULL, '2026-03-03 02:00:00+00', '2026-03-03', 'approved', 'eduhead', '同意', FALSE, 'done_on_time', 0), "
    "(9, 1, 'acceptance', '受理审批', '2026-03-03 02:00:00+00', '2026-03-03', 5, '2026-03-10', NULL, NULL, NULL, "
    "NULL, NULL, NULL, TRUE, 'overdue', 2)",
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request, tmp_path) -> str:
    """An empty database of either kind, migrated to 0013 and holding two requests and two stages."""
    url = (f"sqlite:///{tmp_path / 'old.db'}" if request.param == "sqlite"
           else create_database(request.getfixturevalue("pg_server"), template=None))
    upgrade(url, "0013")
    engine = make_engine(url)
    with engine.begin() as conn:
        for sql in ROWS:
            conn.execute(text(sql))
    engine.dispose()
    return url


def test_cloud_stages_move_into_the_shared_table_and_back(old_url, frozen_clock):
    upgrade(old_url)
    engine = make_engine(old_url)
    with Session(engine) as session:
        moved = workflow.history(session, SUBJECT, 1)
        assert [(s.id, s.stage, s.active, s.sla_state, s.sla_working_days) for s in moved] == [
            (5, "review:department_head", False, SlaState.done_on_time, 0),
            (9, "acceptance", True, SlaState.overdue, 2)]
        first = moved[0]
        assert (first.start_date, first.due_date, first.done_date, first.working_days) == (
            date(2026, 3, 2), date(2026, 3, 5), date(2026, 3, 3), 3)
        assert (first.outcome, first.actor, first.comment, first.name) == (
            "approved", "eduhead", "同意", "本单位负责人审核")
        assert (first.planned_date, first.behind_days) == (None, 0)
        assert first.started_at.isoformat() == "2026-03-02T01:00:00+00:00"
        assert workflow.active(session, SUBJECT, 1).id == 9
        assert workflow.authors(session, SUBJECT, 1) == {"edu", "edu2"}
        assert workflow.authors(session, SUBJECT, 2) == {"edu"}
        frozen_clock("2026-03-04 09:00")
        proc = workflow.Procedure(SUBJECT, WorkingCalendar(), load_policy().cloud_requests)
        new = workflow.start_policy_stage(session, proc, 2, "acceptance")
        session.commit()
        assert new.id == 10                       # the ids go on after the rows moved in
    assert "cloud_stage" not in inspect(engine).get_table_names()
    engine.dispose()
    command.downgrade(alembic_config(old_url), "0013")
    engine = make_engine(old_url)
    with engine.connect() as conn:
        back = conn.execute(text("SELECT id, request_id, stage, active, due_date FROM cloud_stage ORDER BY id")).all()
    engine.dispose()
    assert [(i, r, s, bool(a), str(d)) for i, r, s, a, d in back] == [
        (5, 1, "review:department_head", False, "2026-03-05"), (9, 1, "acceptance", True, "2026-03-10"),
        (10, 2, "acceptance", True, "2026-03-11")]
