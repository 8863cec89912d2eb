"""Tokens, login rate limit, departments, users, and the 401 on every endpoint."""
from __future__ import annotations

import re
from datetime import UTC

import pytest

from control.core import clock
from tests.conftest import PASSWORD, uscc


def test_token_is_oauth2_password_form(client, world):
    r = client.post("/api/v1/auth/token", data={"username": "edu", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["access_token"]
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json()["username"]
        == "edu"
    )


def test_wrong_password_and_garbage_token(client, world):
    r = client.post("/api/v1/auth/token", data={"username": "edu", "password": "wrong"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def test_login_attempts_are_rate_limited(client, world):
    for _ in range(5):
        assert client.post("/api/v1/auth/token", data={"username": "edu", "password": "nope"}).status_code == 401
    r = client.post("/api/v1/auth/token", data={"username": "edu", "password": PASSWORD})
    assert r.status_code == 429 and "Retry-After" in r.headers
    # The window passes and the right password works again.
    from datetime import datetime, timedelta
    clock.set_now(datetime.now(UTC) + timedelta(minutes=16))
    try:
        assert client.post("/api/v1/auth/token", data={"username": "edu", "password": PASSWORD}).status_code == 200
    finally:
        clock.set_now(None)


def test_password_change_revokes_tokens(client, world):
    h = world.headers("edu")
    uid = world.users["edu"].id
    # Their own password is changed with the current one (POST /me/password), not by a bare PATCH.
    r = client.patch(f"/api/v1/users/{uid}", json={"password": "another-Passw0rd"}, headers=h)
    assert r.status_code == 403
    r = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "another-Passw0rd"},
                    headers=h)
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=h).status_code == 401


def test_every_api_endpoint_needs_a_token(app, client, world):
    """Walks the OpenAPI document, so an endpoint added later is checked too."""
    # The working-day calculator is public information, like the State Council notice it reads.
    open_paths = {"/api/v1/auth/token", "/api/v1/calendar/add-working-days", "/api/v1/calendar/working-days-between"}
    checked = 0
    for template, operations in app.openapi()["paths"].items():
        if not template.startswith("/api/") or template in open_paths:
            continue
        path = re.sub(r"\{action\}", "start", template)
        path = re.sub(r"\{code\}", "X", path)
        path = re.sub(r"\{\w+\}", "1", path)
        for method in operations:
            r = client.request(method.upper(), path)
            assert r.status_code == 401, f"{method} {template} answered {r.status_code}"
            checked += 1
    assert checked >= 15


def test_departments_tree_and_codes(client, world):
    admin = world.headers("admin")
    parent = world.depts["county"].id
    r = client.post("/api/v1/departments", json={"code": "00927660-1", "name": "示范县统计局", "level": "county",
                                                 "parent_id": parent}, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["path"].startswith(world.depts["county"].path)
    r = client.post("/api/v1/departments", json={"code": "00927660-0", "name": "坏代码局", "level": "county"},
                    headers=admin)
    assert r.status_code == 422 and "校验码错误，应为 1" in r.text
    r = client.post("/api/v1/departments", json={"code": uscc(999), "name": "村委会", "level": "province",
                                                 "parent_id": world.depts["school"].id}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "level_order"
    r = client.post("/api/v1/departments", json={"code": uscc(1), "name": "重复", "level": "county"}, headers=admin)
    assert r.status_code == 409
    assert client.post("/api/v1/departments", json={"code": uscc(77), "name": "x", "level": "county"},
                       headers=world.headers("edu")).status_code == 403


def test_department_move_carries_subtree(client, world):
    admin = world.headers("admin")
    edu, school, health = world.depts["edu"], world.depts["school"], world.depts["health"]
    r = client.patch(f"/api/v1/departments/{edu.id}", json={"parent_id": health.id}, headers=admin)
    assert r.status_code == 200
    moved = client.get(f"/api/v1/departments/{school.id}", headers=admin).json()
    assert moved["path"] == f"{world.depts['health'].path}{edu.id}/{school.id}/"
    r = client.patch(f"/api/v1/departments/{health.id}", json={"parent_id": school.id}, headers=admin)
    assert r.status_code in (409, 422)


def test_department_list_is_scoped(client, world):
    names = {d["name"] for d in client.get("/api/v1/departments", headers=world.headers("edu")).json()["items"]}
    assert names == {"示范县教育局", "示范县城关镇中心校"}
    assert client.get("/api/v1/departments", headers=world.headers("auditor")).json()["total"] == 6


def test_users_admin_only(client, world):
    admin = world.headers("admin")
    r = client.post("/api/v1/users", json={"username": "newdept", "password": "long-enough-1", "role": "department"},
                    headers=admin)
    assert r.status_code == 422  # a department user needs a department
    r = client.post("/api/v1/users", json={"username": "newdept", "password": "long-enough-1", "role": "department",
                                           "department_id": world.depts["health"].id}, headers=admin)
    assert r.status_code == 201
    uid = r.json()["id"]
    assert "long-enough-1" not in r.text and "password_hash" not in r.text
    assert client.post("/api/v1/users", json={"username": "x1", "password": "long-enough-1", "role": "admin"},
                       headers=world.headers("edu")).status_code == 403
    assert client.get("/api/v1/users", headers=world.headers("edu")).status_code == 403
    assert client.get(f"/api/v1/users/{uid}", headers=world.headers("auditor")).status_code == 200
    assert client.patch(f"/api/v1/users/{uid}", json={"role": "admin"}, headers=world.headers("edu")).status_code == 403
    # A user may change their own locale but not their role.
    me = world.users["edu"].id
    assert client.patch(f"/api/v1/users/{me}", json={"locale": "en"}, headers=world.headers("edu")).status_code == 200
    assert client.patch(f"/api/v1/users/{me}", json={"role": "admin"}, headers=world.headers("edu")).status_code == 403
    assert client.post(f"/api/v1/users/{uid}/deactivate", headers=admin).status_code == 200
    assert client.post(f"/api/v1/users/{uid}/deactivate", headers=admin).status_code == 409
    r = client.post("/api/v1/auth/token", data={"username": "newdept", "password": "long-enough-1"})
    assert r.status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
def test_open_endpoints(client, path):
    assert client.get(path).status_code == 200


def test_metrics_counts_systems_by_status(client, world):
    from tests.api.helpers import create_system
    create_system(client, world.headers("edu"), world.depts["edu"].id)
    text = client.get("/metrics").text
    assert 'yunzhang_information_systems{status="running"} 1.0' in text
    assert 'yunzhang_information_systems{status="decommissioned"} 0.0' in text
