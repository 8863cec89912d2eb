"""A live server (uvicorn in a thread, real SQLite) and headless Chromium for the browser tests."""
from __future__ import annotations

import threading
import time

import httpx
import pytest
import uvicorn

from control.app import create_app
from tests.conftest import build_world, fresh_sqlite, make_settings
from tests.pgserver import free_port


def wait_for_health(base: str, seconds: float = 30) -> None:
    """Poll /healthz until the server at `base` answers (a server thread or a `yunzhang serve` process)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    pytest.fail(f"no answer from {base}/healthz within {seconds} s")


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def live(sqlite_template, tmp_path):
    """(base URL, app, world) of a running server with the test organisation loaded."""
    app = create_app(make_settings(fresh_sqlite(sqlite_template, tmp_path), tmp_path))
    from fastapi.testclient import TestClient
    world = build_world(TestClient(app), app.state.engine)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    wait_for_health(base)
    yield base, app, world
    server.should_exit = True
    thread.join(timeout=10)
    world.session.close()
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session (a launch costs ~1 s); tests share it through `browser`."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def browser(chromium):
    """The session's Chromium; every context (cookies, storage, pages) a test opened is closed after it, so each
    test starts as in a browser of its own."""
    assert not chromium.contexts, "a context outlived its test"
    yield chromium
    for context in chromium.contexts:
        context.close()


def login(page, base: str, username: str) -> None:
    from tests.conftest import PASSWORD
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
