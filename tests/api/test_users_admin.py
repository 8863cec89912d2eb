"""Issue 12, points 1 (admin side), 3 and 10: the reviewer designation, unlock, temporary passwords,
changing one's own password, and who is who in the header, histories and the login page."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from control.core import audit
from control.core.accounts import LoginFailure, User
from control.core.audit import AuditEntry
from control.core.auth import verify_password
from tests.api.helpers import create_system, csrf, login
from tests.conftest import PASSWORD

NEW = "my-own-Passw0rd"


def _audit(world, action: str) -> list[AuditEntry]:
    world.session.expire_all()
    return list(world.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def _user(world, username: str) -> User:
    world.session.expire_all()
    return world.session.execute(select(User).where(User.username == username)).scalar_one()


# --- reviewer designation --------------------------------------------------------------------------------

def test_only_admin_designates_reviewers_and_only_department_users(client, world):
    admin, edu2 = world.headers("admin"), world.users["edu2"].id
    # The world designates edu2; take it away first so the designation below is a change.
    assert client.patch(f"/api/v1/users/{edu2}", json={"reviewer": False}, headers=admin).status_code == 200
    r = client.patch(f"/api/v1/users/{edu2}", json={"reviewer": True}, headers=admin)
    assert r.status_code == 200 and r.json()["reviewer"] is True
    entries = [e for e in _audit(world, "update") if e.entity_id == str(edu2)]
    assert [e.changes for e in entries] == [{"reviewer": [True, False]}, {"reviewer": [False, True]}]
    # A department user cannot make themselves (or anyone) a reviewer.
    r = client.patch(f"/api/v1/users/{world.users['edu'].id}", json={"reviewer": True}, headers=world.headers("edu"))
    assert r.status_code == 403 and "系统管理员" in r.json()["detail"]
    # Only department users review for a department: 422 naming the field, in Chinese.
    for username in ("infocenter", "bureau"):
        r = client.patch(f"/api/v1/users/{world.users[username].id}", json={"reviewer": True}, headers=admin)
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["errors"][0]["field"] == "reviewer" and "审核人" in body["detail"]
    r = client.post("/api/v1/users", json={"username": "boss", "password": "long-enough-1", "role": "bureau",
                                           "reviewer": True}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reviewer"
    # A reviewer moved out of the department role must lose the designation in the same change.
    r = client.patch(f"/api/v1/users/{edu2}", json={"role": "infocenter", "department_id": None}, headers=admin)
    assert r.status_code == 422
    r = client.patch(f"/api/v1/users/{edu2}", json={"role": "infocenter", "reviewer": False}, headers=admin)
    assert r.status_code == 200 and r.json()["reviewer"] is False


def test_users_page_shows_and_toggles_the_reviewer(client, world):
    login(client, "admin")
    page = client.get("/users").text
    assert "审核人" in page and "设为审核人" in page
    uid = world.users["edu"].id
    token = csrf(client, "/users")
    r = client.post(f"/users/{uid}/reviewer", data={"csrf_token": token, "reviewer": "true"}, follow_redirects=False)
    assert r.status_code == 303 and _user(world, "edu").reviewer
    page = client.get("/users").text
    assert "已指定 edu 为审核人" in page and "取消审核人" in page
    r = client.post(f"/users/{uid}/reviewer", data={"csrf_token": token, "reviewer": "false"}, follow_redirects=False)
    assert r.status_code == 303 and not _user(world, "edu").reviewer
    # Not for a non-department user: the refusal comes back as a notice, nothing changes.
    r = client.post(f"/users/{world.users['ops'].id}/reviewer", data={"csrf_token": token, "reviewer": "true"})
    assert "只有部门（用户单位）的用户可以指定为审核人" in r.text and not _user(world, "ops").reviewer
    assert [e.changes for e in _audit(world, "update")] == [{"reviewer": [False, True]}, {"reviewer": [True, False]}]
    # The new-user form takes the designation too.
    dept = world.depts["edu"].id
    r = client.post("/users", data={"csrf_token": token, "username": "head2", "password": "Passw0rd!x",
                                    "role": "department", "department_id": dept, "reviewer": "true"},
                    follow_redirects=False)
    assert r.status_code == 303 and _user(world, "head2").reviewer


# --- unlock -----------------------------------------------------------------------------------------------

def test_admin_unlocks_a_locked_out_user(client, world):
    for i in range(5):
        assert client.post("/api/v1/auth/token", data={"username": "edu", "password": f"x{i}"}).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": "edu", "password": PASSWORD}).status_code == 429
    uid = world.users["edu"].id
    assert client.post(f"/api/v1/users/{uid}/unlock", headers=world.headers("edu2")).status_code == 403
    login(client, "admin")
    assert "登录失败 5 次" in client.get("/users").text and "解除锁定" in client.get("/users").text
    r = client.post(f"/api/v1/users/{uid}/unlock", headers=world.headers("admin"))
    assert r.status_code == 200 and r.json()["username"] == "edu"
    assert client.post("/api/v1/auth/token", data={"username": "edu", "password": PASSWORD}).status_code == 200
    [entry] = _audit(world, "unlock")
    assert entry.entity_id == str(uid) and entry.changes == {"login_failures": [5, 0]}


def test_unlock_from_the_users_page(client, world):
    world.session.add_all([LoginFailure(username="edu2", client="10.0.0.9") for _ in range(6)])
    world.session.commit()
    login(client, "admin")
    r = client.post(f"/users/{world.users['edu2'].id}/unlock", data={"csrf_token": csrf(client, "/users")})
    assert r.status_code == 200 and "已解除 edu2 的登录锁定" in r.text
    assert world.session.execute(select(LoginFailure).where(LoginFailure.username == "edu2")).first() is None


# --- temporary password -----------------------------------------------------------------------------------

def test_temporary_password_opens_only_the_password_change(client, world):
    uid = world.users["edu"].id
    assert client.post(f"/api/v1/users/{uid}/reset-password", headers=world.headers("edu2")).status_code == 403
    old = world.headers("edu")
    r = client.post(f"/api/v1/users/{uid}/reset-password", headers=world.headers("admin"))
    assert r.status_code == 200, r.text
    temporary = r.json()["temporary_password"]
    assert len(temporary) >= 12 and r.json()["user"]["must_change_password"] is True
    assert client.get("/api/v1/me", headers=old).status_code == 401                 # the old token is dead
    assert client.post("/api/v1/auth/token", data={"username": "edu", "password": PASSWORD}).status_code == 401
    # Neither the temporary password nor its hash is in the audit log.
    [entry] = _audit(world, "reset_password")
    assert entry.changes == {"password": ["***", "***（临时密码）"], "must_change_password": [False, True]}
    everything = " ".join(str(e.changes) for e in _audit(world, "reset_password"))
    assert temporary not in everything and _user(world, "edu").password_hash[-16:] not in everything

    r = client.post("/api/v1/auth/token", data={"username": "edu", "password": temporary})
    h = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/api/v1/me", headers=h).json()["must_change_password"] is True
    for method, path, body in (("post", "/api/v1/systems", {}), ("get", "/api/v1/systems", None),
                               ("patch", f"/api/v1/users/{uid}", {"display_name": "x"})):
        r = client.request(method.upper(), path, json=body, headers=h)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["code"] == "password_change_required" and "临时密码" in r.json()["detail"]
    # The current (temporary) password is required, and a new one must differ from it.
    r = client.post("/api/v1/me/password", json={"current_password": "wrong", "new_password": NEW}, headers=h)
    assert r.status_code == 403 and r.json()["detail"] == "当前密码不正确"
    r = client.post("/api/v1/me/password", json={"current_password": temporary, "new_password": temporary},
                    headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "new_password"
    r = client.post("/api/v1/me/password", json={"current_password": temporary, "new_password": NEW}, headers=h)
    assert r.status_code == 200 and r.json()["must_change_password"] is False
    r = client.post("/api/v1/auth/token", data={"username": "edu", "password": NEW})
    h = {"Authorization": f"Bearer {r.json()['access_token']}"}
    create_system(client, h, world.depts["edu"].id)                                  # writes work again
    changed = _audit(world, "change_password")
    assert [e.changes for e in changed] == [{"password": ["***", "***（已修改）"],
                                             "must_change_password": [True, False]}]


def test_temporary_password_sends_pages_to_the_change_form(client, world):
    r = client.post(f"/api/v1/users/{world.users['edu'].id}/reset-password", headers=world.headers("admin"))
    temporary = r.json()["temporary_password"]
    r = client.post("/login", data={"username": "edu", "password": temporary, "csrf_token": csrf(client, "/login"),
                                    "next": "/systems"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/me/password?next=/systems"
    for path in ("/", "/systems", "/cloud/new"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/me/password?next=")
    page = client.get("/me/password").text
    assert "管理员为您设置了临时密码" in page and 'href="/systems"' not in page          # no navigation
    token = csrf(client, "/me/password")
    r = client.post("/me/password", data={"csrf_token": token, "current_password": temporary,
                                          "new_password": NEW, "confirm_password": NEW + "x", "next": "/systems"})
    assert r.status_code == 422 and "两次输入的新密码不一致" in r.text
    r = client.post("/me/password", data={"csrf_token": token, "current_password": temporary,
                                          "new_password": NEW, "confirm_password": NEW, "next": "/systems"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/systems"
    assert client.get("/systems").status_code == 200


def test_reset_from_the_users_page_shows_the_password_once(client, world):
    login(client, "admin")
    r = client.post(f"/users/{world.users['edu2'].id}/reset-password", data={"csrf_token": csrf(client, "/users")})
    assert r.status_code == 200
    temporary = re.search(r'<code class="secret">([^<]+)</code>', r.text).group(1)
    assert verify_password(_user(world, "edu2").password_hash, temporary)
    assert temporary not in client.get("/users").text and "待修改临时密码" in client.get("/users").text


# --- one's own password -----------------------------------------------------------------------------------

def test_changing_ones_password_ends_the_other_sessions(app, client, world):
    with TestClient(app) as other:
        login(client, "edu")
        login(other, "edu")
        token = csrf(client, "/me/password")
        r = client.post("/me/password", data={"csrf_token": token, "current_password": "wrong",
                                              "new_password": NEW, "confirm_password": NEW})
        assert r.status_code == 403 and "当前密码不正确" in r.text
        r = client.post("/me/password", data={"csrf_token": token, "current_password": PASSWORD,
                                              "new_password": "short", "confirm_password": "short"})
        assert r.status_code == 422 and 'class="field-error"' in r.text and "String should" not in r.text
        r = client.post("/me/password", data={"csrf_token": token, "current_password": PASSWORD,
                                              "new_password": NEW, "confirm_password": NEW}, follow_redirects=False)
        assert r.status_code == 303
        assert "密码已修改" in client.get("/").text                                  # still signed in here
        assert other.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    assert client.post("/api/v1/auth/token", data={"username": "edu", "password": NEW}).status_code == 200


def test_wrong_current_passwords_are_throttled(client, world):
    h = world.headers("edu")
    for i in range(5):
        r = client.post("/api/v1/me/password", json={"current_password": f"x{i}", "new_password": NEW}, headers=h)
        assert r.status_code == 403
    r = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW}, headers=h)
    assert r.status_code == 429 and "Retry-After" in r.headers


# --- who is who -------------------------------------------------------------------------------------------

def test_header_shows_name_and_department(client, world):
    world.users["edu"].display_name = "张敏"
    world.session.add(world.users["edu"])
    world.session.commit()
    login(client, "edu")
    who = re.search(r'<span class="user" id="who">(.*?)</span></span>', client.get("/").text).group(1)
    assert "张敏" in who and "示范县教育局" in who and 'href="/me/password"' in client.get("/").text


def test_histories_show_name_and_department(client, world):
    system = create_system(client, world.headers("edu"), world.depts["edu"].id)
    login(client, "admin")
    assert "edu（示范县教育局）" in client.get("/audit").text
    assert "edu（示范县教育局）" in client.get(f"/systems/{system['id']}").text
    client.patch(f"/api/v1/users/{world.users['edu2'].id}", json={"display_name": "李华"},
                 headers=world.headers("admin"))
    assert "admin（系统管理员）" in client.get("/audit").text
    # In English the same lookup reads "name (department)", and a user outside departments shows the role.
    client.post("/lang", data={"csrf_token": csrf(client, "/audit"), "lang": "en"})
    page = client.get("/audit").text
    assert "edu (示范县教育局)" in page and "admin (Administrator)" in page


def test_login_page_lists_demo_accounts_only_with_the_demo(client, world):
    from control.demo import DEMO_NAMES, DEMO_USERS
    assert "demo-accounts" not in client.get("/login").text
    audit.record(world.session, "demo-loader", "create", "department", 1)
    world.session.commit()
    page = client.get("/login").text
    for username, _role, _dept, password in DEMO_USERS:
        assert f"<code>{username}</code>" in page and password in page and DEMO_NAMES[username] in page
    assert "白水县教育局" in page


def test_demo_users_have_names_of_their_own():
    from control.demo import DEMO_NAMES, DEMO_USERS
    names = [DEMO_NAMES[u] for u, *_ in DEMO_USERS]
    assert len(set(names)) == len(DEMO_USERS) and not any("演示" in n for n in names)


def test_own_password_never_changes_without_the_current_one(client, world):
    """Not even an admin's own, through the user PATCH that sets other people's."""
    admin = world.headers("admin")
    r = client.patch(f"/api/v1/users/{world.users['admin'].id}", json={"password": NEW}, headers=admin)
    assert r.status_code == 403 and r.json()["code"] == "current_password_required" and "当前密码" in r.json()["detail"]
    assert client.get("/api/v1/me", headers=admin).status_code == 200
