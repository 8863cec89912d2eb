"""Separation of duties across a return: everyone who created, submitted or resubmitted a request stays its
author (control/core/workflow.py keeps them), so an earlier submitter never signs a review level of it after
someone else resubmits it, and it is not in their awaiting-me queue."""
from __future__ import annotations

from tests.api.test_cloud_requests import do, file_request
from tests.api.test_review_duties import add_user, cloud  # noqa: F401  (the fixture)


def awaiting(client, world, user) -> list[int]:
    r = client.get("/api/v1/cloud-requests", params={"awaiting_me": True}, headers=world.headers(user))
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


def test_an_earlier_submitter_never_signs_after_another_user_resubmits(client, cloud):  # noqa: F811
    add_user(client, cloud, "edu4", "edu", reviewer=True)         # a second designated reviewer of 教育局
    req = file_request(client, cloud)                             # created by edu
    r = do(client, cloud, "edu2", req["id"], "submit")            # submitted by edu2, a designated reviewer
    assert r.status_code == 200, r.text
    assert do(client, cloud, "edu2", req["id"], "approve").json()["code"] == "own_item"
    r = do(client, cloud, "edu4", req["id"], "return", comment="请补充等保备案")
    assert r.status_code == 200, r.text
    r = do(client, cloud, "edu", req["id"], "submit")             # resubmitted by edu: edu2 is no longer submitted_by
    assert r.status_code == 200 and r.json()["submitted_by"] == "edu", r.text
    assert r.json()["stages"][-1]["stage"] == "review:department_head"
    for action in ("approve", "return", "reject"):
        r = do(client, cloud, "edu2", req["id"], action, comment="理由")
        assert r.status_code == 403 and r.json()["code"] == "own_item", (action, r.text)
    assert req["id"] not in awaiting(client, cloud, "edu2")
    assert req["id"] in awaiting(client, cloud, "edu4")
    r = do(client, cloud, "edu4", req["id"], "approve")
    assert r.status_code == 200, r.text
    mine = client.get("/api/v1/cloud-requests", params={"mine": True}, headers=cloud.headers("edu2")).json()
    assert [item["id"] for item in mine["items"]] == [req["id"]]
