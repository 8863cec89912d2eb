"""The plan page's timeline: a server-rendered SVG (no script) of planned against actual dates per stage and
per system, zh-CN labels, the late part and the days behind marked."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

from control.migration.timeline import Bar, layout
from tests.api.helpers import create_system, login
from tests.api.test_migration_plans import approve_all, cloud_payload, post

SVG = "{http://www.w3.org/2000/svg}"


def test_layout_places_rows_on_one_scale_with_today():
    rows = [Bar("审批", "stage", date(2026, 1, 1), date(2026, 1, 11), date(2026, 1, 21), 10),
            Bar("系统甲", "system", date(2026, 1, 11), date(2026, 2, 1), None, 0)]
    chart = layout(rows, date(2026, 2, 10))
    first, second = chart["rows"]
    assert chart["first"] == date(2026, 1, 1) and chart["last"] == date(2026, 2, 10)
    assert first.start_x == chart["left"] and chart["today_x"] == chart["right"]
    assert first.start_x < first.planned_x == first.late_from_x < first.actual_x
    assert second.open and second.actual_x == chart["today_x"] and second.late_from_x is None
    assert layout([Bar("草稿", "stage", None, None, None)], date(2026, 1, 1)) is None


def test_plan_page_draws_the_svg_with_behind_marked(client, world, frozen_clock):
    frozen_clock("2026-03-02 09:00")
    sid = create_system(client, world.headers("edu"), world.depts["edu"].id, name="学籍管理系统")["id"]
    body = {**cloud_payload(world, [], completion_date="2026-12-31"),
            "systems": [{"system_id": sid, "target_date": "2026-06-30"}]}
    pid = post(client, world, "edu", "", body).json()["id"]
    post(client, world, "edu", f"/{pid}/submit")
    approve_all(client, world, pid)
    frozen_clock("2026-07-12 09:00")
    login(client, "edu")
    page = client.get(f"/plans/{pid}")
    assert page.status_code == 200
    svg = ET.fromstring(re.search(r"<svg id=\"timeline-chart\".*?</svg>", page.text, re.S).group(0))
    assert svg.find(f"{SVG}title").text == "计划日期与实际日期对照图"
    assert "<script" not in page.text.split('id="timeline-chart"')[1].split("</svg>")[0]
    rows = svg.findall(f"{SVG}g")
    labels = [r.find(f"{SVG}text").text for r in rows]
    assert labels[-1] == "学籍管理系统" and any("审核" in t or "审批" in t for t in labels)
    system = rows[-1]
    assert "behind" in system.get("class")
    assert system.find(f"{SVG}text[@class='behind-label']").text == "滞后 12 天"
    assert system.find(f"{SVG}rect[@class='late']") is not None
    assert [t.text for t in svg.findall(f"{SVG}text")][2] == "今天"
