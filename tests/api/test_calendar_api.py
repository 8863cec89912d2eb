"""Holiday arrangements through the API: the year and the body are validated (422 naming the field),
an arrangement can be deleted (admin, audited), and a stored arrangement that cannot be read makes its
year unknown instead of taking every page down."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.api.helpers import csrf, login
from tests.calendar_samples import ARRANGEMENT_2027, HOLIDAY_DAYS_2027, arrangement_2027, as_yaml, without


def put(client, world, year, body, user="admin"):
    return client.put(f"/api/v1/calendar/years/{year}", json=body, headers=world.headers(user))


def fields(r) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


@pytest.mark.parametrize("year,body,field", [
    (0, {}, "year"),                                                    # the request that broke every page
    (0, {"year": 0}, "year"),
    (2027, {"year": 2028}, "year"),                                     # path and body disagree
    (1999, {"year": 1999}, "year"),                                     # outside 2000–2100
    (2027, {"year": 2027, "holidays": [{"name": "元旦", "from": "2026-12-31", "to": "2027-01-01"}]}, "holidays.0"),
    (2027, {"year": 2027, "holidays": [{"name": "春节", "from": "2027-02-13", "to": "2027-02-06"}]}, "holidays.0.to"),
    (2027, {"year": 2027, "holidays": [{"name": "a", "from": "2027-02-01", "to": "2027-02-07"},
                                       {"name": "b", "from": "2027-02-05"}]}, "holidays.1"),
    (2027, {"year": 2027, "holidays": [{"from": "2027-02-01"}]}, "holidays.0.name"),
    (2027, {"year": 2027, "holidays": [{"name": "x", "from": "2027-02-30"}]}, "holidays.0.from"),
    (2027, {"year": 2027, "workdays": [{"date": "2027-02-15"}]}, "workdays.0.date"),      # a Monday
    (2027, {"year": 2027, "workdays": [{"date": "2028-01-08"}]}, "workdays.0.date"),      # another year
    (2027, {"year": 2027, "holidays": [{"name": "x", "from": "2027-02-13"}], "workdays": ["2027-02-13"]},
     "workdays.0.date"),
    (2027, {"year": 2027, "colour": "red"}, "colour"),
    (2027, [], ""),
])
def test_bad_arrangement_is_refused_naming_the_field(client, world, year, body, field):
    r = put(client, world, year, body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in fields(r), r.json()
    assert client.get("/api/v1/calendar/years", headers=world.headers("admin")).status_code == 200
    assert client.get("/metrics").status_code == 200


def test_huge_year_in_the_path_is_a_422(client, world):
    r = put(client, world, 2**64, {"year": 2**64})
    assert r.status_code == 422


def test_put_then_delete_a_year_audited(client, world):
    r = put(client, world, 2027, ARRANGEMENT_2027, user="infocenter")
    assert r.status_code == 403
    r = put(client, world, 2027, ARRANGEMENT_2027)
    assert r.status_code == 200, r.text
    assert r.json() == {"year": 2027, "holidays": HOLIDAY_DAYS_2027, "workdays": 5}
    due = client.get("/api/v1/calendar/add-working-days", params={"start": "2026-12-30", "days": 2})
    assert due.status_code == 200 and due.json()["due"] == "2027-01-04"

    assert client.delete("/api/v1/calendar/years/2027", headers=world.headers("infocenter")).status_code == 403
    r = client.delete("/api/v1/calendar/years/2027", headers=world.headers("admin"))
    assert r.status_code == 204
    r = client.get("/api/v1/calendar/add-working-days", params={"start": "2026-12-30", "days": 2})
    assert r.status_code == 422 and r.json()["code"] == "calendar_year_unknown"
    assert client.delete("/api/v1/calendar/years/2027", headers=world.headers("admin")).status_code == 404
    audit = client.get("/api/v1/audit", params={"entity_type": "calendar_year", "entity_id": "2027"},
                       headers=world.headers("auditor")).json()["items"]
    assert [e["action"] for e in reversed(audit)] == ["import", "delete"]
    assert audit[0]["changes"]["arrangement"][0]["holidays"]["2027-01-01"] == "元旦"


def test_unreadable_stored_arrangement_makes_its_year_unknown_not_the_service_down(app, client, world, caplog):
    r = put(client, world, 2027, ARRANGEMENT_2027)
    assert r.status_code == 200
    with app.state.engine.begin() as conn:
        # Written by hand or by an older version: a year 0, and a 2027 day that is not in 2027.
        conn.execute(text("INSERT INTO calendar_year (year, source, note, updated_by, updated_at) "
                          "VALUES (0, 'admin', '', 'old', CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO calendar_day (day, year, is_workday, name) "
                          "VALUES ('2031-05-01', 2027, false, '劳动节')"))
        if conn.dialect.name == "sqlite":  # SQLite keeps any text in a DATE column
            conn.execute(text("INSERT INTO calendar_year (year, source, note, updated_by, updated_at) "
                              "VALUES (2029, 'admin', '', 'old', 'yesterday')"))
            conn.execute(text("INSERT INTO calendar_day (day, year, is_workday, name) "
                              "VALUES ('2029-13-45', 2029, false, '劳动节')"))
    sqlite = app.state.engine.dialect.name == "sqlite"
    headers = world.headers("admin")
    for path in ["/api/v1/calendar/years", "/metrics"]:
        assert client.get(path, headers=headers).status_code == 200, path
    years = client.get("/api/v1/calendar/years", headers=headers).json()
    assert {u["year"] for u in years["unreadable"]} == {"0", "2027"} | ({"2029"} if sqlite else set())
    assert 2027 not in [y["year"] for y in years["years"]]
    assert "calendar year 2027 skipped" in caplog.text
    r = client.get("/api/v1/calendar/add-working-days", params={"start": "2026-12-30", "days": 2})
    assert r.status_code == 422 and r.json()["code"] == "calendar_year_unknown"
    # Others do not see the list; the pages keep working and show it to administrators.
    assert client.get("/api/v1/calendar/years", headers=world.headers("edu")).json()["unreadable"] == []
    login(client, "admin")
    for path in ["/", "/calendar", "/calendar?year=2027&month=2", "/cloud"]:
        assert client.get(path).status_code == 200, path
    page = client.get("/calendar").text
    assert "存储的节假日安排无法读取" in page
    assert len(re.findall('class="error unreadable-year"', page)) == (3 if sqlite else 2)

    # The administrator removes both; the service is whole again.
    assert client.delete("/api/v1/calendar/years/0", headers=headers).status_code == 204
    assert client.delete("/api/v1/calendar/years/2027", headers=headers).status_code == 204
    if sqlite:
        assert client.delete("/api/v1/calendar/years/2029", headers=headers).status_code == 204
    assert client.get("/api/v1/calendar/years", headers=headers).json()["unreadable"] == []
    assert put(client, world, 2027, ARRANGEMENT_2027).status_code == 200
    due = client.get("/api/v1/calendar/add-working-days", params={"start": "2026-12-30", "days": 2})
    assert due.json()["due"] == "2027-01-04"


@pytest.mark.parametrize("query", ["month=13", "month=0", "year=0", "year=99999999999999999999", "month=abc"])
def test_calendar_page_bad_query_is_a_4xx(client, world, query):
    login(client, "edu")
    r = client.get(f"/calendar?{query}")
    assert 400 <= r.status_code < 500


@pytest.mark.parametrize("params", [
    {"start": "2026-01-05", "end": "0001-01-05"},
    {"start": "9999-12-31", "end": "2026-01-05"},
    {"start": "2026-01-05", "end": "2026-02-30"},
])
def test_working_days_between_out_of_range_dates(client, params):
    r = client.get("/api/v1/calendar/working-days-between", params=params)
    assert r.status_code == 422, r.text


def test_add_working_days_at_the_end_of_time(client):
    r = client.get("/api/v1/calendar/add-working-days", params={"start": "9999-12-31", "days": 5})
    assert r.status_code == 422


def test_incomplete_arrangement_is_refused_naming_the_missing_holidays(client, world):
    r = put(client, world, 2027, without("春节", "端午节"))
    assert r.status_code == 422 and r.json()["code"] == "calendar_invalid"
    assert "缺少法定节假日：春节、端午节" in r.json()["detail"] and "holidays" in fields(r)
    r = put(client, world, 2027, arrangement_2027(workdays=[]))
    assert r.status_code == 422 and "未列出调休上班日" in r.json()["detail"] and "workdays" in fields(r)
    r = client.get("/api/v1/calendar/add-working-days", params={"start": "2026-12-30", "days": 2})
    assert r.status_code == 422 and r.json()["code"] == "calendar_year_unknown"       # nothing was stored
    assert put(client, world, 2027, ARRANGEMENT_2027).status_code == 200                # complete: accepted


def test_replacing_a_stored_year_is_audited_with_before_and_after(client, world):
    assert put(client, world, 2027, ARRANGEMENT_2027).status_code == 200
    moved = [h for h in ARRANGEMENT_2027["holidays"] if h["name"] != "端午节"] + [
        {"name": "端午节", "from": "2027-06-08", "to": "2027-06-10"}]
    assert put(client, world, 2027, arrangement_2027(holidays=moved)).status_code == 200
    audit = client.get("/api/v1/audit", params={"entity_type": "calendar_year", "entity_id": "2027"},
                       headers=world.headers("auditor")).json()["items"]
    assert audit[0]["action"] == "replace"
    before, after = audit[0]["changes"]["arrangement"]
    assert before["holidays"]["2027-06-11"] == "端午节" and "2027-06-11" not in after["holidays"]
    assert after["holidays"]["2027-06-08"] == "端午节"


def test_correcting_a_published_year_is_audited_as_replacing_the_librarys(client, world):
    from control.core.calendar import library_arrangement
    body = library_arrangement(2026)
    body["holidays"][-1]["to"] = body["holidays"][-1]["to"].replace(day=8)       # 国庆节 to 8 October
    body = {**body, "holidays": [{**h, "from": str(h["from"]), "to": str(h["to"])} for h in body["holidays"]],
            "workdays": [{**w, "date": str(w["date"])} for w in body["workdays"]]}
    assert put(client, world, 2026, body).status_code == 200
    audit = client.get("/api/v1/audit", params={"entity_type": "calendar_year", "entity_id": "2026"},
                       headers=world.headers("auditor")).json()["items"]
    assert audit[0]["action"] == "replace"
    before, after = audit[0]["changes"]["arrangement"]
    assert "2026-10-08" not in before["holidays"] and after["holidays"]["2026-10-08"] == "国庆节"


def post_page(client, path, **data):
    return client.post(path, data={"csrf_token": csrf(client, "/calendar"), **data}, follow_redirects=False)


def test_calendar_page_previews_a_year_without_storing_then_saves_and_confirms_a_replacement(client, world):
    login(client, "admin")
    page = client.get("/calendar").text
    assert re.search(r'<textarea name="arrangement"[^>]*></textarea>', page)          # nothing pre-filled
    r = post_page(client, "/calendar/preview", arrangement=as_yaml(without("春节")))
    assert r.status_code == 200 and "缺少法定节假日：春节" in r.text and "calendar-save" not in r.text
    r = post_page(client, "/calendar/preview", arrangement="year: [")
    assert r.status_code == 200 and "YAML 格式错误" in r.text
    r = post_page(client, "/calendar/preview", arrangement=as_yaml(ARRANGEMENT_2027))
    assert r.status_code == 200 and r.text.count('class="preview-month"') == 12 and "calendar-save" in r.text
    assert "data-confirm" not in r.text                                              # a new year: nothing replaced
    assert client.get("/api/v1/calendar/years").json()["known_until"] == "2026-12-31"  # the preview stored nothing
    r = post_page(client, "/calendar/years", arrangement=as_yaml(ARRANGEMENT_2027))
    assert r.status_code == 303 and r.headers["location"] == "/calendar?year=2027&month=1"
    assert client.get("/api/v1/calendar/years").json()["known_until"] == "2027-12-31"
    # Over a known year the preview asks before replacing, and the save without that confirmation is refused.
    r = post_page(client, "/calendar/preview", arrangement=as_yaml(ARRANGEMENT_2027))
    assert "data-confirm" in r.text and 'name="replace" value="2027"' in r.text
    moved = as_yaml(arrangement_2027(note="更正"))
    post_page(client, "/calendar/years", arrangement=moved)
    assert "确认替换后再保存" in client.get("/calendar").text
    assert post_page(client, "/calendar/years", arrangement=moved, replace="2027").status_code == 303
    audit = client.get("/api/v1/audit", params={"entity_type": "calendar_year", "entity_id": "2027"},
                       headers=world.headers("auditor")).json()["items"]
    assert [e["action"] for e in reversed(audit)] == ["import", "replace"]
    # A stored year offers its removal behind a confirmation; others cannot preview.
    assert 'action="/calendar/years/2027/delete"' in client.get("/calendar").text
    login(client, "infocenter")
    assert post_page(client, "/calendar/preview", arrangement=as_yaml(ARRANGEMENT_2027)).status_code == 403
