"""Hostile uploads and bodies: every size a request can make the server hold is bounded and answered
with a 413 or 422 problem in zh-CN, never a 5xx."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlmodel import Session

from control.app import create_app
from control.core.clock import today
from control.systems.models import InformationSystem
from control.zombies import usage as store
from control.zombies.enums import Metric
from control.zombies.models import UsageTile
from tests.api.helpers import create_system
from tests.api.test_cloud_requests import payload
from tests.conftest import build_world, make_settings

LIMITS = {"max_body_bytes": 4096, "max_upload_bytes": 64 * 1024, "metrics_max_rows": 500,
          "metrics_max_errors": 5, "metrics_max_line_chars": 100, "attachment_max_bytes": 16 * 1024,
          "form_max_fields": 20, "form_max_files": 2, "form_max_part_bytes": 1024,
          "metrics_push_max_bytes": 32 * 1024}


@pytest.fixture
def small(db_url, tmp_path):
    """(client, world) of a service with small limits."""
    app = create_app(make_settings(db_url, tmp_path).model_copy(update=LIMITS))
    with TestClient(app) as client:
        world = build_world(client, app.state.engine)
        yield client, world
        world.session.close()
    app.state.engine.dispose()


def problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == code and body["detail"].isascii() is False    # a zh-CN reason
    return body


def chunks(total: int, size: int = 1024):
    """A body sent chunked (no Content-Length), as a client that does not announce its size."""
    for _ in range(total // size):
        yield b"x" * size


def test_json_body_over_the_limit(small):
    client, world = small
    h = {**world.headers("admin"), "content-type": "application/json"}
    body = problem(client.post("/api/v1/departments", content=b" " * 5000, headers=h), 413, "payload_too_large")
    assert "4 KB" in body["detail"]
    # Chunked, so only counting while it streams can stop it.
    r = client.post("/api/v1/departments", content=chunks(8192), headers=h)
    problem(r, 413, "payload_too_large")
    assert "content-length" not in r.request.headers
    # A form (the login) is an ordinary body too; within the limit the route still answers as before.
    problem(client.post("/api/v1/auth/token", content=chunks(8192),
                        headers={"content-type": "application/x-www-form-urlencoded"}), 413, "payload_too_large")
    assert client.post("/api/v1/departments", json={}, headers=world.headers("admin")).status_code == 422


def test_upload_routes_have_the_larger_limit(small):
    client, world = small
    h = world.headers("ops")
    csv = b"system_code,metric,day,value\n" + b"NOPE,requests,2026-11-01,1\n" * 300     # 8 KB: over the body limit
    assert problem(client.post("/api/v1/metrics/import", files={"file": ("m.csv", csv)}, headers=h),
                   422, "validation_failed")["errors"][0]["code"] == "unknown_system"
    big = csv + b"#" * (64 * 1024)
    problem(client.post("/api/v1/metrics/import", files={"file": ("m.csv", big)}, headers=h), 413, "payload_too_large")
    # The JSON push is parsed whole: a limit of its own, between the two.
    sample = {"system_code": "NOPE", "metric": "requests", "day": "2026-11-01", "value": 1}
    r = client.post("/api/v1/metrics/samples", json={"samples": [sample] * 200}, headers=h)    # 14 KB
    assert problem(r, 422, "validation_failed")["errors"][0]["code"] == "unknown_system"
    r = client.post("/api/v1/metrics/samples", json={"samples": [sample] * 600}, headers=h)    # 42 KB
    assert "32 KB" in problem(r, 413, "payload_too_large")["detail"]


def test_attachments_are_refused_by_size(small):
    client, world = small
    h = world.headers("edu")
    r = client.post("/api/v1/cloud-requests", json=payload(world), headers=h)
    assert r.status_code == 201, r.text
    url = f"/api/v1/cloud-requests/{r.json()['id']}/attachments"
    ok = client.post(url, files={"file": ("a.pdf", b"%PDF-1.4" + b"0" * 16_000, "application/pdf")}, headers=h)
    assert ok.status_code == 201, ok.text
    # Past the attachment limit but within the route's body limit: the service stops reading at the limit.
    body = problem(client.post(url, files={"file": ("a.pdf", b"%PDF-1.4" + b"0" * 20_000, "application/pdf")},
                               headers=h), 413, "payload_too_large")
    assert body["detail"] == "附件超过 16 KB 的上限，未予处理"
    # Far past it: refused by the body limit, announced or streamed (a 60 KB upload route would take it).
    big = {"file": ("a.pdf", b"%PDF-1.4" + b"0" * 90_000, "application/pdf")}
    problem(client.post(url, files=big, headers=h), 413, "payload_too_large")
    page = client.post(f"/cloud/{r.json()['id']}/attachments", content=chunks(90_000),
                       headers={"content-type": "multipart/form-data; boundary=x"})
    assert page.status_code == 413 and "超过 80 KB 的上限" in page.text         # the page answers with a page
    # The type check stays.
    assert problem(client.post(url, files={"file": ("x.exe", b"MZ", "application/octet-stream")}, headers=h),
                   422, "attachment_type")["detail"].startswith("附件只接受")


def test_forms_past_the_multipart_limits_are_refused(small):
    client, world = small
    h = world.headers("ops")
    many = {f"f{i}": "x" for i in range(30)}
    r = client.post("/api/v1/metrics/import", data=many, files={"file": ("m.csv", b"system_code,metric,day,value\n")},
                    headers=h)
    problem(r, 400, "bad_form")
    files = [("file", (f"m{i}.csv", b"x")) for i in range(3)]
    problem(client.post("/api/v1/metrics/import", files=files, headers=h), 400, "bad_form")
    problem(client.post("/api/v1/auth/token", data={"username": "ops", "password": "p" * 2000}), 400, "bad_form")
    # A page form is read within the same limits (the CSRF check reads it first).
    client.get("/login")
    r = client.post("/lang", data={"lang": "en", "next": "/" + "x" * 2000})
    assert r.status_code == 400 and "表单无法读取" in r.text
    # Other HTTP errors keep their answer.
    assert client.post("/api/v1/departments", content=b"{", headers={**h, "content-type": "application/json"}
                       ).status_code == 422


def metrics_csv(rows: list[str]) -> dict:
    return {"file": ("m.csv", ("system_code,metric,day,value\n" + "".join(r + "\n" for r in rows)).encode())}


def test_metrics_csv_rows_errors_and_lines_are_bounded(small):
    client, world = small
    create_system(client, world.headers("admin"), world.depts["edu"].id, code="EDU-1")
    h = world.headers("ops")
    day = (today() - timedelta(days=1)).isoformat()
    # Errors: the first N listed, all of them counted.
    r = client.post("/api/v1/metrics/import", files=metrics_csv([f"EDU-1,bogus,{day},1"] * 400), headers=h)
    body = problem(r, 422, "validation_failed")
    assert len(body["errors"]) == 5 and "400 处错误" in body["detail"] and "仅列出前 5 条" in body["detail"]
    # Rows: refused past the limit, whether the rows are good or not.
    rows = [f"EDU-1,requests,{(today() - timedelta(days=i)).isoformat()},1" for i in range(501)]
    problem(client.post("/api/v1/metrics/import", files=metrics_csv(rows), headers=h), 422, "too_many_rows")
    assert client.post("/api/v1/metrics/import", files=metrics_csv(rows[:500]), headers=h).status_code == 200
    # One line longer than any metric row is refused, not read whole; so is a file that is not UTF-8.
    problem(client.post("/api/v1/metrics/import", files=metrics_csv([f"EDU-1,requests,{day}," + "9" * 5000]),
                        headers=h), 422, "line_too_long")
    problem(client.post("/api/v1/metrics/import", files={"file": ("m.csv", "system_code,metric,day,value\n指标".encode(
        "gb18030"))}, headers=h), 422, "not_utf8")


def test_metric_days_outside_the_window_are_refused(small):
    client, world = small
    create_system(client, world.headers("admin"), world.depts["edu"].id, code="EDU-1")
    h = world.headers("ops")
    ahead = (today() + timedelta(days=2)).isoformat()
    r = client.post("/api/v1/metrics/import", headers=h, files=metrics_csv(
        [f"EDU-1,requests,{today().isoformat()},1", "EDU-1,requests,1900-01-01,1", f"EDU-1,requests,{ahead},1"]))
    errors = problem(r, 422, "validation_failed")["errors"]
    assert [(e["row"], e["column"], e["code"]) for e in errors] == [(3, "day", "day_out_of_window"),
                                                                    (4, "day", "day_out_of_window")]
    assert "1900-01-01" in errors[0]["message"]
    r = client.post("/api/v1/metrics/samples", headers=h, json={"samples": [
        {"system_code": "EDU-1", "metric": "requests", "day": "1999-12-31", "value": 1}]})
    assert problem(r, 422, "validation_failed")["errors"][0]["row"] == 1


def database_bytes(engine) -> int:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    return Path(engine.url.database).stat().st_size


def test_store_grows_with_the_values_not_their_spread(app, client, world):
    """400 values, each alone in its tile (12 systems in different tiles × 34 blocks 32 days apart):
    dense tiles took 256 KB each, 100 MB in all."""
    with Session(app.state.engine) as session:
        session.add_all(InformationSystem(id=1 + 1024 * k, code=f"T-{k}", department_id=world.depts["edu"].id,
                                          name=f"系统{k}", status="running") for k in range(12))
        session.commit()
    samples = [{"system_code": f"T-{k}", "metric": "requests", "day": (today() - timedelta(days=32 * j)).isoformat(),
                "value": j} for k in range(12) for j in range(34)][:400]
    before = database_bytes(app.state.engine)
    r = client.post("/api/v1/metrics/samples", json={"samples": samples}, headers=world.headers("ops"))
    assert r.status_code == 200, r.text
    assert database_bytes(app.state.engine) - before < 1024 * 1024
    with Session(app.state.engine) as session:
        assert session.execute(select(func.count()).select_from(UsageTile)).scalar() == 400
        assert store.series(session, 1 + 1024 * 11, Metric.requests, today() - timedelta(days=64), today())[::32] == [
            (today() - timedelta(days=64), 2.0), (today() - timedelta(days=32), 1.0), (today(), 0.0)]
