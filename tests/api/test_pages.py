"""Web pages: login redirect, role navigation, department scope, CSRF."""
from __future__ import annotations

import re

import pytest

from tests.api.helpers import create_system
from tests.conftest import PASSWORD


def login(client, username):
    r = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303


def csrf(client, path="/") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


@pytest.mark.parametrize("path", ["/", "/systems", "/departments", "/audit", "/cloud", "/calendar", "/zombies"])
def test_pages_need_login(client, world, path):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_wrong_password_stays_on_login(client, world):
    r = client.post("/login", data={"username": "edu", "password": "nope"})
    assert r.status_code == 401 and "用户名或密码错误" in r.text


@pytest.mark.parametrize("user,path,status", [
    ("edu", "/", 200), ("edu", "/systems", 200), ("edu", "/systems/import", 200), ("edu", "/departments", 200),
    ("edu", "/audit", 403), ("edu", "/users", 403), ("auditor", "/audit", 200), ("auditor", "/systems/import", 403),
    ("admin", "/users", 200), ("bureau", "/systems/new", 403), ("infocenter", "/systems/new", 200),
])
def test_role_access(client, world, user, path, status):
    login(client, user)
    assert client.get(path).status_code == status


def test_navigation_follows_the_role(client, world):
    login(client, "edu")
    nav = client.get("/").text
    assert "导入普查表" in nav and "审计日志" not in nav
    login(client, "auditor")
    nav = client.get("/").text
    assert "审计日志" in nav and "导入普查表" not in nav


def test_department_user_cannot_open_another_departments_system(client, world):
    other = create_system(client, world.headers("health"), world.depts["health"].id)
    own = create_system(client, world.headers("edu"), world.depts["edu"].id, name="本局系统")
    login(client, "edu")
    assert client.get(f"/systems/{own['id']}").status_code == 200
    r = client.get(f"/systems/{other['id']}")
    assert r.status_code == 403 and "不在本单位及下级单位范围内" in r.text
    listing = client.get("/systems").text
    assert "本局系统" in listing and f'/systems/{other["id"]}"' not in listing


def test_forms_need_the_csrf_token(client, world):
    s = create_system(client, world.headers("edu"), world.depts["edu"].id)
    login(client, "edu")
    assert client.post(f"/systems/{s['id']}/stop", data={}).status_code == 403
    token = csrf(client, f"/systems/{s['id']}")
    r = client.post(f"/systems/{s['id']}/stop", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/api/v1/systems/{s['id']}").json()["status"] == "stopped"   # the cookie reads the API
    assert client.post("/api/v1/systems", json={}).status_code == 401               # …but never writes through it


def test_create_and_edit_through_the_form(client, world):
    login(client, "edu")
    token = csrf(client, "/systems/new")
    r = client.post("/systems/new", data={"csrf_token": token, "department_id": world.depts["edu"].id,
                                          "kind": "self_built", "name": "表单登记的系统", "status": "registered",
                                          "networks": ["extranet", "internet"], "is_classified": "false",
                                          "protection_level": "9"})
    assert r.status_code == 422 and "field-error" in r.text
    r = client.post("/systems/new", data={"csrf_token": token, "department_id": world.depts["edu"].id,
                                          "kind": "self_built", "name": "表单登记的系统", "status": "registered",
                                          "networks": ["extranet", "internet"], "is_classified": "false",
                                          "protection_level": "2", "user_count_varies": "true"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "电子政务外网、互联网" in page and "不固定" in page


def test_language_switch(client, world):
    login(client, "edu")
    token = csrf(client)
    client.post("/lang", data={"csrf_token": token, "lang": "en", "next": "/systems"})
    page = client.get("/systems").text
    assert "Information systems" in page or "Inventory" in page
