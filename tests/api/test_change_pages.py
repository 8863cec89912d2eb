"""The change pages in zh-CN: the list, the form for a device change, and the change page with each device's
commands and expected diff, the approve button the author cannot use (disabled, with the reason), the buttons
the state allows with the confirm dialog on dangerous ones; the devices page links to its changes."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.api.helpers import csrf, login
from tests.integration.changes_helpers import add_device, join_variables


@pytest.fixture
def db_url(sqlite_url):
    return sqlite_url


def test_change_pages(client, world, app):
    device = add_device(client, world, "page-sw-1", 2301)
    login(client, "infocenter")
    assert "join_extranet" in client.get("/changes/new").text
    form = client.get("/changes/new?template=join_extranet")
    assert form.status_code == 200 and "互联 VLAN 号" in form.text and "page-sw-1" in form.text
    values = {f"var_{k}": "\n".join(v) if isinstance(v, list) else str(v) for k, v in join_variables(330).items()}
    bad = client.post("/changes/new", data={"csrf_token": csrf(client, "/changes/new"), "template": "join_extranet",
                                            **values, "var_vlan_id": "5000", "device_ids": str(device)})
    assert bad.status_code == 422 and "应在 2–4094 之间" in bad.text
    # per-device variables: YAML by device name; a device not ticked, or a bad value, is named on the form
    for own, why in (("other-sw:\n  svi_address: 10.30.0.9/24", "other-sw 未在下方勾选"),
                     ("page-sw-1: [1, 2", "不是有效的 YAML"),
                     ("page-sw-1:\n  svi_address: 10.30.0.9", "地址/前缀长度")):
        bad = client.post("/changes/new", data={"csrf_token": csrf(client, "/changes/new"), **values,
                                                "template": "join_extranet", "device_ids": str(device),
                                                "device_variables": own})
        assert bad.status_code == 422 and why in bad.text, why
        assert f'value="{device}" checked' in bad.text and "svi_address" in bad.text       # the form kept as typed
    made = client.post("/changes/new", data={"csrf_token": csrf(client, "/changes/new"), "template": "join_extranet",
                                             **values, "device_ids": str(device),
                                             "device_variables": "page-sw-1:\n  svi_address: 10.30.0.9/24"},
                       follow_redirects=False)
    assert made.status_code == 303
    url = made.headers["location"]
    page = client.get(url).text
    assert "草稿" in page and 'id="check-change"' in page and 'id="approve-change"' not in page
    assert "<code>10.30.0.9/24</code>" in page.split('id="target-variables-0"')[1].split("</table>")[0]
    assert "<code>FastEthernet0/3</code>" in page.split('id="common-variables"')[1].split("</table>")[0]
    assert "尚未检查" in page
    change_id = int(url.rsplit("/", 1)[1])
    with app.state.engine.begin() as conn:              # as a check run leaves it
        conn.execute(text("UPDATE automation_change SET status = 'checked' WHERE id = :i"), {"i": change_id})
        conn.execute(text("UPDATE automation_change_target SET status = 'checked', backup_digest = 'x', "
                          "commands = :c, expected_diff = :d WHERE change_id = :i"),
                     {"i": change_id, "c": '["vlan 330", " name edu-ic-330"]',
                      "d": "--- page-sw-1 v1\n+++ page-sw-1 变更后（预计）\n@@ -1 +1,2 @@\n vlan 1\n+vlan 330\n"})
    page = client.get(url).text
    assert 'id="approve-change" disabled' in page and "不得审批自己的事项" in page
    assert '<span class="diff-add">+vlan 330</span>' in page and "vlan 330\n name edu-ic-330" in page
    listed = client.get("/changes").text
    assert f'href="/changes/{change_id}"' in listed
    assert f'href="/changes?device_id={device}"' in client.get(f"/devices/{device}").text
    client.post("/logout", data={"csrf_token": csrf(client)})
    login(client, "bureau")
    page = client.get(url).text
    assert 'id="approve-change" data-confirm=' in page and 'id="apply-change"' not in page
    done = client.post(f"{url}/approve", data={"csrf_token": csrf(client, url), "comment": "看过差异"},
                       follow_redirects=False)
    assert done.status_code == 303
    page = client.get(url).text
    assert "已批准变更" in page and "已批准" in page
    refused = client.post(f"{url}/apply", data={"csrf_token": csrf(client, url)}, follow_redirects=True)
    assert "未能执行" in refused.text                      # the bureau approves; operators apply
