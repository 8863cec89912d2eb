"""Issue 12, points 2 and 8: a draft or returned request is edited in the page and resubmitted; the page
shows every field the department filled; dates are validated in the API and the form; every reviewer is
warned of the capacity and quota shortfall a request would cause."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from control.core.clock import today
from tests.api import test_cloud_requests as base
from tests.api.helpers import csrf, login
from tests.api.test_cloud_requests import PATH, do, file_request, payload, reach

cloud = base.cloud          # the fixture: capacity registered in every zone

ASCII_FIELD = re.compile(r"\b(needed_by|use_until|vcpu|memory_gib|system_disk_gib|contact_name)\b")


def day(offset: int) -> str:
    return str(today() + timedelta(days=offset))


@pytest.fixture
def page(app, world):
    """A browser-like session of edu, the department that files the requests."""
    with TestClient(app) as c:
        login(c, "edu")
        yield c


def page_text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


# --- dates ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("dates", "field", "words"), [
    ({"use_until": day(-1)}, "use_until", "使用截止日期"),
    ({"needed_by": day(-1)}, "needed_by", "需求日期"),
    ({"needed_by": day(30), "use_until": day(10)}, "use_until", "需求日期"),
])
def test_dates_are_refused_in_the_api_naming_the_field(client, world, dates, field, words):
    r = client.post("/api/v1/cloud-requests", json=payload(world, **dates), headers=world.headers("edu"))
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert words in errors[0]["message"] and not ASCII_FIELD.search(errors[0]["message"])


def test_a_past_use_until_is_refused_on_edit_and_at_submit(client, world, frozen_clock):
    req = file_request(client, world, needed_by=day(3), use_until=day(20))
    r = client.patch(f"/api/v1/cloud-requests/{req['id']}", json={"use_until": day(-1)}, headers=world.headers("edu"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "use_until"
    # Only one date sent: it is checked against the other one stored.
    r = client.patch(f"/api/v1/cloud-requests/{req['id']}", json={"use_until": day(2)}, headers=world.headers("edu"))
    assert r.status_code == 422 and r.json()["code"] == "date_order"
    # A draft left until its end date has passed is not submitted.
    frozen_clock(f"{today() + timedelta(days=21)} 09:00")
    r = do(client, world, "edu", req["id"], "submit")
    assert r.status_code == 422 and r.json()["code"] == "use_until_past" and "使用截止日期" in r.json()["detail"]


def test_a_past_use_until_is_refused_in_the_form(page, world):
    form = {"csrf_token": csrf(page, "/cloud/new"), "department_id": world.depts["edu"].id,
            "new_system_name": "智慧教育平台", "contact_name": "李明", "contact_phone": "0870-6100001",
            "purpose": "新建平台部署", "zone": "public", "use_until": day(-3), "lines-0-kind": "vm",
            "lines-0-count": "1", "lines-0-vcpu": "4", "lines-0-memory_gib": "8", "lines-0-system_disk_gib": "50"}
    r = page.post("/cloud/new", data=form)
    assert r.status_code == 422
    error = re.search(r'<p class="error" role="alert">(.*?)</p>', r.text).group(1)
    assert "使用截止日期" in error and not ASCII_FIELD.search(html.unescape(error))


# --- every field shown ---------------------------------------------------------------------------------------

def test_the_page_shows_every_field_the_department_filled(client, world, page):
    req = file_request(client, world, needed_by=day(10), use_until=day(400), protection_level=3)
    text = page_text(page.get(f"/cloud/{req['id']}"))
    for label, value in [("需求日期", day(10)), ("使用截止日期", day(400)), ("等保级别）", "3"),
                         ("部署区域", "政务外网公用网络区"), ("拟新建系统名称", "智慧教育平台"),
                         ("用途", "新建平台部署"), ("联系电话", "0870-6100001"), ("填报人", "edu")]:
        assert re.search(rf"{label}\s+{re.escape(value)}", text), label


# --- the shortfall warning -----------------------------------------------------------------------------------

def test_a_huge_request_shows_the_shortfall_at_review(app, client, cloud):
    huge = {"kind": "vm", "count": 999, "vcpu": 512, "memory_gib": 1024, "system_disk_gib": 100}
    req = file_request(client, cloud, lines=[huge])
    r = do(client, cloud, "edu", req["id"], "submit")
    assert r.status_code == 200 and r.json()["status"] == "review"
    warnings = r.json()["shortfalls"]
    assert "政务外网公用网络区vCPU（核）：需要 511488，已占用 0，上限 100，缺 511388" in warnings
    assert any(w.startswith("政务外网公用网络区内存（GiB）") for w in warnings)
    # The reviewer sees it on the page, in zh-CN, before signing.
    with TestClient(app) as reviewer:
        login(reviewer, "edu2")
        text = page_text(reviewer.get(f"/cloud/{req['id']}"))
    assert "容量或配额不足预警" in text and "缺 511388" in text and not re.search(r"\bvcpu\b", text)
    # Still shown at acceptance; at assessment the same shortfall refuses the request.
    for user, action, body in PATH["assessment"][1:]:
        r = do(client, cloud, user, req["id"], action, **body)
        assert r.status_code == 200, r.text
        assert any("缺 511388" in w for w in r.json()["shortfalls"])
    r = do(client, cloud, "infocenter", req["id"], "assess")
    assert r.status_code == 409 and r.json()["code"] == "capacity_exceeded"


def test_a_request_that_fits_shows_no_warning(client, cloud):
    req = reach(client, cloud, "acceptance")
    assert req["shortfalls"] == []


# --- editing in the page -------------------------------------------------------------------------------------

def edit_form(page, rid: int) -> dict:
    """The edit form of the request page as a browser would post it."""
    text = page.get(f"/cloud/{rid}").text
    form = re.search(r'<form method="post" action="/cloud/\d+/edit" id="edit-form">(.*?)</form>', text, re.S).group(1)
    values = {m.group(1): html.unescape(m.group(2))
              for m in re.finditer(r'<input name="([^"]+)"[^>]*value="([^"]*)"', form)}
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option(?: value="([^"]*)")?\s+selected>([^<]*)', options)
        if chosen:
            values[name] = html.unescape(chosen.group(1) if chosen.group(1) is not None else chosen.group(2))
    values["purpose"] = html.unescape(re.search(r'<textarea name="purpose"[^>]*>(.*?)</textarea>', form, re.S).group(1))
    values["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    return {k: v for k, v in values.items() if v != ""}


def test_a_returned_request_is_edited_and_resubmitted_in_the_page(client, cloud, page):
    req = reach(client, cloud, "returned")
    text = page_text(page.get(f"/cloud/{req['id']}"))
    assert "退回意见" in text and "请补充等保备案" in text and "bureau" in text
    form = edit_form(page, req["id"])
    line_ids = sorted({k.split("-")[1] for k in form if k.startswith("lines-")})
    assert len(line_ids) == 2 and form["contact_name"] == "李明"
    form["purpose"] = "新建平台部署（已补充等保备案）"
    form[f"lines-{line_ids[0]}-vcpu"] = "6"                       # a line changed…
    for key in [k for k in form if k.startswith(f"lines-{line_ids[1]}-")]:
        del form[key]                                               # …one removed…
    form.update({"lines-77-kind": "block_storage", "lines-77-count": "1", "lines-77-size_gib": "500"})  # …one added
    r = page.post(f"/cloud/{req['id']}/edit", data={**form, "submit_now": "1"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    after = client.get(f"/api/v1/cloud-requests/{req['id']}", headers=cloud.headers("bureau")).json()
    assert after["status"] == "acceptance" and after["purpose"] == "新建平台部署（已补充等保备案）"
    assert [(line["kind"], line["vcpu"], line["size_gib"]) for line in after["lines"]] == \
        [("vm", 6, None), ("block_storage", None, 500)]
    entries = client.get(f"/api/v1/audit?entity_type=cloud_request&entity_id={req['id']}",
                         headers=cloud.headers("auditor")).json()["items"]
    assert {"update", "submit"} <= {e["action"] for e in entries}


def test_a_refused_edit_shows_the_form_again_with_what_was_posted(client, cloud, page):
    req = reach(client, cloud, "returned")
    form = edit_form(page, req["id"])
    form.update({"purpose": "改过的用途", "use_until": day(-1)})
    r = page.post(f"/cloud/{req['id']}/edit", data=form)
    assert r.status_code == 422 and "使用截止日期" in page_text(r) and "改过的用途" in r.text
    assert client.get(f"/api/v1/cloud-requests/{req['id']}",
                      headers=cloud.headers("edu")).json()["purpose"] == "新建平台部署"


@pytest.mark.parametrize("state", ["review", "in_use"])
def test_only_drafts_and_returned_requests_are_edited(client, cloud, page, state):
    req = reach(client, cloud, state)
    assert 'id="edit-form"' not in page.get(f"/cloud/{req['id']}").text
    form = {"csrf_token": csrf(page, f"/cloud/{req['id']}"), "contact_name": "李明", "contact_phone": "0870-6100001",
            "purpose": "x", "zone": "public", "new_system_name": "智慧教育平台", "lines-0-kind": "bandwidth",
            "lines-0-bandwidth_mbps": "10"}
    assert page.post(f"/cloud/{req['id']}/edit", data=form).status_code == 409


def test_only_the_owning_department_edits(client, cloud, app):
    req = reach(client, cloud, "returned")
    r = client.patch(f"/api/v1/cloud-requests/{req['id']}", json={"purpose": "上级改的"},
                     headers=cloud.headers("countyoffice"))       # the parent department sees it, may not edit it
    assert r.status_code == 403 and "示范县教育局" in r.json()["detail"]
    with TestClient(app) as parent:
        login(parent, "countyoffice")
        assert 'id="edit-form"' not in parent.get(f"/cloud/{req['id']}").text
