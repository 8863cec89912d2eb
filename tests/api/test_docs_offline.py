"""/docs and /redoc work without internet: every script, style and icon they load is served by the
service, and their CSP names no other host (issue 12, point 6)."""
from __future__ import annotations

import re

import pytest

URL = re.compile(r"""(?:src|href|spec-url|data-openapi-url)=["']([^"']+)["']""")


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_reference_no_outside_host(client, path):
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    outside = [u for u in re.findall(r"\b(?:https?:)?//[^\s\"'<>)]+", r.text) if "//testserver" not in u]
    assert outside == [], outside
    csp = r.headers["Content-Security-Policy"]
    assert not re.search(r"https?:|//|\*", csp), csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert re.search(r"<script(?![^>]*\bsrc=)", r.text) is None            # no inline script for the CSP to refuse
    urls = URL.findall(r.text)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    for url in urls:                                                      # each asset is served here
        assert client.get(url).status_code == 200, url
