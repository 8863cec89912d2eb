"""Adapter: daily usage values from the Prometheus HTTP API. One range query per canonical metric for
all systems at a 1-day step (never one query per system), grouped by the `system` label (the code)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import httpx
from sqlmodel import Session

from control.core.auth import Actor
from control.core.clock import SHANGHAI
from control.core.errors import ServiceError, ValidationFailed
from control.core.policy import ZombiePolicy
from control.zombies import usage
from control.zombies.enums import Metric


class PrometheusUnavailable(ServiceError):
    status, code, title = 502, "prometheus_unavailable", "Prometheus 不可用"


def day_boundary(day: date) -> float:
    """The evaluation instant that covers `day`: 00:00 Asia/Shanghai of the next day."""
    return datetime.combine(day + timedelta(days=1), time.min, SHANGHAI).timestamp()


def query_range(client: httpx.Client, query: str, start: date, end: date) -> list[dict]:
    try:
        r = client.get("/api/v1/query_range", params={"query": query, "start": day_boundary(start),
                                                      "end": day_boundary(end), "step": "86400"})
    except httpx.HTTPError as exc:
        raise PrometheusUnavailable(f"无法连接 Prometheus：{exc}") from None
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    if r.status_code != 200 or body.get("status") != "success":
        raise PrometheusUnavailable(f"Prometheus 查询失败（{r.status_code}）：{body.get('error', r.text[:200])}",
                                    code="prometheus_query_failed")
    return body["data"]["result"]


def pull(session: Session, actor: Actor, base_url: str, policy: ZombiePolicy, start: date, end: date,
         timeout: float = 30.0) -> dict:
    """Fetch [start, end] for every mapped metric and store it; systems Prometheus knows but the
    inventory does not are counted and skipped."""
    actor.require(*usage.METRIC_WRITERS)
    if end < start or (end - start).days > 400:
        raise ValidationFailed("拉取区间须在 400 天以内且起始不晚于结束", code="invalid_range")
    label = policy.prometheus.system_label
    systems = usage.system_index(session)
    samples, unknown, queries = usage.Samples(), set(), 0
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout) as client:
        for metric in Metric:
            query = policy.prometheus.queries.get(metric.value)
            if not query:
                continue
            queries += 1
            for series in query_range(client, query, start, end):
                code = series["metric"].get(label)
                target = systems.get(code)
                if target is None or not actor.can_see_path(target[1]):
                    unknown.add(code)
                    continue
                for ts, value in series["values"]:
                    day = datetime.fromtimestamp(float(ts), SHANGHAI).date() - timedelta(days=1)
                    v = float(value)
                    if v == v and v >= 0:  # NaN and negative resets are not usage
                        if metric.value in usage.RATIO_METRICS:
                            v = min(v, 1.0)
                        samples.add(target[0], metric.value, day, v)
    stored = usage.store(session, actor, samples, "prometheus") if len(samples) else {"samples": 0}
    return {**stored, "queries": queries, "unknown_systems": sorted(c for c in unknown if c)}
