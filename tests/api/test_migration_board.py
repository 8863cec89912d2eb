"""The migration progress board over the API and its page, on SQLite and PostgreSQL: a small world whose
figures are known, the roll-up per department subtree, region and level, the clock passing a completion
date (behind plan, funding stop), scope (a department sees its subtree, 403 outside it) and the
funding-stop export for the auditor and the Bureau only."""
from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from tests.api.helpers import create_system
from tests.api.test_migration_plans import RESPONSIBLE

BOARD = "/api/v1/migration-plans/board"


def network(client, world, dept, name, fiscal=True) -> int:
    r = client.post("/api/v1/private-networks", json={"department_id": world.depts[dept].id, "name": name,
                                                      "purpose": "专网", "fiscal_funded": fiscal,
                                                      "sites": ["机房"], "lines": []},
                    headers=world.headers("countyoffice"))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def step(client, world, nid, action, on, note="完成"):
    r = client.post(f"/api/v1/private-networks/{nid}/{action}", json={"note": note, "on": on},
                    headers=world.headers("countyoffice"))
    assert r.status_code == 200, r.text


def plan(client, world, user, body) -> int:
    r = client.post("/api/v1/migration-plans", json={**RESPONSIBLE, "content": "迁移", **body},
                    headers=world.headers(user))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def build(client, world, frozen_clock) -> dict:
    """edu: A (fiscal, in use) in a plan due 2026-04-30, B merged, a cloud plan of two systems, one an
    approved exception; school (under edu): C connected; health: D in use in a cancelled plan."""
    frozen_clock("2026-03-02 09:00")
    world.depts["edu"].region = "530921"
    world.depts["school"].region = "530921"
    world.depts["health"].region = "530922"
    world.session.commit()
    ids = {"A": network(client, world, "edu", "县教育城域网"),
           "B": network(client, world, "edu", "校园视频专网", False),
           "C": network(client, world, "school", "中心校专网"), "D": network(client, world, "health", "卫生专网")}
    for action in ("connect", "migrate"):
        step(client, world, ids["B"], action, "2026-03-01")
    step(client, world, ids["B"], "merge", "2026-03-02", note="并入政务外网专用区")
    step(client, world, ids["C"], "connect", "2026-03-02")
    ids["pn"] = plan(client, world, "edu", {"kind": "private_network", "department_id": world.depts["edu"].id,
                                            "name": "教育专网迁移计划", "target": "extranet_dedicated",
                                            "network_ids": [ids["A"]], "completion_date": "2026-04-30"})
    systems = [create_system(client, world.headers("edu"), world.depts["edu"].id, name=n)["id"]
               for n in ("学籍管理系统", "学生资助系统")]
    ids["cloud"] = plan(client, world, "edu", {
        "kind": "cloud", "department_id": world.depts["edu"].id, "name": "教育局上云计划",
        "completion_date": "2026-09-01",
        "systems": [{"system_id": s, "target_date": "2026-06-01"} for s in systems]})
    base = f"/api/v1/migration-plans/{ids['cloud']}/systems/{systems[1]}/exception"
    r = client.post(base, json={"reason": "very_large", "justification": "数据量大"}, headers=world.headers("edu"))
    assert r.status_code == 200, r.text
    r = client.post(base + "/decide", json={"approve": True, "later_target_date": "2027-12-31",
                                            "interfaces": [{"name": "查询接口", "evidence": "接口文档"}]},
                    headers=world.headers("bureau"))
    assert r.status_code == 200, r.text
    cancelled = plan(client, world, "health", {"kind": "private_network", "department_id": world.depts["health"].id,
                                               "name": "卫生专网迁移计划", "target": "intranet",
                                               "network_ids": [ids["D"]], "completion_date": "2026-04-30"})
    r = client.post(f"/api/v1/migration-plans/{cancelled}/cancel", json={}, headers=world.headers("health"))
    assert r.status_code == 200, r.text
    return ids


def figures(row: dict, *names: str) -> tuple:
    return tuple(row[n] for n in names)


NET = ("networks", "in_use", "connected", "migrating", "merged", "migrated")
PLANS = ("systems", "systems_migrated", "systems_exception", "plans", "on_plan", "behind_plan", "funding_stop")


def test_board_figures_roll_up_and_the_clock_makes_a_plan_behind(client, world, frozen_clock):
    ids = build(client, world, frozen_clock)
    b = client.get(BOARD, headers=world.headers("auditor"))
    assert b.status_code == 200, b.text
    b = b.json()
    assert figures(b["total"], *NET) == (4, 2, 1, 0, 1, 1) and b["total"]["migration_rate"] == 0.25
    assert figures(b["total"], *PLANS) == (2, 0, 1, 2, 2, 0, 0)
    rows = {r["name"]: r for r in b["departments"]}
    # 教育局 holds its school; the county office and those above hold everything.
    assert figures(rows["示范县教育局"], *NET) == (3, 1, 1, 0, 1, 1)
    assert rows["示范县教育局"]["migration_rate"] == round(1 / 3, 4)
    assert figures(rows["示范县城关镇中心校"], *NET) == (1, 0, 1, 0, 0, 0)
    assert figures(rows["示范县卫生健康局"], *NET, "plans") == (1, 1, 0, 0, 0, 0, 0)     # its plan is cancelled
    assert rows["自治区大数据局"]["networks"] == 4 and rows["示范县人民政府办公室"]["plans"] == 2
    assert {r["name"]: r["networks"] for r in b["regions"]} == {"530921": 3, "530922": 1}
    paged = client.get(BOARD, params={"limit": 1, "region_offset": 1}, headers=world.headers("auditor")).json()
    assert [r["name"] for r in paged["regions"]] == ["530922"] and paged["regions_total"] == 2
    assert paged["region_offset"] == 1 and len(paged["departments"]) == 1       # the same page size for both
    assert [(r["level"], r["networks"]) for r in b["levels"]] == [("county", 3), ("township", 1)]
    assert b["funding_stop"] == []

    frozen_clock("2026-05-01 09:00")           # the private-network plan's completion date has passed
    b = client.get(BOARD, headers=world.headers("auditor")).json()
    assert figures(b["total"], "plans", "on_plan", "behind_plan", "funding_stop") == (2, 1, 1, 1)
    [stop] = b["funding_stop"]
    assert stop["network_id"] == ids["A"] and stop["plan_id"] == ids["pn"] and stop["days_stopped"] == 1
    assert b["funding_stop_total"] == 1
    past = client.get(BOARD, params={"funding_offset": 1}, headers=world.headers("auditor")).json()
    assert past["funding_stop"] == [] and past["funding_stop_total"] == 1      # a page past the last still counts
    # Each figure counts what its list shows.
    h = world.headers("auditor")
    edu = world.depts["edu"].id
    for params, expected in (({"schedule": "behind_plan"}, 1), ({"schedule": "on_plan"}, 1),
                             ({"funding_stop": True}, 1), ({}, 2)):
        got = client.get("/api/v1/migration-plans", params={**params, "live": True, "department_id": edu}, headers=h)
        assert got.json()["total"] == expected, params
    got = client.get("/api/v1/private-networks", params={"department_id": edu, "state": "connected"}, headers=h)
    assert got.json()["total"] == 1


def test_board_leaves_out_the_systems_of_cancelled_plans(client, world, frozen_clock):
    """The systems figures leave out a cancelled plan's rows by its id (no join to the plans): a cancelled
    cloud plan's system is not counted, in the province or in the department's subtree."""
    frozen_clock("2026-03-02 09:00")
    kept, dropped = (create_system(client, world.headers("edu"), world.depts["edu"].id, name=n)["id"]
                     for n in ("学籍管理系统", "学生资助系统"))
    body = {"kind": "cloud", "department_id": world.depts["edu"].id, "completion_date": "2026-09-01"}
    plan(client, world, "edu", {**body, "name": "教育局上云计划",
                                "systems": [{"system_id": kept, "target_date": "2026-06-01"}]})
    gone = plan(client, world, "edu", {**body, "name": "资助系统上云计划",
                                       "systems": [{"system_id": dropped, "target_date": "2026-06-01"}]})
    r = client.post(f"/api/v1/migration-plans/{gone}/cancel", json={}, headers=world.headers("edu"))
    assert r.status_code == 200, r.text
    for params in ({}, {"department_id": world.depts["edu"].id}):
        b = client.get(BOARD, params=params, headers=world.headers("auditor")).json()
        assert figures(b["total"], "systems", "plans") == (1, 1), params


def test_board_counts_each_system_under_the_department_it_is_under_now(client, world, frozen_clock):
    """A plan's systems count under their own departments, which the database keeps on each plan row
    (migration 0026's triggers): a system moved to another department counts there from then on, a deleted
    one nowhere, while its plan and the plan's department stay as they were."""
    frozen_clock("2026-03-02 09:00")
    admin = world.headers("admin")
    moved, deleted, kept = (create_system(client, admin, world.depts["edu"].id, name=n, status="stopped")["id"]
                            for n in ("学籍管理系统", "学生资助系统", "教师管理系统"))
    plan(client, world, "edu", {"kind": "cloud", "department_id": world.depts["edu"].id, "name": "教育局上云计划",
                                "completion_date": "2026-09-01",
                                "systems": [{"system_id": s, "target_date": "2026-06-01"}
                                            for s in (moved, deleted, kept)]})

    def systems() -> dict[str, int]:
        b = client.get(BOARD, headers=world.headers("auditor")).json()
        rows = {r["name"]: r["systems"] for r in b["departments"]}
        return {"total": b["total"]["systems"], "edu": rows.get("示范县教育局", 0),
                "health": rows.get("示范县卫生健康局", 0)}

    assert systems() == {"total": 3, "edu": 3, "health": 0}
    r = client.patch(f"/api/v1/systems/{moved}", json={"department_id": world.depts["health"].id}, headers=admin)
    assert r.status_code == 200, r.text
    assert systems() == {"total": 3, "edu": 2, "health": 1}
    assert client.delete(f"/api/v1/systems/{deleted}", headers=admin).status_code == 204
    assert systems() == {"total": 2, "edu": 1, "health": 1}


def test_board_scope_and_funding_stop_export(client, world, frozen_clock):
    build(client, world, frozen_clock)
    frozen_clock("2026-05-01 09:00")
    mine = client.get(BOARD, headers=world.headers("health")).json()
    assert mine["total"]["networks"] == 1 and [r["name"] for r in mine["departments"]] == ["示范县卫生健康局"]
    assert mine["funding_stop"] == []
    assert client.get(BOARD, params={"department_id": world.depts["edu"].id},
                      headers=world.headers("health")).status_code == 403
    school = client.get(BOARD, params={"department_id": world.depts["school"].id},
                        headers=world.headers("edu")).json()
    assert school["total"]["networks"] == 1 and school["total"]["plans"] == 0
    assert client.get(BOARD, params={"department_id": 999999}, headers=world.headers("admin")).status_code == 404

    export = BOARD + "/funding-stop.xlsx"
    for user in ("edu", "infocenter", "admin"):
        assert client.get(export, headers=world.headers(user)).status_code == 403, user
    for user in ("auditor", "bureau"):
        r = client.get(export, headers=world.headers(user))
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
        ws = load_workbook(BytesIO(r.content)).active
        rows = list(ws.iter_rows(values_only=True))
        assert rows[0][:3] == ("部门", "业务专网", "专网状态")
        assert rows[1][:4] == ("示范县教育局", "县教育城域网", "在用", rows[1][3]) and rows[1][5] == "2026-04-30"


def test_board_page_links_each_figure_to_its_list(client, world, frozen_clock):
    from tests.api.helpers import login
    build(client, world, frozen_clock)
    frozen_clock("2026-05-01 09:00")
    login(client, "auditor")
    page = client.get("/plans/board")
    assert page.status_code == 200 and "迁移进度看板" in page.text
    edu = world.depts["edu"].id
    assert f'href="/plans?department_id={edu}&amp;live=true&amp;schedule=behind_plan"' in page.text
    assert f'href="/networks?department_id={edu}&amp;state=connected"' in page.text
    assert "/api/v1/migration-plans/board/funding-stop.xlsx" in page.text and "县教育城域网" in page.text


def test_metrics_count_plans_by_kind_stage_schedule_and_systems_by_state(client, world, frozen_clock):
    empty = client.get("/metrics").text
    for series in ('yunzhang_migration_plans{kind="cloud",schedule="on_plan",stage="migration"} 0.0',
                   'yunzhang_migration_plans{kind="private_network",schedule="behind_plan",stage="withdraw"} 0.0',
                   'yunzhang_migration_systems{state="exception"} 0.0'):
        assert series in empty
    assert 'kind="cloud",schedule="on_plan",stage="connect"' not in empty      # no such stage for a cloud plan
    build(client, world, frozen_clock)
    frozen_clock("2026-05-01 09:00")
    metrics = client.get("/metrics").text
    assert 'yunzhang_migration_plans{kind="private_network",schedule="behind_plan",stage="draft"} 1.0' in metrics
    assert 'yunzhang_migration_plans{kind="private_network",schedule="on_plan",stage="cancelled"} 1.0' in metrics
    assert 'yunzhang_migration_plans{kind="cloud",schedule="on_plan",stage="draft"} 1.0' in metrics
    assert 'yunzhang_migration_systems{state="pending"} 1.0' in metrics
    assert 'yunzhang_migration_systems{state="exception"} 1.0' in metrics
    assert 'yunzhang_migration_systems{state="migrated"} 0.0' in metrics
