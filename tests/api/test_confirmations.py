"""Issue 12, point 9: every irreversible action asks first (the confirm macro: data-confirm stating its
consequence, read by static/app.js), is not a primary button, and a reason it needs is never preselected."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.api import test_cloud_requests as base
from tests.api import test_zombies as zombies
from tests.api.helpers import create_system, login
from tests.api.test_cloud_requests import reach

cloud, fleet = base.cloud, zombies.fleet       # fixtures: capacity in every zone; systems with usage


def tag_of(page_html: str, text: str) -> str:
    found = re.search(rf'<button\b([^>]*)>{re.escape(text)}</button>', page_html, re.S)
    assert found, f"no button {text}"
    return found.group(1)


def asks(tag: str, *words: str) -> None:
    confirm = re.search(r'data-confirm="([^"]+)"', tag)
    assert confirm, tag
    assert all(w in confirm.group(1) for w in words), confirm.group(1)
    assert re.search(r'class="(danger|secondary)', tag), f"a primary button: {tag}"


@pytest.fixture
def pages(app):
    clients: dict[str, TestClient] = {}

    def as_user(username: str) -> TestClient:
        if username not in clients:
            clients[username] = TestClient(app)
            clients[username].__enter__()
            login(clients[username], username)
        return clients[username]
    yield as_user
    for c in clients.values():
        c.__exit__(None, None, None)


def test_cancel_reject_and_reclaim_ask_first(client, cloud, pages):
    draft = reach(client, cloud, "draft")
    asks(tag_of(pages("edu").get(f"/cloud/{draft['id']}").text, "撤销"), "不能恢复")
    review = reach(client, cloud, "review")
    html = pages("edu2").get(f"/cloud/{review['id']}").text
    asks(tag_of(html, "驳回"), "不能修改或重新提交")
    assert "data-confirm" not in tag_of(html, "通过")
    in_use = reach(client, cloud, "in_use")
    html = pages("infocenter").get(f"/cloud/{in_use['id']}").text
    asks(tag_of(html, "收回"), "已交付的 1 项资源", "不能恢复")
    select = re.search(r'<select name="reclaim_reason"([^>]*)>(.*?)</select>', html, re.S)
    assert "required" in select.group(1) and "selected" not in select.group(2)
    assert re.match(r'<option value="">请选择</option>', select.group(2))
    # Without a reason the Information Center's reclaim is refused, not defaulted.
    r = client.post(f"/api/v1/cloud-requests/{in_use['id']}/reclaim", json={}, headers=cloud.headers("infocenter"))
    assert r.status_code == 422


def test_the_dialog_speaks_the_readers_language(client, cloud, pages):
    in_use = reach(client, cloud, "in_use")
    page = pages("infocenter")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get("/").text).group(1)
    page.post("/lang", data={"csrf_token": token, "lang": "en", "next": "/"})
    tag = re.search(r'<button\b([^>]*formaction="/cloud/\d+/reclaim"[^>]*)>', page.get(f"/cloud/{in_use['id']}").text)
    assert "the 1 delivered resources" in tag.group(1) and 'data-confirm-cancel="Cancel"' in tag.group(1)


def test_deactivating_a_user_and_decommissioning_a_system_ask_first(client, world, pages):
    html = pages("admin").get("/users").text
    uid = world.users["edu2"].id
    form = re.search(rf'<form method="post" action="/users/{uid}/deactivate"([^>]*)>', html).group(1)
    assert 'data-confirm="停用后“edu2”不能再登录' in form
    system = create_system(client, world.headers("admin"), world.depts["edu"].id, status="stopped")
    html = pages("admin").get(f"/systems/{system['id']}").text
    asks(re.search(r'<button\b([^>]*formaction="/systems/\d+/decommission"[^>]*)>', html).group(1), "不能撤销")
    asks(re.search(r'<button\b([^>]*formaction="/systems/\d+/delete"[^>]*)>', html).group(1), "审计日志")


def test_completing_a_clean_up_asks_first(client, world, fleet, pages):
    zombies.scan(client, world)
    cid = zombies.case_of(client, world, "EDU-QUIET")["id"]
    assert zombies.act(client, world, "auditor", cid, "confirm", reason="连续 90 天无业务请求").status_code == 200
    r = zombies.act(client, world, "bureau", cid, "plan_cleanup", plan={"archive": "数据移交档案馆"})
    assert r.status_code == 200, r.text
    html = pages("infocenter").get(f"/zombies/cases/{cid}").text
    tag = re.search(r'<button\b([^>]*formaction="/zombies/cases/\d+/complete_cleanup"[^>]*)>', html).group(1)
    asks(tag, "已下线", "收回", "不能撤销")
