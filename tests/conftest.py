"""Shared fixtures: a real SQLite file and a real PostgreSQL server, each test on a fresh database
made from a template that the Alembic migrations built once."""
from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import make_url, text
from sqlmodel import Session

from control.app import create_app
from control.core import auth
from control.core.accounts import Department, Level, User
from control.core.auth import actor_for, hash_password
from control.core.db import make_engine
from control.core.migrate import upgrade
from control.core.roles import Role
from control.org.codes import uscc_check_char
from control.settings import Settings
from tests.pgserver import PostgresServer

PASSWORD = "Passw0rd!demo"
WORLD_REVIEWERS = {"edu2", "countyoffice"}   # designated to sign review levels for 教育局 and the county office
_counter = itertools.count()


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing():
    """argon2 with one pass over 8 KiB instead of the deployment's three over 64 MiB: each hash and each login
    cost ~0.15 s on the 2-core CI machine, and nearly every test builds a world (one hash) and logs users in.
    Salt and hash keep their deployed lengths, so a hash looks the same where tests check it never leaks;
    hashing, verifying and rehashing run through the same code. A server started as a subprocess keeps the
    deployment's parameters (it rehashes on login, as after a parameter change)."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "_hasher", cheap)
        dummy = cheap.hash("not-a-real-password")
        mp.setattr(auth, "_dummy_hash", lambda: dummy)
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_server():
    server = PostgresServer().start()
    engine = make_engine(server.url())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CREATE DATABASE yz_template"))
    engine.dispose()
    upgrade(server.url("yz_template"))
    yield server
    server.stop()


def fresh_sqlite(template: Path, tmp_path: Path) -> str:
    path = tmp_path / f"test-{next(_counter)}.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def create_database(server: PostgresServer, template: str | None = "yz_template") -> str:
    """A new database on the test server (a copy of the migrated template unless told otherwise)."""
    name = f"yz_test_{next(_counter)}"
    engine = make_engine(server.url())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")))
    engine.dispose()
    return server.url(name)


def drop_database(server: PostgresServer, url: str) -> None:
    """Drop a test's database, closing what still holds it: the server's folder stays small (it lives in memory)."""
    engine = make_engine(server.url())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE {make_url(url).database} WITH (FORCE)"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, sqlite_template, tmp_path):
    """Every test that takes this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield fresh_sqlite(sqlite_template, tmp_path)
        return
    server = request.getfixturevalue("pg_server")
    url = create_database(server)
    yield url
    drop_database(server, url)


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path) -> str:
    """For tests that need a database but say nothing about its kind."""
    return fresh_sqlite(sqlite_template, tmp_path)


def make_settings(url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=url, secret_key="test-secret-key", var_dir=tmp_path / "var",
                    login_max_failures=5, login_window_seconds=900, scheduler_enabled=False,
                    automation_workers=0, freeze_gc_at_start=False)


@pytest.fixture
def app(db_url, tmp_path):
    application = create_app(make_settings(db_url, tmp_path))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


def uscc(seed: int) -> str:
    """A valid unified social credit code made from a number (test and demo data)."""
    body = f"11450000{seed:09d}"[:17]
    return body + uscc_check_char(body)


@dataclass
class World:
    """A small organisation: province → city → county with two bureaus and a township under one,
    one user per role, a second user in 教育局 (edu2) and one in the county office (countyoffice), these
    two designated reviewers of their departments.
    `headers(name)` gives a bearer header for a user."""

    client: TestClient
    session: Session
    depts: dict[str, Department] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            r = self.client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self._tokens[username] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def actor(self, username: str):
        return actor_for(self.session, self.users[username])


def build_world(client: TestClient, engine) -> World:
    session = Session(engine, expire_on_commit=False)
    w = World(client=client, session=session)
    tree = [
        ("province", "自治区大数据局", Level.province, None),
        ("city", "示范市大数据局", Level.city, "province"),
        ("county", "示范县人民政府办公室", Level.county, "city"),
        ("edu", "示范县教育局", Level.county, "county"),
        ("health", "示范县卫生健康局", Level.county, "county"),
        ("school", "示范县城关镇中心校", Level.township, "edu"),
    ]
    for i, (key, name, level, parent) in enumerate(tree, start=1):
        parent_dept = w.depts.get(parent) if parent else None
        dept = Department(code=uscc(i), name=name, level=level, parent_id=parent_dept.id if parent_dept else None)
        session.add(dept)
        session.flush()
        dept.path = f"{parent_dept.path if parent_dept else '/'}{dept.id}/"
        w.depts[key] = dept
    pw = hash_password(PASSWORD)
    for username, role, dept in [("admin", Role.admin, None), ("bureau", Role.bureau, None),
                                 ("infocenter", Role.infocenter, None), ("auditor", Role.auditor, None),
                                 ("ops", Role.ops, None), ("edu", Role.department, "edu"),
                                 ("edu2", Role.department, "edu"), ("countyoffice", Role.department, "county"),
                                 ("health", Role.department, "health"), ("school", Role.department, "school")]:
        user = User(username=username, display_name=username, role=role, password_hash=pw,
                    department_id=w.depts[dept].id if dept else None, reviewer=username in WORLD_REVIEWERS)
        session.add(user)
        w.users[username] = user
    session.commit()
    return w


@pytest.fixture
def world(client, app) -> World:
    w = build_world(client, app.state.engine)
    yield w
    w.session.close()


@pytest.fixture
def frozen_clock():
    """Set the one clock: frozen_clock("2026-02-12 09:00") in Asia/Shanghai; released after the test."""
    from datetime import datetime

    from control.core import clock

    def set_to(text: str) -> None:
        clock.set_now(datetime.fromisoformat(text).replace(tzinfo=clock.SHANGHAI))
    yield set_to
    clock.set_now(None)


@pytest.fixture(scope="session")
def fake_switches(tmp_path_factory):
    """Four emulated Cisco switches in one subprocess for this test session (one per xdist worker), each
    recording the commands it receives (tests/fakeswitches.py). Their configs persist across tests: a test
    takes its own baseline first."""
    from tests.fakeswitches import Switches
    with Switches(4, tmp_path_factory.mktemp("switches")) as switches:
        yield switches
