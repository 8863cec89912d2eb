"""Sessions and logins: server-side revocation, throttling without lockout by a stranger, forwarded
addresses only from configured proxies, the last administrator, SQL parameters kept out of errors and
logs, security headers, the login form's CSRF token and the X-Request-ID check."""
from __future__ import annotations

import logging
import re
import traceback
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from control.app import create_app
from control.core import clock
from control.core.audit import AuditEntry
from tests.conftest import PASSWORD, make_settings, uscc

TEMPLATES = Path(__file__).resolve().parents[2] / "control" / "web" / "templates"


def csrf(client: TestClient, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def page_login(client: TestClient, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(client)},
                       follow_redirects=False)


def signed_in(client: TestClient) -> bool:
    return client.get("/", follow_redirects=False).status_code == 200


@pytest.fixture
def later():
    """The one clock stands still from the start of the test; later(seconds) moves it that far past the
    start. Released after the test."""
    from datetime import UTC, datetime
    start = datetime.now(UTC)
    clock.set_now(start)
    yield lambda seconds: clock.set_now(start + timedelta(seconds=seconds))
    clock.set_now(None)


# --- 1. logout and other ends of a session revoke it on the server -------------------------------------

def test_logout_revokes_a_copied_cookie(app, client, world):
    assert page_login(client, "edu").status_code == 303
    copied = client.cookies["yunzhang_session"]
    with TestClient(app, cookies={"yunzhang_session": copied}) as thief:
        assert signed_in(thief)
        r = client.post("/logout", data={"csrf_token": csrf(client, "/")}, follow_redirects=False)
        assert r.status_code == 303
        assert thief.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
        assert thief.get("/api/v1/me").status_code == 401


def test_password_change_and_deactivation_end_every_session(app, client, world):
    with TestClient(app) as first, TestClient(app) as second:
        assert page_login(first, "edu").status_code == 303 and page_login(second, "edu2").status_code == 303
        admin = world.headers("admin")
        r = client.patch(f"/api/v1/users/{world.users['edu'].id}", json={"password": "another-Passw0rd"},
                         headers=admin)
        assert r.status_code == 200 and not signed_in(first)
        assert signed_in(second)
        assert client.post(f"/api/v1/users/{world.users['edu2'].id}/deactivate", headers=admin).status_code == 200
        assert not signed_in(second)


def test_idle_and_absolute_timeouts(client, world, later):
    assert page_login(client, "edu").status_code == 303
    later(2 * 3600 - 60)                       # idle just under the 2 h default: still signed in
    assert signed_in(client)
    later(2 * 3600 - 60 + 2 * 3600 + 1)        # then idle past it
    assert not signed_in(client)
    assert page_login(client, "edu").status_code == 303
    base = 4 * 3600
    for hour in range(1, 12):                  # busy all day: idle never reached …
        later(base + hour * 3600)
        assert signed_in(client)
    later(base + 12 * 3600 + 1)                # … but 12 h after sign-in the session ends anyway
    assert not signed_in(client)


# --- 2. throttle per (username, address), per address, per username ----------------------------------

def test_attacker_at_one_address_does_not_lock_out_the_user_elsewhere(app, world, later):
    with TestClient(app, client=("203.0.113.9", 4000)) as attacker, \
            TestClient(app, client=("198.51.100.7", 4000)) as user:
        codes = [attacker.post("/api/v1/auth/token", data={"username": "admin", "password": f"guess{i}"}).status_code
                 for i in range(20)]
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
        # The attacker's address is slowed down even with the right password …
        assert attacker.post("/api/v1/auth/token", data={"username": "admin", "password": PASSWORD}).status_code == 429
        # … the admin at another address signs in, by API and by the login page.
        assert user.post("/api/v1/auth/token", data={"username": "admin", "password": PASSWORD}).status_code == 200
        assert page_login(user, "admin").status_code == 303


def test_back_off_doubles_and_then_lets_the_right_password_in(app, world, later):
    with TestClient(app, client=("203.0.113.9", 4000)) as c:
        for i in range(5):
            assert c.post("/api/v1/auth/token", data={"username": "edu", "password": f"x{i}"}).status_code == 401
        r = c.post("/api/v1/auth/token", data={"username": "edu", "password": "x"})
        assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 30 and "秒后再试" in r.json()["detail"]
        later(31)
        assert c.post("/api/v1/auth/token", data={"username": "edu", "password": "x6"}).status_code == 401
        r = c.post("/api/v1/auth/token", data={"username": "edu", "password": "x"})
        assert r.status_code == 429 and 30 < int(r.headers["Retry-After"]) <= 60
        later(31 + 61)
        assert c.post("/api/v1/auth/token", data={"username": "edu", "password": PASSWORD}).status_code == 200


def test_one_address_guessing_many_usernames_is_slowed(app, world, later):
    with TestClient(app, client=("203.0.113.9", 4000)) as c:
        for i in range(30):
            assert c.post("/api/v1/auth/token", data={"username": f"u{i}", "password": "x"}).status_code == 401
        assert c.post("/api/v1/auth/token", data={"username": "edu", "password": PASSWORD}).status_code == 429
    with TestClient(app, client=("198.51.100.7", 4000)) as other:
        assert other.post("/api/v1/auth/token", data={"username": "edu", "password": PASSWORD}).status_code == 200


def test_the_login_page_shows_the_throttle(app, world, later):
    with TestClient(app, client=("203.0.113.9", 4000)) as c:
        for _ in range(5):
            assert page_login(c, "edu", "wrong").status_code == 401
        r = page_login(c, "edu")
        assert r.status_code == 429 and "秒后再试" in r.text and "Retry-After" in r.headers


# --- 3. X-Forwarded-For only from configured proxies ---------------------------------------------------

def test_rotating_x_forwarded_for_does_not_bypass_the_limit(app, world, later):
    with TestClient(app, client=("127.0.0.1", 4000)) as c:
        codes = [c.post("/api/v1/auth/token", data={"username": "edu", "password": "x"},
                        headers={"X-Forwarded-For": f"10.9.{i}.1"}).status_code for i in range(8)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}


def test_x_forwarded_for_is_read_from_a_configured_proxy(db_url, tmp_path, world, later):
    settings = make_settings(db_url, tmp_path).model_copy(update={"trusted_proxies": "10.0.0.0/8"})
    proxied = create_app(settings)
    try:
        with TestClient(proxied, client=("10.1.2.3", 4000)) as proxy:
            for _ in range(6):
                proxy.post("/api/v1/auth/token", data={"username": "edu", "password": "x"},
                           headers={"X-Forwarded-For": "203.0.113.9"})
            assert proxy.post("/api/v1/auth/token", data={"username": "edu", "password": PASSWORD},
                              headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 429
            assert proxy.post("/api/v1/auth/token", data={"username": "edu", "password": PASSWORD},
                              headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 200
    finally:
        proxied.state.engine.dispose()



def test_a_mistyped_proxy_address_is_refused_at_start():
    from pydantic import ValidationError

    from control.settings import Settings
    assert Settings(trusted_proxies="10.0.0.0/8, 127.0.0.1, ::1").trusted_proxies
    with pytest.raises(ValidationError):
        Settings(trusted_proxies="10.0.0.300")

# --- 4. the last administrator -------------------------------------------------------------------------

def test_last_admin_cannot_be_deactivated_or_demoted_by_any_route(client, world):
    admin = world.headers("admin")
    uid = world.users["admin"].id
    for body in ({"active": False}, {"role": "auditor"}):
        r = client.patch(f"/api/v1/users/{uid}", json=body, headers=admin)
        assert r.status_code == 409 and r.json()["code"] == "last_admin" and "最后一个" in r.json()["detail"], body
    r = client.post(f"/api/v1/users/{uid}/deactivate", headers=admin)
    assert r.status_code == 409 and r.json()["code"] == "last_admin"
    # With a second administrator either may go, but not both.
    r = client.post("/api/v1/users", json={"username": "admin2", "password": "long-enough-1", "role": "admin"},
                    headers=admin)
    second = r.json()["id"]
    assert client.patch(f"/api/v1/users/{second}", json={"active": False}, headers=admin).status_code == 200
    assert client.patch(f"/api/v1/users/{uid}", json={"role": "auditor"}, headers=admin).status_code == 409
    assert client.get("/api/v1/me", headers=admin).json()["role"] == "admin"


# --- 5. bound parameters never in error text or logs --------------------------------------------------

def test_failed_statement_does_not_show_its_parameters(app, caplog):
    secret = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0LXNhbHQ$bm90LWEtcmVhbC1oYXNo"
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    with app.state.engine.connect() as conn, pytest.raises(DBAPIError) as failed:
        conn.execute(text("INSERT INTO no_such_table (password_hash) VALUES (:h)"), {"h": secret})
    assert "hide_parameters" in str(failed.value)
    assert secret not in str(failed.value)
    assert caplog.records and all(secret not in r.getMessage() for r in caplog.records)


def test_failed_row_values_are_not_in_the_error(app, world):
    """PostgreSQL repeats a failing row's values in the error DETAIL (with a password hash in it)."""
    secret = world.users["edu"].password_hash
    with app.state.engine.connect() as conn, pytest.raises(DBAPIError) as failed:
        conn.execute(text("UPDATE app_user SET display_name = NULL WHERE username = 'edu'"))
    shown = "".join(traceback.format_exception(failed.value))
    assert "display_name" in shown and secret not in shown and "Failing row" not in shown


# --- 6. security headers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/login", "/", "/api/v1/me", "/static/style.css", "/healthz", "/metrics"])
def test_security_headers_on_every_response(client, path):
    r = client.get(path, follow_redirects=False)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert "Strict-Transport-Security" not in r.headers


def test_docs_keep_working_and_hsts_only_behind_https(client, db_url, tmp_path):
    r = client.get("/docs")
    assert r.status_code == 200 and "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    secure = create_app(make_settings(db_url, tmp_path).model_copy(update={"cookie_secure": True}))
    try:
        with TestClient(secure, base_url="https://testserver") as c:
            assert c.get("/healthz").headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        secure.state.engine.dispose()


def test_templates_have_no_inline_script():
    """The CSP refuses inline script: no <script> without src, no on…= handlers, javascript: links,
    hx-on or js: values (they are eval'd) in any template."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|javascript:|hx-on|['\"]js:", re.I)
    found = [f"{p.relative_to(TEMPLATES)}: {m.group(0)}" for p in TEMPLATES.rglob("*.html")
             for m in inline.finditer(p.read_text())]
    assert found == []


# --- 7. CSRF token on the login form ----------------------------------------------------------------------

def test_login_form_needs_its_csrf_token(client, world):
    r = client.post("/login", data={"username": "edu", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/login", data={"username": "edu", "password": PASSWORD, "csrf_token": "forged"},
                    follow_redirects=False)
    assert r.status_code == 403
    assert page_login(client, "edu").status_code == 303


# --- 8. X-Request-ID ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("given,kept", [("import-2026.11_batch-7", True), ("x" * 65, False),
                                        ("<script>alert(1)</script>", False), ("a b", False), ("", False),
                                        ("编号1", False)])
def test_request_id_is_checked_before_it_is_stored_or_echoed(client, world, given, kept):
    r = client.post("/api/v1/departments", json={"code": uscc(501), "name": "示范县统计局", "level": "county"},
                    headers={**world.headers("admin"), "X-Request-ID": given.encode()})
    assert r.status_code == 201, r.text
    stored = world.session.execute(select(AuditEntry.request_id).where(AuditEntry.entity_type == "department")
                                   .order_by(AuditEntry.id.desc())).scalars().first()
    assert stored == r.headers["X-Request-ID"]
    if kept:
        assert stored == given
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", stored)

