"""Prometheus pull against a real server: history is backfilled into a TSDB with promtool, Debian's
prometheus serves it on 127.0.0.1, and yunzhang reads it with one range query per metric."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from control.core.clock import SHANGHAI
from tests.api.helpers import create_system

DAYS = 31
END = datetime.now(SHANGHAI).date() - timedelta(days=1)   # the newest complete day
START = END - timedelta(days=DAYS - 1)
STEP = 1800                                               # a sample every 30 minutes

# Per system: gauges are constant, counters grow by the given amount every day.
GAUGES = {"system_cpu_usage_ratio": {"EDU-BUSY": 0.45, "HEALTH-IDLE": 0.01, "NOT-IN-INVENTORY": 0.3},
          "system_memory_usage_ratio": {"EDU-BUSY": 0.6, "HEALTH-IDLE": 0.2, "NOT-IN-INVENTORY": 0.5},
          "system_active_users": {"EDU-BUSY": 300, "HEALTH-IDLE": 2, "NOT-IN-INVENTORY": 10}}
COUNTERS = {"system_network_bytes": {"EDU-BUSY": 3e9, "HEALTH-IDLE": 1e6, "NOT-IN-INVENTORY": 1e8},
            "system_business_requests": {"EDU-BUSY": 960, "HEALTH-IDLE": 0, "NOT-IN-INVENTORY": 48},
            "system_logins": {"EDU-BUSY": 144, "HEALTH-IDLE": 0, "NOT-IN-INVENTORY": 0},
            "system_deployments": {"EDU-BUSY": 0, "HEALTH-IDLE": 0, "NOT-IN-INVENTORY": 0}}


def openmetrics() -> str:
    """Series contiguous and time-ordered, from 00:00 of START to 00:00 after END (Asia/Shanghai)."""
    first = int(datetime.combine(START, datetime.min.time(), SHANGHAI).timestamp())
    steps = DAYS * 86400 // STEP
    lines = []
    for name, per_system in GAUGES.items():
        lines.append(f"# TYPE {name} gauge")
        for code, value in per_system.items():
            lines += [f'{name}{{system="{code}"}} {value} {first + i * STEP}' for i in range(steps + 1)]
    for name, per_system in COUNTERS.items():
        lines.append(f"# TYPE {name} counter")
        for code, daily in per_system.items():
            per_step = daily * STEP / 86400
            lines += [f'{name}_total{{system="{code}"}} {per_step * i} {first + i * STEP}' for i in range(steps + 1)]
    return "\n".join(lines) + "\n# EOF\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory):
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    assert prometheus and promtool, "`make test` installs Debian's prometheus package"
    work: Path = tmp_path_factory.mktemp("prometheus")
    (work / "data.om").write_text(openmetrics(), encoding="utf-8")
    subprocess.run([promtool, "tsdb", "create-blocks-from", "--max-block-duration=24h", "openmetrics",
                    str(work / "data.om"), str(work / "tsdb")], check=True, capture_output=True, timeout=300)
    (work / "prometheus.yml").write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    port = free_port()
    with open(work / "prometheus.log", "wb") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([prometheus, f"--config.file={work / 'prometheus.yml'}",
                                 f"--storage.tsdb.path={work / 'tsdb'}", "--storage.tsdb.retention.time=400d",
                                 f"--web.listen-address=127.0.0.1:{port}"],
                                stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, (work / "prometheus.log").read_text()
        time.sleep(0.2)
    else:
        pytest.fail("prometheus did not become ready: " + (work / "prometheus.log").read_text()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def range_queries_served(url: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    for line in text.splitlines():
        if line.startswith("prometheus_http_requests_total") and 'handler="/api/v1/query_range"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def usage(client, world, system_id: int, metric: str) -> dict[date, float]:
    r = client.get(f"/api/v1/systems/{system_id}/usage", params={"metric": metric, "days": DAYS,
                                                                 "end": END.isoformat()},
                   headers=world.headers("auditor"))
    assert r.status_code == 200, r.text
    return {date.fromisoformat(p["day"]): p["value"] for p in r.json()["points"]}


def test_pull_from_real_prometheus_then_scan(app, client, world, prometheus_url):
    h = world.headers("admin")
    busy = create_system(client, h, world.depts["edu"].id, name="县中小学学籍管理系统", code="EDU-BUSY")
    idle = create_system(client, h, world.depts["health"].id, name="县卫生应急指挥系统", code="HEALTH-IDLE")
    app.state.settings = app.state.settings.model_copy(update={"prometheus_url": prometheus_url})

    before = range_queries_served(prometheus_url)
    r = client.post("/api/v1/metrics/pull", json={"start": START.isoformat(), "end": END.isoformat()},
                    headers=world.headers("ops"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["queries"] == 7 and body["unknown_systems"] == ["NOT-IN-INVENTORY"]
    assert range_queries_served(prometheus_url) - before == 7          # one query per metric, not per system

    requests = usage(client, world, busy["id"], "requests")
    assert set(requests) == {START + timedelta(days=i) for i in range(DAYS)}
    assert all(v == pytest.approx(960) for v in requests.values())
    assert all(v == pytest.approx(3e9) for v in usage(client, world, busy["id"], "network_bytes").values())
    assert all(v == pytest.approx(0.45) for v in usage(client, world, busy["id"], "cpu_p95").values())
    assert all(v == pytest.approx(2) for v in usage(client, world, idle["id"], "active_users").values())
    assert all(v == pytest.approx(0) for v in usage(client, world, idle["id"], "logins").values())

    again = client.post("/api/v1/metrics/pull", json={"start": START.isoformat(), "end": END.isoformat()},
                        headers=world.headers("ops"))
    assert again.status_code == 200 and usage(client, world, busy["id"], "requests") == requests  # idempotent

    scan = client.post("/api/v1/zombie-scans", json={"as_of": END.isoformat()}, headers=world.headers("auditor"))
    assert scan.status_code == 201, scan.text
    items = client.get(f"/api/v1/zombie-scans/{scan.json()['id']}/verdicts",
                       headers=world.headers("auditor")).json()["items"]
    verdicts = {v["system_code"]: v for v in items}
    assert verdicts["HEALTH-IDLE"]["status"] == "candidate" and "idle_resources" in verdicts["HEALTH-IDLE"]["held"]
    assert "idle_resources" not in verdicts["EDU-BUSY"]["held"]


def test_pull_refuses_departments_and_reports_an_unreachable_server(app, client, world):
    app.state.settings = app.state.settings.model_copy(update={"prometheus_url": f"http://127.0.0.1:{free_port()}"})
    assert client.post("/api/v1/metrics/pull", headers=world.headers("edu")).status_code == 403
    r = client.post("/api/v1/metrics/pull", headers=world.headers("ops"))
    assert r.status_code == 502 and r.json()["code"] == "prometheus_unavailable"
