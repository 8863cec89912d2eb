"""Web pages: login redirect, role navigation, department scope, CSRF, forms with inline errors,
census import, audit log, language."""
from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from tests.api.helpers import create_system, csrf, fill_self_built_sheet, login
from tests.conftest import PASSWORD

TEMPLATES = Path(__file__).resolve().parents[2] / "control" / "web" / "templates"


def nav(html: str) -> list[str]:
    block = re.search(r"<nav aria-label=[^>]*>(.*?)</nav>", html, re.S).group(1)
    return re.findall(r">([^<]+)</a>", block)


# --- sign-in and roles -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/systems", "/systems/new", "/systems/import", "/systems/1", "/systems/1/edit",
                                  "/departments", "/departments/1/edit", "/audit", "/users", "/cloud", "/calendar",
                                  "/zombies"])
def test_pages_need_login(client, world, path):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/login?next={path}"


def test_login_page_and_wrong_password(client, world):
    page = client.get("/login")
    assert page.status_code == 200 and "云长" in page.text and 'name="password"' in page.text
    r = client.post("/login", data={"username": "edu", "password": "nope", "csrf_token": csrf(client, "/login")})
    assert r.status_code == 401 and "用户名或密码错误" in r.text and 'value="edu"' in r.text


def test_login_goes_back_to_the_page_asked_for_but_never_elsewhere(client, world):
    token = csrf(client, "/login")
    r = client.post("/login", data={"username": "edu", "password": PASSWORD, "next": "/systems?status=running",
                                    "csrf_token": token}, follow_redirects=False)
    assert r.headers["location"] == "/systems?status=running"
    r = client.post("/login", data={"username": "edu", "password": PASSWORD, "next": "//evil.example/",
                                    "csrf_token": csrf(client, "/login")}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_logout_needs_the_token_and_ends_the_session(client, world):
    login(client, "edu")
    assert client.post("/logout", data={}).status_code == 403
    r = client.post("/logout", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("user,path,status", [
    ("edu", "/", 200), ("edu", "/systems", 200), ("edu", "/systems/import", 200), ("edu", "/systems/new", 200),
    ("edu", "/departments", 200), ("edu", "/audit", 403), ("edu", "/users", 403), ("edu", "/departments/1/edit", 403),
    ("auditor", "/", 200), ("auditor", "/systems", 200), ("auditor", "/audit", 200), ("auditor", "/users", 403),
    ("auditor", "/systems/import", 403), ("auditor", "/systems/new", 403),
    ("admin", "/users", 200), ("admin", "/audit", 200), ("admin", "/systems/import", 200),
    ("admin", "/departments/1/edit", 200),
    ("bureau", "/systems", 200), ("bureau", "/systems/new", 403), ("bureau", "/audit", 403),
    ("infocenter", "/systems/new", 200), ("infocenter", "/systems/import", 200), ("infocenter", "/users", 403),
    ("ops", "/", 200), ("ops", "/systems/import", 403), ("ops", "/audit", 403),
])
def test_role_access(client, world, user, path, status):
    login(client, user)
    r = client.get(path)
    assert r.status_code == status
    if status == 403:
        assert "无权" in r.text and "<nav" in r.text  # a page, not JSON


def test_navigation_follows_the_role(client, world):
    login(client, "edu")
    items = nav(client.get("/").text)
    assert "导入普查表" in items and "审计日志" not in items and "用户" not in items
    login(client, "auditor")
    items = nav(client.get("/").text)
    assert "审计日志" in items and "导入普查表" not in items and "用户" not in items
    login(client, "admin")
    items = nav(client.get("/").text)
    assert {"首页", "信息系统清单", "导入普查表", "部门", "审计日志", "用户"} <= set(items)
    login(client, "ops")
    items = nav(client.get("/").text)
    assert "导入普查表" not in items and "审计日志" not in items


def test_the_current_page_is_marked_in_the_navigation(client, world):
    login(client, "edu")
    active = re.findall(r'<a href="([^"]+)" class="active"', client.get("/systems/import").text)
    assert active == ["/systems/import"]
    s = create_system(client, world.headers("edu"), world.depts["edu"].id)
    assert re.findall(r'<a href="([^"]+)" class="active"', client.get(f"/systems/{s['id']}").text) == ["/systems"]


def test_no_external_scripts_or_styles():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', text), path


def test_htmx_and_the_stylesheet_are_served_locally(client):
    assert "htmx" in client.get("/static/htmx.min.js").text[:200]
    css = client.get("/static/style.css").text
    assert "Noto Sans CJK SC" in css and "WenQuanYi Zen Hei" in css


# --- home -------------------------------------------------------------------------------------------

def test_dashboard_counts_are_scoped(client, world):
    create_system(client, world.headers("edu"), world.depts["edu"].id, name="教育一")
    create_system(client, world.headers("edu"), world.depts["edu"].id, name="教育二", status="stopped",
                  networks=["private"])
    create_system(client, world.headers("health"), world.depts["health"].id, name="卫健一")

    def running_and_private(html: str) -> tuple[str, str]:
        running = re.search(r'href="/systems\?status=running">.*?<b>(\d+)</b>', html, re.S).group(1)
        private = re.search(r'href="/systems\?network=private">.*?<b>(\d+)</b>', html, re.S).group(1)
        return running, private
    login(client, "edu")
    assert running_and_private(client.get("/").text) == ("1", "1")
    login(client, "admin")
    assert running_and_private(client.get("/").text) == ("2", "1")


# --- systems: list, scope, page, form, lifecycle ---------------------------------------------------------------

def test_department_user_cannot_open_another_departments_system(client, world):
    other = create_system(client, world.headers("health"), world.depts["health"].id)
    own = create_system(client, world.headers("edu"), world.depts["edu"].id, name="本局系统")
    login(client, "edu")
    assert client.get(f"/systems/{own['id']}").status_code == 200
    r = client.get(f"/systems/{other['id']}")
    assert r.status_code == 403 and "不在本单位及下级单位范围内" in r.text
    assert client.get(f"/systems/{other['id']}/edit").status_code == 403
    token = csrf(client)
    assert client.post(f"/systems/{other['id']}/stop", data={"csrf_token": token}).status_code == 403
    listing = client.get("/systems").text
    assert "本局系统" in listing and f'/systems/{other["id"]}"' not in listing
    # …nor filter the list by a department outside the subtree
    assert client.get(f"/systems?department_id={world.depts['health'].id}").status_code == 403


def test_list_filters_in_place_with_htmx(client, world):
    create_system(client, world.headers("edu"), world.depts["edu"].id, name="外网系统", networks=["extranet"])
    create_system(client, world.headers("edu"), world.depts["edu"].id, name="专网系统", networks=["private"])
    login(client, "edu")
    full = client.get("/systems?network=private").text
    assert 'hx-get="/systems"' in full and 'hx-push-url="true"' in full and 'hx-target="#systems-table"' in full
    assert "专网系统" in full and "外网系统" not in full
    fragment = client.get("/systems?network=private&q=专网", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "专网系统" in fragment.text
    assert 'href="/api/v1/systems/export.xlsx?network=private&amp;q=' in fragment.text
    assert client.get("/systems?sort=bogus&protection_level=x").status_code == 200  # bad input is ignored
    # the export link works with the browser session and the same filters
    r = client.get("/api/v1/systems/export.xlsx?network=private")
    assert r.status_code == 200
    names = [row[2] for row in openpyxl.load_workbook(io.BytesIO(r.content))["自建系统"].iter_rows(values_only=True)]
    assert "专网系统" in names and "外网系统" not in names
    assert client.get("/api/v1/systems/template.xlsx").status_code == 200


def test_paging(client, world):
    for i in range(52):
        create_system(client, world.headers("admin"), world.depts["edu"].id, name=f"系统{i:02d}")
    login(client, "edu")
    page = client.get("/systems").text
    assert "系统49" in page and "系统50" not in page and "offset=50" in page
    assert "系统51" in client.get("/systems?offset=50").text


def test_system_page_shows_sections_labels_sharing_and_history(client, world):
    s = create_system(client, world.headers("edu"), world.depts["edu"].id)
    login(client, "edu")
    page = client.get(f"/systems/{s['id']}").text
    for text in ("一、系统基本情况", "网络环境", "使用情况", "二、系统建设运维情况", "三、信息资源共享交换情况",
                 "电子政务外网", "纵向到基层", "每日", "直接连接", "学生基本信息", "API接口", "52.5"):
        assert text in page, text
    assert 'id="history"' not in page  # the audit history is for admins and auditors
    login(client, "auditor")
    page = client.get(f"/systems/{s['id']}").text
    assert 'id="history"' in page and "新增" in page and "安全等级（等保级别）" in page
    assert "/edit" not in page and 'id="lifecycle"' not in page  # read-only role


def test_vertical_systems_show_only_their_fields(client, world):
    login(client, "edu")
    self_built = client.get("/systems/new").text
    vertical = client.get("/systems/new?kind=vertical&name=垂管一").text
    assert 'name="approving_unit"' in self_built and 'name="approving_unit"' not in vertical
    assert 'name="networks"' in vertical and 'value="垂管一"' in vertical and "附件3" in vertical
    s = create_system(client, world.headers("edu"), world.depts["edu"].id, kind="vertical", name="垂管系统甲",
                      status="running", networks=["extranet"], protection_level=None, can_reach_external=None,
                      reach_method=None, use_scopes=[], use_scope_names=None, user_count=None, usage_frequency=None,
                      approving_unit=None, approval_date=None, build_cost=None, build_funding_source=None,
                      om_cost_yearly=None, om_vendors=None, sharing=[])
    page = client.get(f"/systems/{s['id']}").text
    assert "系统名称" in page and "审批单位" not in page and "三、信息资源共享交换情况" not in page
    edit = client.get(f"/systems/{s['id']}/edit").text
    assert 'name="approving_unit"' not in edit and 'name="additional_notes"' in edit


def test_create_and_edit_through_the_form(client, world):
    login(client, "edu")
    token = csrf(client, "/systems/new")
    base = {"csrf_token": token, "department_id": world.depts["edu"].id, "kind": "self_built",
            "name": "表单登记的系统", "status": "registered", "networks": ["extranet", "internet"],
            "is_classified": "false"}
    r = client.post("/systems/new", data={**base, "protection_level": "9", "build_cost": "abc"})
    assert r.status_code == 422
    errors = dict(
        re.findall(r'name="(\w+)"[^>]*class="invalid".*?<span class="field-error"[^>]*>([^<]+)<', r.text, re.S)
    )
    assert errors["protection_level"] == "不能大于 5" and errors["build_cost"] == "应为数字"
    assert 'value="表单登记的系统"' in r.text and 'value="internet" checked' in r.text  # what was typed stays
    r = client.post("/systems/new", data={**base, "can_reach_external": "true"})
    assert r.status_code == 422 and "可连接外网或互联网的，必须填写连接方式" in r.text  # service rule, inline
    r = client.post("/systems/new", data={**base, "protection_level": "2", "user_count_varies": "true",
                                          "build_cost": "12.50"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "电子政务外网" in page and "互联网" in page and "不固定" in page and "12.5" in page
    system_id = int(r.headers["location"].rsplit("/", 1)[1])
    edit = client.get(f"/systems/{system_id}/edit").text
    assert 'value="12.5"' in edit and 'value="extranet" checked' in edit
    r = client.post(f"/systems/{system_id}/edit", data={**base, "name": "改名后的系统", "networks": ["intranet"]},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/systems/{system_id}").text
    assert "改名后的系统" in page and "已保存" in page and "电子政务内网" in page
    # a clash is a 409 with the reason as the message
    create_system(client, world.headers("edu"), world.depts["edu"].id, name="已有的系统")
    r = client.post(f"/systems/{system_id}/edit", data={**base, "name": "已有的系统"})
    assert r.status_code == 409 and 'id="form-message"' in r.text and "已有的系统" in r.text


def test_lifecycle_buttons_follow_the_transitions(client, world):
    s = create_system(client, world.headers("edu"), world.depts["edu"].id, status="registered")
    login(client, "edu")

    def buttons() -> list[str]:
        return re.findall(rf'formaction="/systems/{s["id"]}/(\w+)"', client.get(f"/systems/{s['id']}").text)
    assert buttons() == ["start", "delete"]
    token = csrf(client)
    client.post(f"/systems/{s['id']}/start", data={"csrf_token": token, "comment": "上线"})
    assert buttons() == ["stop"]
    client.post(f"/systems/{s['id']}/stop", data={"csrf_token": token})
    assert buttons() == ["start", "decommission", "delete"]
    client.post(f"/systems/{s['id']}/start", data={"csrf_token": token})
    page = client.post(f"/systems/{s['id']}/decommission", data={"csrf_token": token}).text
    assert "未能执行" in page and "只能变更为" in page  # the 409 reason is shown
    assert client.post(f"/systems/{s['id']}/explode", data={"csrf_token": token}).status_code == 404


def test_forms_need_the_csrf_token(client, world):
    s = create_system(client, world.headers("edu"), world.depts["edu"].id)
    login(client, "edu")
    assert client.post(f"/systems/{s['id']}/stop", data={}).status_code == 403
    assert client.post(f"/systems/{s['id']}/stop", data={"csrf_token": "forged"}).status_code == 403
    token = csrf(client, f"/systems/{s['id']}")
    r = client.post(f"/systems/{s['id']}/stop", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/api/v1/systems/{s['id']}").json()["status"] == "stopped"   # the cookie reads the API
    assert client.post("/api/v1/systems", json={}).status_code == 401               # …but never writes through it
    # htmx sends the token as a header (hx-headers on <body>)
    assert f'"X-CSRF-Token": "{token}"' in client.get("/").text
    r = client.post(f"/systems/{s['id']}/start", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert r.status_code == 303


@pytest.mark.parametrize("user,path,multipart", [
    ("edu", "/logout", False), ("edu", "/lang", False), ("edu", "/systems/new", False),
    ("edu", "/systems/import", True), ("admin", "/departments", False), ("admin", "/departments/1/edit", False),
    ("admin", "/users", False), ("admin", "/users/1/deactivate", False), ("auditor", "/audit/verify", False),
])
def test_every_form_refuses_a_missing_token(client, world, user, path, multipart):
    login(client, user)
    client.get("/")  # the session has a token; the post does not carry it
    r = (client.post(path, files={"file": ("a.xlsx", b"x")}) if multipart else client.post(path, data={"a": "b"}))
    assert r.status_code == 403 and "CSRF" in r.text


# --- census import -----------------------------------------------------------------------------------------

def filled_template(client, rows: list[dict]) -> bytes:
    return fill_self_built_sheet(client.get("/api/v1/systems/template.xlsx").content, rows)


def test_import_shows_every_error_then_imports(client, world):
    login(client, "edu")
    token = csrf(client, "/systems/import")
    rows = [{"部门名称": "示范县教育局", "系统名称": "导入系统甲", "运行状态": "正在运行", "运行网络": "电子政务外网",
             "使用频度": "每日"},
            {"部门名称": "示范县教育局", "系统名称": "导入系统乙", "运行状态": "正在运行", "运行网络": "业务专网",
             "使用频度": "每周", "审批时间": "2019年13月1日"}]
    bad = filled_template(client, rows)
    r = client.post("/systems/import", data={"csrf_token": token}, files={"file": ("普查表.xlsx", bad)})
    assert r.status_code == 422 and "未导入任何数据" in r.text
    table = re.search(r'<table class="data" id="import-error-table">(.*?)</table>', r.text, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)]
    assert cells[:3] == ["自建系统", "3", "审批时间"] and "工作表" in r.text and "问题" in r.text
    assert client.get("/api/v1/systems").json()["total"] == 0  # nothing was written
    rows[1]["审批时间"] = "2019.3.1"
    r = client.post("/systems/import", data={"csrf_token": token},
                    files={"file": ("普查表.xlsx", filled_template(client, rows))})
    assert r.status_code == 200
    result = re.sub(r"<[^>]+>", "", re.search(r'id="import-result">(.*?)</div>', r.text, re.S).group(1))
    assert re.search(r"新增\s*2", result) and re.search(r"未变\s*0", result) and 'href="/systems"' in r.text
    assert "导入系统乙" in client.get("/systems").text


def test_import_refuses_what_is_not_a_workbook(client, world):
    login(client, "edu")
    token = csrf(client, "/systems/import")
    r = client.post("/systems/import", data={"csrf_token": token}, files={"file": ("a.csv", b"name,status\n")})
    assert r.status_code == 422 and "未导入任何数据" in r.text and ".xlsx" in r.text
    r = client.post("/systems/import", data={"csrf_token": token}, files={"file": ("", b"")})
    assert r.status_code == 422 and "请选择" in r.text


def test_import_is_for_writers_only(client, world):
    login(client, "auditor")
    token = csrf(client)
    r = client.post("/systems/import", data={"csrf_token": token}, files={"file": ("a.xlsx", b"x")})
    assert r.status_code == 403


# --- departments ------------------------------------------------------------------------------------------

def test_department_tree_is_nested_and_scoped(client, world):
    login(client, "admin")
    page = client.get("/departments").text
    tree = re.search(r'<ul class="tree" id="department-tree">(.*)</ul></div>', page, re.S).group(1)
    # 示范县城关镇中心校 sits inside 示范县教育局's <li>, which sits inside the county's
    county = tree.index("示范县人民政府办公室")
    edu, school = tree.index("示范县教育局"), tree.index("示范县城关镇中心校")
    assert county < edu < school and "乡（镇、街道）" in tree and world.depts["edu"].code in tree
    assert 'id="new-department"' in page
    login(client, "edu")
    page = client.get("/departments").text
    assert "示范县教育局" in page and "示范县城关镇中心校" in page and "示范县卫生健康局" not in page
    assert 'id="new-department"' not in page and "/edit" not in page


def test_admin_creates_and_edits_departments_with_errors_inline(client, world):
    login(client, "admin")
    token = csrf(client, "/departments")
    form = {"csrf_token": token, "name": "示范县水利局", "code": "11450000000000099X", "level": "county",
            "parent_id": world.depts["county"].id}
    r = client.post("/departments", data=form)
    assert r.status_code == 422 and "field-error" in r.text and 'value="示范县水利局"' in r.text
    assert re.search(r'name="code"[^>]*class="invalid"', r.text)
    r = client.post("/departments", data={**form, "code": world.depts["edu"].code})
    assert r.status_code == 409 and "已被“示范县教育局”使用" in r.text
    from tests.conftest import uscc
    r = client.post("/departments", data={**form, "code": uscc(77)}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/departments").text
    assert "示范县水利局" in page and "已新增部门" in page
    r = client.post("/departments", data={**form, "code": uscc(78), "name": "某村", "level": "city",
                                          "parent_id": world.depts["school"].id})
    assert r.status_code == 422 and "上级部门层级不能低于本部门" in r.text
    edu = world.depts["edu"]
    edit = client.get(f"/departments/{edu.id}/edit").text
    assert (
        f'value="{edu.code}"' in edit and f'<option value="{world.depts["school"].id}"' not in edit
    )  # not under itself
    r = client.post(f"/departments/{edu.id}/edit", data={"csrf_token": token, "name": "示范县教育和体育局",
                                                          "code": edu.code, "level": "county",
                                                          "parent_id": world.depts["county"].id, "active": "true"},
                    follow_redirects=False)
    assert r.status_code == 303 and "示范县教育和体育局" in client.get("/departments").text


# --- users -------------------------------------------------------------------------------------------------

def test_admin_manages_users(client, world):
    login(client, "admin")
    token = csrf(client, "/users")
    r = client.post("/users", data={"csrf_token": token, "username": "newbie", "password": "Passw0rd!x",
                                    "role": "department", "display_name": "新人"})
    assert r.status_code == 422 and "部门用户必须指定所属部门" in r.text and 'value="newbie"' in r.text
    r = client.post("/users", data={"csrf_token": token, "username": "newbie", "password": "short",
                                    "role": "auditor"})
    assert r.status_code == 422 and re.search(r'name="password"[^>]*class="invalid"', r.text)
    r = client.post("/users", data={"csrf_token": token, "username": "newbie", "password": "Passw0rd!x",
                                    "role": "department", "department_id": world.depts["edu"].id},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/users").text
    assert "newbie" in page and "示范县教育局" in page
    r = client.post("/users", data={"csrf_token": token, "username": "newbie", "password": "Passw0rd!x",
                                    "role": "auditor"})
    assert r.status_code == 409 and "已存在" in r.text
    uid = world.users["edu2"].id
    r = client.post(f"/users/{uid}/deactivate", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and "已停用 edu2" in client.get("/users").text
    assert client.post("/login", data={"username": "edu2", "password": PASSWORD,
                                       "csrf_token": csrf(client, "/login")}).status_code == 401


# --- audit log ------------------------------------------------------------------------------------------

def test_audit_log_filters_pages_exports_and_verifies(client, world):
    s = create_system(client, world.headers("edu"), world.depts["edu"].id, name="审计看得见的系统")
    client.post(f"/api/v1/systems/{s['id']}/stop", json={"comment": "暂停"}, headers=world.headers("edu"))
    login(client, "auditor")
    page = client.get("/audit?entity_type=system").text
    assert "审计看得见的系统" in page and 'hx-get="/audit"' in page and "停止运行" in page
    assert 'href="/api/v1/audit/export.csv?entity_type=system"' in page
    # the filter form always sends every field, the blank dates too
    fragment = client.get("/audit?actor=edu&action=&entity_type=department&since=&until=&q=",
                          headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "没有符合条件的记录" in fragment.text
    assert 'export.csv?actor=edu&amp;entity_type=department' in fragment.text
    assert client.get("/api/v1/audit/export.csv?entity_type=system").status_code == 200
    r = client.post("/audit/verify", headers={"X-CSRF-Token": csrf(client, "/audit"), "HX-Request": "true"})
    assert r.status_code == 200 and "哈希链完整" in r.text and "<html" not in r.text


# --- language -------------------------------------------------------------------------------------------

def test_language_switch(client, world):
    s = create_system(client, world.headers("edu"), world.depts["edu"].id)
    login(client, "edu")
    token = csrf(client)
    r = client.post("/lang", data={"csrf_token": token, "lang": "en", "next": "/systems"}, follow_redirects=False)
    assert r.headers["location"] == "/systems" and "lang=en" in r.headers["set-cookie"]
    page = client.get("/systems").text
    assert '<html lang="en">' in page and "Information systems" in page and "E-government extranet" in page
    assert "Census import" in nav(page) or "Import census" in nav(page)
    detail = client.get(f"/systems/{s['id']}").text
    assert "Protection level" in detail and "Basic information" in detail and "Daily" in detail
    # notices are translated when shown, their state and action labels too
    r = client.post(f"/systems/{s['id']}/stop", data={"csrf_token": csrf(client, f"/systems/{s['id']}")})
    assert r.status_code == 200 and "Done: Stop; status now “Stopped”" in r.text
    # the choice is kept on the user, so it follows them to a new session
    client.cookies.clear()
    login(client, "edu")
    assert '<html lang="en">' in client.get("/").text
    client.post("/lang", data={"csrf_token": csrf(client), "lang": "zh_CN", "next": "/"})
    assert '<html lang="zh-CN">' in client.get("/").text and "信息系统清单" in client.get("/").text


def test_every_marked_string_has_an_english_translation():
    from control.web.i18n import translations
    en = translations("en")
    missing = []
    for path in TEMPLATES.rglob("*.html"):
        for msgid in re.findall(r"_\('((?:[^'\\]|\\.)*)'\)", path.read_text(encoding="utf-8")):
            if en.gettext(msgid) == msgid and re.search(r"[\u4e00-\u9fff]", msgid):
                missing.append(f"{path.name}: {msgid}")
    assert not missing, ("add the English to tools/en.tsv and run `python tools/en_catalog.py` "
                         f"(it rewrites control/web/locale/en/LC_MESSAGES/messages.po): {missing}")



def test_fragments_and_pages_are_never_cached_for_each_other(client, world):
    """/systems answers a page or, to htmx, the table alone: without Vary and no-store the browser's back
    button showed the bare table after filtering (seen in Chromium)."""
    login(client, "edu")
    for headers in ({}, {"HX-Request": "true"}):
        r = client.get("/systems?network=private", headers=headers)
        assert "HX-Request" in r.headers["vary"] and r.headers["cache-control"] == "no-store"


def test_login_keeps_the_query_of_the_page_asked_for(client, world):
    r = client.get("/systems?network=private&status=running", follow_redirects=False)
    assert r.headers["location"] == "/login?next=/systems%3Fnetwork%3Dprivate%26status%3Drunning"
    r = client.post("/login", data={"username": "edu", "password": PASSWORD, "csrf_token": csrf(client, "/login"),
                                    "next": "/systems?network=private&status=running"}, follow_redirects=False)
    assert r.headers["location"] == "/systems?network=private&status=running"


@pytest.mark.parametrize("path", ["/systems/new", "/cloud/new", "/lang"])
def test_a_file_in_a_text_field_is_refused(client, world, path):
    """Pages read text fields as str: a file sent where text is expected is a 400, not a 500 from .strip()."""
    login(client, "edu")
    token = csrf(client, "/systems/new")
    r = client.post(path, data={"csrf_token": token}, files={"name": ("x.txt", b"x"), "lang": ("y.txt", b"y")})
    assert r.status_code == 400 and "表单无法读取" in r.text
