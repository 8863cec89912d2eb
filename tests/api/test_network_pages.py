"""The private-network pages: list with filters, the form (carrier rows, sites, systems), the network page
and its state actions, the classified refusal, scope."""
from __future__ import annotations

from sqlalchemy import text

from tests.api.helpers import create_system, csrf, login


def form(client, path: str, department_id: int, **extra) -> dict:
    body = {"csrf_token": csrf(client, path), "department_id": str(department_id), "name": "县教育城域网",
            "purpose": "连接中小学", "fiscal_funded": "true", "is_classified": "false",
            "sites": "县教育局机房\n\n城关镇中心校\n", "line_rows": "3",
            "lines-0-carrier": "中国电信", "lines-0-count": "12", "lines-0-bandwidth_mbps": "100",
            "lines-0-yearly_rent": "18.6", "lines-1-carrier": "", "lines-2-carrier": ""}
    body.update(extra)
    return body


def test_create_edit_act_through_the_pages(client, world):
    system = create_system(client, world.headers("edu"), world.depts["edu"].id, name="学籍系统")
    login(client, "edu")
    assert "/networks" in client.get("/").text                     # the navigation entry
    page = client.get("/networks/new")
    assert page.status_code == 200 and "学籍系统" in page.text
    r = client.post("/networks/new", data={**form(client, "/networks/new", world.depts["edu"].id),
                                           "system_ids": str(system["id"])}, follow_redirects=False)
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    page = client.get(url).text
    assert "已登记业务专网“县教育城域网”" in page and "中国电信" in page and "18.6" in page
    assert "城关镇中心校" in page and "学籍系统" in page and "在用" in page

    # A bad carrier row: the form again with the reason, nothing written.
    edit = form(client, f"{url}/edit", world.depts["edu"].id, **{"lines-1-carrier": "中国移动",
                                                                  "lines-1-count": "0"})
    r = client.post(f"{url}/edit", data=edit)
    assert r.status_code == 422 and 'id="form-message"' in r.text
    edit = form(client, f"{url}/edit", world.depts["edu"].id, purpose="教育专网")
    assert client.post(f"{url}/edit", data=edit, follow_redirects=False).status_code == 303
    assert "教育专网" in client.get(url).text

    token = csrf(client, url)
    r = client.post(f"{url}/migrate", data={"csrf_token": token, "on": "", "note": ""})
    assert r.status_code == 200 and "未能执行" in r.text and "只能联通" in r.text
    r = client.post(f"{url}/connect", data={"csrf_token": token, "on": "", "note": "接入外网"})
    assert r.status_code == 200 and "已登记：当前状态“已联通”" in r.text
    assert client.post(f"{url}/migrate", data={"csrf_token": token}).status_code == 200
    r = client.post(f"{url}/convert", data={"csrf_token": token, "note": ""})
    assert "未能执行" in r.text and "须填写说明" in r.text
    r = client.post(f"{url}/convert", data={"csrf_token": token, "note": "改造为政务外网专用区"})
    assert "已改造" in r.text and "改造为政务外网专用区" in r.text

    listing = client.get("/networks", params={"state": "converted", "fiscal": "true"})
    assert "县教育城域网" in listing.text
    assert "县教育城域网" not in client.get("/networks", params={"state": "in_use"}).text


def test_classified_network_refused_on_the_form_and_nothing_kept(client, world, app):
    login(client, "edu")
    secret = "机要专网ABC"
    r = client.post("/networks/new", data=form(client, "/networks/new", world.depts["edu"].id, name=secret,
                                               is_classified="true"))
    assert r.status_code == 422 and "保密局" in r.text and secret not in r.text
    with app.state.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM private_network")).scalar() == 0
        assert secret not in str(conn.execute(text("SELECT * FROM audit_entry")).all())


def test_pages_keep_the_scope(client, world):
    h = world.headers("edu")
    r = client.post("/api/v1/private-networks", json={"department_id": world.depts["edu"].id, "name": "教育网"},
                    headers=h)
    net = r.json()["id"]
    login(client, "health")
    assert client.get(f"/networks/{net}").status_code == 403
    assert client.get(f"/networks/{net}/edit").status_code == 403
    assert "教育网" not in client.get("/networks").text
    client.cookies.clear()
    login(client, "auditor")
    page = client.get(f"/networks/{net}").text
    assert "教育网" in page and 'id="network-actions"' not in page
    assert client.get("/networks/new").status_code == 403


def test_english_pages(client, world):
    login(client, "edu")
    client.post("/lang", data={"csrf_token": csrf(client), "lang": "en", "next": "/"})
    assert "Register a network" in client.get("/networks").text


def test_the_form_offers_the_systems_of_the_chosen_department(client, world):
    h = world.headers("countyoffice")
    create_system(client, h, world.depts["edu"].id, name="学籍系统")
    create_system(client, h, world.depts["health"].id, name="医保系统")
    login(client, "countyoffice")
    page = client.get("/networks/new").text
    assert "学籍系统" in page and "医保系统" in page
    fragment = client.get("/networks/system-choices", params={"department_id": world.depts["health"].id},
                          headers={"HX-Request": "true"}).text
    assert "医保系统" in fragment and "学籍系统" not in fragment and 'id="system-choices"' in fragment
    r = client.post("/networks/new", data={**form(client, "/networks/new", world.depts["edu"].id),
                                           "department_id": "abc"})
    assert r.status_code == 422 and "学籍系统" in r.text
