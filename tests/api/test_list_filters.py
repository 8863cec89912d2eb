"""Every list page's filter form and page links keep every filter: with all filters of a list set (those the
form shows and the flags only links set, such as the board's live=true), submitting the form sends each one
back exactly once, and the previous / next page and sort links carry each one."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest

from control.cloud import pages as cloud_pages
from control.migration import pages as plan_pages
from control.networks import pages as network_pages
from control.systems import pages as system_pages
from control.zombies import pages as zombie_pages
from tests.api.helpers import create_system
from tests.api.test_cloud_requests import file_request
from tests.api.test_migration_plans import cloud_payload
from tests.api.test_private_networks import create as create_network
from tests.api.test_zombies import fleet, scan  # noqa: F401 (fleet: a fixture)


class Page(HTMLParser):
    """The GET forms of a page (what each would submit) and its links."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._select: str | None = None
        self._first_option: str | None = None
        self._chosen = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "get":
            self.forms.append({"action": a.get("action") or "", "fields": []})
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if not self.forms or self.forms[-1].get("closed"):
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select, self._first_option, self._chosen = a.get("name"), None, False
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                fields.append((self._select, a.get("value", "")))
                self._chosen = True

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            if not self._chosen:
                self.forms[-1]["fields"].append((self._select, self._first_option or ""))
            self._select = None
        elif tag == "form" and self.forms:
            self.forms[-1]["closed"] = True


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def filter_form(page: Page, path: str) -> list[tuple[str, str]]:
    found = [f for f in page.forms if f["action"] in ("", path)]
    assert found, f"{path}: no GET filter form"
    return [(k, v) for k, v in found[-1]["fields"] if v]


def assert_kept(client, headers, path: str, params: dict[str, str], *, form: bool = True, pager: bool = True):
    r = client.get(path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    page = parse(r.text)
    if form:
        sent = filter_form(page, path)
        for key, value in params.items():
            assert sent.count((key, value)) == 1, (path, key, value, sent)
            assert [k for k, _ in sent].count(key) == 1, (path, key, sent)
    links = [dict(parse_qsl(urlsplit(h).query)) for h in page.links
             if urlsplit(h).path == path and ("offset=" in h or "sort=" in h)]
    if pager:
        assert any("offset" in q for q in links), (path, "no page link")
    for query in links:
        for key, value in params.items():
            assert query.get(key) == value, (path, key, value, query)
    return page


@pytest.fixture
def one_per_page(monkeypatch):
    """One row a page, so two rows give page links."""
    for module in (plan_pages, network_pages, system_pages, cloud_pages, zombie_pages):
        monkeypatch.setattr(module, "PAGE", 1)


def test_plan_list_keeps_every_filter(client, world, one_per_page):
    h = world.headers("edu")
    for name in ("甲计划", "乙计划"):
        system = create_system(client, h, world.depts["edu"].id, name=f"{name}系统")
        r = client.post("/api/v1/migration-plans", json=cloud_payload(world, [system["id"]], name=name), headers=h)
        assert r.status_code == 201, r.text
    edu = world.depts["edu"]
    listed = {"kind": "cloud", "stage": "draft", "schedule": "on_plan", "live": "true",
              "department_id": str(edu.id), "region": edu.region or "-", "level": edu.level.value}
    assert_kept(client, world.headers("admin"), "/plans", listed)
    flags = {**listed, "funding_stop": "true", "awaiting_me": "true"}     # nothing matches: no page links
    assert_kept(client, world.headers("admin"), "/plans", flags, pager=False)


def test_network_list_keeps_every_filter(client, world, one_per_page):
    h = world.headers("edu")
    for name in ("县教育城域网", "县教育视频网"):
        create_network(client, h, world.depts["edu"].id, name=name)
    assert_kept(client, world.headers("admin"), "/networks",
                {"q": "教育", "department_id": str(world.depts["edu"].id), "state": "in_use", "fiscal": "true",
                 "region": world.depts["edu"].region or "-", "level": world.depts["edu"].level.value})


def test_system_list_keeps_every_filter(client, world, one_per_page):
    h = world.headers("edu")
    for name in ("甲系统", "乙系统"):
        create_system(client, h, world.depts["edu"].id, name=name)
    assert_kept(client, world.headers("admin"), "/systems",
                {"q": "系统", "department_id": str(world.depts["edu"].id), "network": "extranet",
                 "status": "running", "protection_level": "2", "usage_frequency": "daily", "kind": "self_built",
                 "sort": "code", "region": world.depts["edu"].region or "-", "level": world.depts["edu"].level.value})
    assert_kept(client, world.headers("admin"), "/systems", {"q": "系统", "migration": "planned"}, pager=False)


def test_cloud_and_zombie_lists_keep_every_filter(client, world):
    assert_kept(client, world.headers("edu"), "/cloud",
                {"queue": "review", "overdue": "true", "awaiting_me": "true", "mine": "true", "status": "draft"},
                form=False, pager=False)
    assert_kept(client, world.headers("admin"), "/zombies",
                {"state": "candidate", "department_id": str(world.depts["edu"].id)}, pager=False)


def test_cloud_list_pages_and_keeps_every_filter(client, world, one_per_page):
    for _ in range(2):
        file_request(client, world)
    assert_kept(client, world.headers("edu"), "/cloud", {"mine": "true", "status": "draft"}, form=False)


def test_zombie_cases_page_while_the_summary_counts_them_all(client, world, fleet, one_per_page):  # noqa: F811
    scan(client, world)
    page = assert_kept(client, world.headers("admin"), "/zombies", {"state": "candidate"})
    r = client.get("/zombies", params={"state": "candidate"}, headers=world.headers("admin"))
    summary = r.text.split('id="cases"')[0]
    assert world.depts["edu"].name in summary and world.depts["health"].name in summary
    assert len([h for h in page.links if h.startswith("/zombies/cases/")]) == 1
