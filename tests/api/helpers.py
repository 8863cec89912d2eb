"""Small builders shared by the API tests."""
from __future__ import annotations

import io
import re

import openpyxl

from tests.conftest import PASSWORD


def csrf(client, path: str = "/") -> str:
    """The CSRF token a page's form carries (the login page's too)."""
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def login(client, username: str) -> None:
    """Sign in through the login form, as a browser does."""
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf(client, "/login")},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


def system_payload(department_id: int, name: str = "县中小学学籍管理系统", **extra) -> dict:
    body = {
        "department_id": department_id,
        "name": name,
        "status": "running",
        "function_description": "学籍登记、转学、毕业",
        "networks": ["extranet", "internet"],
        "protection_level": 2,
        "can_reach_external": True,
        "reach_method": "direct",
        "use_scopes": ["grassroots"],
        "use_scope_names": "全县中小学",
        "user_count": 120,
        "usage_frequency": "daily",
        "approving_unit": "示范县发展和改革局",
        "approval_date": "2017-01-10",
        "build_cost": "52.5",
        "build_funding_source": "县级财政预算",
        "om_cost_yearly": "4.2",
        "om_vendors": "示范信息技术有限公司",
        "sharing": [{"direction": "provided", "resource_name": "学生基本信息", "counterpart": "示范县大数据局",
                     "method": "api"}],
    }
    body.update(extra)
    return body


def create_system(client, headers, department_id: int, **extra) -> dict:
    r = client.post("/api/v1/systems", json=system_payload(department_id, **extra), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def fill_self_built_sheet(template: bytes, rows: list[dict]) -> bytes:
    """The census template with rows written on its 自建系统 sheet, keyed by header (without the * of
    required columns)."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["自建系统"]
    cols = {str(c.value).lstrip("*"): c.column for c in ws[1] if c.value}
    for i, row in enumerate(rows, start=2):
        for key, value in row.items():
            ws.cell(row=i, column=cols[key], value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

