"""The progress board's stored schedule and its links, on SQLite and PostgreSQL: each plan's stored late_from
agrees with the rules' judgement (the plan page's days behind) after every transition and as the clock
moves; every figure of the board, the region and level rows included, links to a list whose API total is
that figure; the systems, plan and network lists filter by migration state, region and level."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import select

from control.core.clock import today
from control.migration.models import MigrationPlan
from tests.api.helpers import login
from tests.api.test_migration_board import build, network
from tests.api.test_migration_plans import approve_all, post

LISTS = {"/networks": "/api/v1/private-networks", "/plans": "/api/v1/migration-plans", "/systems": "/api/v1/systems"}
FIGURE = re.compile(r'<td class="fig-(\w+)">(.*?)</td>', re.S)
LINK = re.compile(r'<a href="([^"]+)">(\d+)</a>')


def assert_schedule_agrees(client, world) -> int:
    """Every plan: the days behind its stored late_from gives == the plan page's (the rules'), and the
    behind_plan list holds exactly the plans behind. Returns how many are behind."""
    world.session.expire_all()
    day = today()
    h = world.headers("auditor")
    behind = set()
    for pid, late_from in world.session.execute(select(MigrationPlan.id, MigrationPlan.late_from)).all():
        stored = max(0, (day - late_from).days) if late_from else 0
        judged = client.get(f"/api/v1/migration-plans/{pid}", headers=h).json()["days_behind"]
        assert stored == judged, (pid, late_from, day)
        if judged:
            behind.add(pid)
    listed = client.get("/api/v1/migration-plans", params={"schedule": "behind_plan", "limit": 500}, headers=h).json()
    assert {p["id"] for p in listed["items"]} == behind
    return len(behind)


def test_stored_schedule_agrees_with_the_rules_after_transitions_and_as_the_clock_moves(client, world, frozen_clock):
    ids = build(client, world, frozen_clock)
    assert assert_schedule_agrees(client, world) == 0
    cloud = ids["cloud"]
    assert post(client, world, "edu", f"/{cloud}/submit").status_code == 200
    assert assert_schedule_agrees(client, world) == 0
    approve_all(client, world, cloud)
    frozen_clock("2026-06-02 09:00")            # past the systems' target date 2026-06-01
    assert assert_schedule_agrees(client, world) == 2       # the cloud plan's pending system; the network plan
    detail = client.get(f"/api/v1/migration-plans/{cloud}", headers=world.headers("auditor")).json()
    pending = next(s["system_id"] for s in detail["systems"] if s["state"] == "pending")
    for action in ("start", "finish"):
        r = post(client, world, "infocenter", f"/{cloud}/systems/{pending}/{action}", {"note": "完成"})
        assert r.status_code == 200, r.text
        assert_schedule_agrees(client, world)
    frozen_clock("2028-01-02 09:00")            # past the exception's later target date and every completion
    assert_schedule_agrees(client, world)
    frozen_clock("2026-01-02 09:00")            # before everything
    assert assert_schedule_agrees(client, world) == 0


def board_links(page: str) -> tuple[list[tuple[str, int]], int]:
    """(href, figure) of every linked figure on the page, and how many non-zero counts have no link (the
    migration rate is a ratio, not a count)."""
    links, unlinked = [], 0
    for name, cell in FIGURE.findall(page):
        if name == "migration_rate":
            continue
        found = LINK.search(cell)
        if found:
            links.append((unescape(found.group(1)), int(found.group(2))))
        elif re.sub(r"<[^>]+>", "", cell).strip() not in ("0", ""):
            unlinked += 1
    return links, unlinked


def follow(client, world, href: str) -> int:
    """The API total of the list a board link names."""
    url = urlsplit(href)
    params = dict(parse_qsl(url.query)) | {"limit": 500}
    r = client.get(LISTS[url.path], params=params, headers=world.headers("auditor"))
    assert r.status_code == 200, (href, r.text)
    return r.json()["total"]


def test_every_board_figure_links_to_the_list_it_counts(client, world, frozen_clock):
    build(client, world, frozen_clock)
    network(client, world, "county", "县政府视频专网")     # the county office has no region code
    frozen_clock("2026-05-01 09:00")
    login(client, "auditor")
    for board in ("/plans/board", f"/plans/board?department_id={world.depts['edu'].id}"):
        page = client.get(board)
        assert page.status_code == 200
        links, unlinked = board_links(page.text)
        assert unlinked == 0
        kinds = {urlsplit(h).path for h, _ in links}
        assert kinds == set(LISTS), kinds
        for href, figure in links:
            assert follow(client, world, href) == figure, href
    page = client.get("/plans/board").text
    assert "region=530921&amp;" in page and "region=-&amp;" in page and "level=county&amp;" in page
    assert "migration=exception" in page


def test_list_filters_by_region_level_and_migration_state(client, world, frozen_clock):
    build(client, world, frozen_clock)
    h = world.headers("auditor")

    def total(path, **params):
        r = client.get(path, params=params, headers=h)
        assert r.status_code == 200, r.text
        return r.json()["total"]

    assert total("/api/v1/private-networks", region="530921") == 3
    assert total("/api/v1/private-networks", region="530922", level="county") == 1
    assert total("/api/v1/private-networks", level="township") == 1
    assert total("/api/v1/migration-plans", region="530921", live=True) == 2
    assert total("/api/v1/migration-plans", region="-") == 0
    assert total("/api/v1/systems", migration="planned") == 2
    assert total("/api/v1/systems", migration="exception") == 1
    assert total("/api/v1/systems", migration="pending", region="530921", level="county") == 1
    assert total("/api/v1/systems", migration="migrated") == 0
    for path, params in (("/api/v1/systems", {"migration": "late"}), ("/api/v1/migration-plans", {"level": "x"}),
                         ("/api/v1/private-networks", {"level": "x"})):
        assert client.get(path, params=params, headers=h).status_code == 422
    login(client, "auditor")
    page = client.get("/systems", params={"migration": "exception"}).text
    assert "学生资助系统" in page and "学籍管理系统" not in page
    assert "县教育城域网" in client.get("/networks", params={"region": "530921", "level": "county"}).text
    assert "教育专网迁移计划" in client.get("/plans", params={"region": "530921"}).text
