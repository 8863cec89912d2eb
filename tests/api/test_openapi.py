"""The OpenAPI says what every route returns: a schema for each success response (JSON or a file)."""
from __future__ import annotations


def test_every_route_declares_what_it_returns(app):
    missing = []
    for path, operations in app.openapi()["paths"].items():
        for method, op in operations.items():
            for status, response in op["responses"].items():
                if not status.startswith("2") or status == "204":
                    continue
                content = response.get("content") or {}
                if not content or any(not media.get("schema") for media in content.values()):
                    missing.append(f"{method.upper()} {path} {status}")
    assert not missing, missing


def test_limits_and_ids_are_bounded_in_the_schema(app):
    """Every integer path or query parameter has a maximum, so a client (and schemathesis) knows it."""
    unbounded = []
    for path, operations in app.openapi()["paths"].items():
        for method, op in operations.items():
            for p in op.get("parameters", []):
                schema = p["schema"]
                options = schema.get("anyOf", [schema])
                if any(o.get("type") == "integer" and "maximum" not in o for o in options):
                    unbounded.append(f"{method.upper()} {path} {p['name']}")
    assert not unbounded, unbounded
