"""Hostile census uploads: zip bombs, entity expansion, lying zip headers, oversized cells, rows, columns,
sheets and strings, and junk that makes an error in every cell. Each is refused with 413 or 422 and a
zh-CN reason, before the server holds what the file claims (tests/integration measures the memory)."""
from __future__ import annotations

import io

import openpyxl
import pytest
from fastapi.testclient import TestClient

from control.app import create_app
from tests import census_bombs as bombs
from tests.conftest import build_world, make_settings

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SELF = "自建系统"


def _app(url, tmp_path, **limits):
    settings = make_settings(url, tmp_path).model_copy(update={f"census_max_{k}": v for k, v in limits.items()})
    return create_app(settings)


@pytest.fixture
def app(sqlite_url, tmp_path):
    """The default limits, on SQLite only: nothing here reaches the database."""
    application = _app(sqlite_url, tmp_path)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def tight(sqlite_url, tmp_path):
    """(client, world) of a server with small limits, to reach each one with a small file."""
    application = _app(sqlite_url, tmp_path, upload_bytes=20_000, rows=5, columns=5, cell_chars=100, sheets=2,
                       shared_strings=2, errors=3)
    with TestClient(application) as c:
        w = build_world(c, application.state.engine)
        yield c, w
        w.session.close()
    application.state.engine.dispose()


def post(client, world, data: bytes):
    return client.post("/api/v1/systems/import", headers=world.headers("edu"),
                       files={"file": ("census.xlsx", data, XLSX)})


def refused(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == code and body["detail"]
    assert not any(ch.isascii() and ch.isalpha() for ch in body["detail"].replace("MB", "").replace("DTD", "")
                   .replace("UTF", "").replace("Excel", "").replace("xlsx", "")), body["detail"]
    return body


# --- the zip directory, before anything is decompressed ------------------------------------------------------

@pytest.mark.parametrize("bomb, reason", [(bombs.rows_bomb, "超过上限"), (bombs.cell_bomb, "超过上限"),
                                          (bombs.ratio_bomb, "压缩比")])
def test_zip_bombs_are_refused_by_their_directory(client, world, bomb, reason):
    body = refused(post(client, world, bomb()), 413, "workbook_too_large")
    assert reason in body["detail"]


def test_too_many_parts(client, world):
    body = refused(post(client, world, bombs.many_parts(1000)), 413, "workbook_too_large")
    assert "个部件，超过上限 1000 个" in body["detail"]


def test_sizes_that_lie_are_caught_while_streaming(client, world):
    """The directory claims 1 MB for 256 MB of rows: reading stops at the claimed size, and the file is refused."""
    r = post(client, world, bombs.lying_bomb())
    assert r.status_code in (413, 422), r.text
    assert client.get("/api/v1/systems", headers=world.headers("admin")).json()["total"] == 0


def test_entity_expansion_and_other_encodings_are_refused(client, world):
    for data in (bombs.laughs_in_shared_strings(), bombs.utf16_sheet()):
        refused(post(client, world, data), 422, "xml_dtd_forbidden")


def test_rows_past_the_limit_name_the_sheet(client, world):
    body = refused(post(client, world, bombs.many_rows(60_000)), 422, "too_many_rows")
    assert f"工作簿超过 50000 行（读到“{SELF}”表第 50001 行）" in body["detail"]
    assert body["errors"][0]["sheet"] == SELF and body["errors"][0]["row"] == 50_001


def test_a_junk_workbook_lists_the_first_errors_and_counts_them_all(client, world):
    """20,000 rows with five bad cells each: 200 errors listed, first by position, 100,000 counted."""
    heads = ["部门名称", "系统名称", "运行状态", "审批时间", "用户数量"]

    def row(n: int, cells: list[str]) -> bytes:
        return (f"<row r='{n}'>" + "".join(f"<c t='inlineStr'><is><t>{c}</t></is></c>" for c in cells)
                + "</row>").encode()

    junk = [row(n, [f"不存在的局{n}", f"系统{n}", "乱填", "去年", "很多"]) for n in range(2, 20_002)]
    data = bombs.workbook(bombs.sheet_xml([row(1, heads), *junk]))
    r = post(client, world, data)
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "import_failed" and body["errors_total"] == 80_000
    assert len(body["errors"]) == 200 and "共 80000 处错误（仅列出前 200 处）" in body["detail"]
    rows = [e["row"] for e in body["errors"]]
    assert rows == sorted(rows) and rows[0] == 2 and rows[-1] == 51


# --- each limit, reached with a small file ---------------------------------------------------------------

def test_upload_size_is_refused_before_reading(tight):
    client, world = tight
    body = refused(post(client, world, b"PK" + b"\0" * 30_000), 413, "workbook_too_large")
    assert "超过上限" in body["detail"]


def sheet_of(*rows: str, shared: list[str] | None = None) -> bytes:
    xml = "".join(rows).encode()
    sst = None
    if shared is not None:
        sst = (f"<sst xmlns='{bombs.MAIN}'>" + "".join(f"<si><t>{s}</t></si>" for s in shared) + "</sst>").encode()
    return bombs.workbook(bombs.sheet_xml([xml]), shared=sst)


def test_columns_cells_strings_and_sheets_past_their_limits(tight):
    client, world = tight
    heads = bombs.HEADS
    # An empty formatted cell far right is skipped; a value past column 5 refuses the sheet, naming the row.
    formatted = "<row r='2'><c r='A2' t='inlineStr'><is><t>x</t></is></c><c r='XFD2' s='1'/></row>"
    body = refused(post(client, world, sheet_of(heads, formatted, "<row r='3'><c r='F3'><v>1</v></c></row>")),
                   422, "too_many_columns")
    assert body["errors"][0]["row"] == 3 and "第 3 行超过 5 列" in body["detail"]
    assert refused(post(client, world, sheet_of(heads, formatted)), 422, "import_failed")  # read whole: plain errors

    runs = f"<r><t>{'长' * 60}</t></r><r><t>{'长' * 41}</t></r>"
    long_inline = f"<row r='2'><c r='A2' t='inlineStr'><is>{runs}</is></c></row>"
    body = refused(post(client, world, sheet_of(heads, long_inline)), 422, "cell_too_long")
    assert body["errors"][0]["sheet"] == SELF and "超过 100 个字" in body["detail"]
    refused(post(client, world, sheet_of("<row r='1'><c t='s'><v>0</v></c></row>", shared=["长" * 101])),
            422, "cell_too_long")
    refused(post(client, world, sheet_of(heads, shared=["甲", "乙", "丙"])), 422, "too_many_strings")

    wb = openpyxl.Workbook()
    wb.active.title = SELF
    wb.create_sheet("垂管系统")
    wb.create_sheet("其他")
    buf = io.BytesIO()
    wb.save(buf)
    refused(post(client, world, buf.getvalue()), 422, "too_many_sheets")


def test_the_errors_listed_are_capped_and_counted(tight):
    client, world = tight
    rows = [f"<row r='{n}'><c r='A{n}' t='inlineStr'><is><t>不存在的局</t></is></c>"
            f"<c r='B{n}' t='inlineStr'><is><t>系统{n}</t></is></c></row>" for n in (2, 3)]
    heads = bombs.HEADS
    body = refused(post(client, world, sheet_of(heads, *rows)), 422, "import_failed")
    assert body["errors_total"] == 2 and len(body["errors"]) == 2
    more = [f"<row r='{n}'><c r='A{n}' t='inlineStr'><is><t>不存在的局</t></is></c></row>" for n in (4, 5, 6)]
    body = refused(post(client, world, sheet_of(heads, *rows, *more[:1])), 422, "import_failed")
    assert body["errors_total"] == 4 and [e["row"] for e in body["errors"]] == [2, 3, 4]
    assert "共 4 处错误（仅列出前 3 处）" in body["detail"]
    refused(post(client, world, sheet_of(heads, *rows, *more)), 422, "too_many_rows")


def test_the_row_limit_counts_every_sheet(tight):
    """Every row read is held until the whole workbook is checked, so the limit is for all sheets together."""
    client, world = tight
    wb = openpyxl.Workbook()
    wb.active.title = SELF
    for ws in (wb.active, wb.create_sheet("垂管系统")):
        ws.append(["部门名称", "系统名称", "运行状态"])
        ws.append(["示范县教育局", f"{ws.title}甲", "正在运行"])
        ws.append(["示范县教育局", f"{ws.title}乙", "正在运行"])
    buf = io.BytesIO()
    wb.save(buf)
    body = refused(post(client, world, buf.getvalue()), 422, "too_many_rows")
    assert body["errors"][0]["sheet"] == "垂管系统" and "工作簿超过 5 行（读到“垂管系统”表第 3 行）" in body["detail"]
