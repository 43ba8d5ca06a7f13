"""Fixtures of the web tests: a real server over an evaluated sample, and headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.web.pipeline import add_user, build_evaluated_database

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("GISAUDIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # fmt: skip
AUDITED = "120112"  # 津南区: the auditor's district
TENURE = "120112-shuji-2019"
OTHER = "120113"  # 北辰区: not the auditor's
PASSWORD = "测试-口令-123"


@dataclass(frozen=True)
class Site:
    """The running server and what is in its database."""

    base: str
    data_dir: Path
    url: str
    package: Path  # the evaluated package's folder (registered on the server, for its tiles)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """uvicorn on a free 127.0.0.1 port over a database filled by the real pipeline."""
    import uvicorn

    from api.main import create_app
    from api.packages import PackageStore
    from api.settings import Settings

    work = tmp_path_factory.mktemp("web")
    url, data_dir = build_evaluated_database(work, reports_for=(TENURE,))
    add_user(url, "auditor", PASSWORD, "auditor", [AUDITED])
    add_user(url, "viewer", PASSWORD, "viewer", [])
    secret = "web-tests-" + "k" * 32
    settings = Settings(database_url=url, data_dir=data_dir, secret_key=secret)
    PackageStore(settings).register_folder(str(work / "package"), "admin")  # for its tiles
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("web test server did not start")
        time.sleep(0.05)
    _warm_tiles(f"http://127.0.0.1:{port}")
    try:
        yield Site(
            base=f"http://127.0.0.1:{port}", data_dir=data_dir, url=url, package=work / "package"
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _warm_tiles(base: str) -> None:
    """Ask for one land-use tile, so that the server indexes the package's layers (once per
    server start, several seconds) before the pages' tests time their tile loads."""
    import httpx

    token = httpx.post(f"{base}/api/token", data={"username": "viewer", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    layers = httpx.get(f"{base}/tiles", headers=headers).json()["layers"]
    landuse = next(x for x in layers if x["id"].startswith("landuse-"))
    url = landuse["tiles"][0].format(z=11, x=1690, y=778)
    httpx.get(url, headers=headers, timeout=120).raise_for_status()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright (no downloaded browsers)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class Recorder:
    """Every request the page made, and every script error."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.errors: list[str] = []

    def hosts(self) -> set[str]:
        local = ("data:", "blob:")
        return {urlsplit(u).hostname or "" for u in self.urls if not u.startswith(local)}


@pytest.fixture
def page(browser, site: Site) -> Iterator[object]:
    """A fresh browser tab; afterwards, asserts that no request left 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    recorder = Recorder()
    tab.on("request", lambda r: recorder.urls.append(r.url))
    tab.on("pageerror", lambda e: recorder.errors.append(str(e)))
    tab.recorder = recorder
    try:
        yield tab
    finally:
        context.close()
    assert recorder.urls, "the page made no request at all"
    assert recorder.hosts() <= {"127.0.0.1"}, f"requests left the machine: {recorder.hosts()}"
    assert not recorder.errors, f"script errors: {recorder.errors}"


def sign_in(page, site: Site, name: str, next_path: str = "/") -> None:
    """Sign in through the sign-in page and land on ``next_path``."""
    page.goto(f"{site.base}/login?next={next_path}")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{site.base}{next_path}")


def wait_for_layers(page) -> None:
    """Wait until every lazy layer has loaded."""
    page.wait_for_function("document.body.dataset.loading === '0'")


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def publish_screenshot(path: Path, name: str) -> None:
    """Copy a screenshot into docs/ (for the README)."""
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    shutil.copyfile(path, docs / name)
