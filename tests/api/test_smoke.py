def test_token_and_me(client, world):
    r = client.get("/api/v1/me", headers=world.headers("edu"))
    assert r.status_code == 200
    assert r.json()["role"] == "department"


def test_no_token_is_401(client, world):
    r = client.get("/api/v1/systems")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
