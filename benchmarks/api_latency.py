# ruff: noqa: T201  (a benchmark script prints its table)
"""API latencies at sample size against a real uvicorn on 127.0.0.1 (not part of the tests).

``.venv/bin/python -m benchmarks.api_latency [--patches 20000] [--package DIR]
[--database-url URL] [--samples 100] [--pages 10] [--clients 50] [--duration 60]``

Builds a sample package (``gisaudit sample``; or uses ``--package``), starts
``uvicorn --factory api.main:create_app`` on a fresh data folder and database (SQLite unless
``--database-url``, which must name an EMPTY database), registers and evaluates the package
through the API, then measures with httpx:

- the scorecard of a tenure (``GET /api/evaluations/{id}/tenures/{tenure}/scorecard``),
- a page of 1000 leads (``GET /api/leads?limit=1000``; fewer if the evaluation found fewer),
- a land-use vector tile at zoom 12, 13, 14, 15 and 16 (tiles around the leads),
- the land-use overview (PNG) at zoom 10 and 11 (the tiles around the leads, each once when
  drawn, then again from the server's cache),
- ``--pages`` tenure pages in headless Chromium (Debian's ``/usr/bin/chromium`` or
  ``GISAUDIT_CHROMIUM``, via Playwright), timed until every map layer has loaded,
- ``--clients`` concurrent clients for ``--duration`` seconds on a mix of those plus the
  overview and the OGC leads items; every non-2xx answer or transport error counts as an error.

Prints one table (p50/p95/max in ms) and exits 1 when the concurrent run had errors.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "benchmark-密码-2024"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The web-mercator tile (x, y) holding a lon/lat point at zoom ``z``."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def row(name: str, times: list[float], note: str = "") -> str:
    ms = [t * 1000 for t in times]
    return (
        f"| {name} | {len(ms)} | {percentile(ms, 50):.1f} | {percentile(ms, 95):.1f} "
        f"| {max(ms):.1f} | {note} |"
    )


def timed(client: httpx.Client, url: str, **kwargs: Any) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    r = client.get(url, **kwargs)
    elapsed = time.perf_counter() - start
    if r.status_code != 200:
        raise SystemExit(f"{url}: HTTP {r.status_code} {r.text[:300]}")
    return elapsed, r


def prepare(args: argparse.Namespace, work: Path) -> tuple[Path, str]:
    """The package folder and the database URL (with the admin user created)."""
    from gisaudit.storage import make_engine, session_scope, upgrade_database
    from gisaudit.storage.repository import create_user

    package = Path(args.package).resolve() if args.package else None
    if package is None:
        from gisaudit.sample.build import build_sample_package

        t0 = time.perf_counter()
        package = build_sample_package(work / "package", patches=args.patches)
        print(f"sample package of {args.patches} patches built in {time.perf_counter() - t0:.0f} s")
    url = args.database_url or f"sqlite:///{work / 'gisaudit.db'}"
    engine = make_engine(url)
    upgrade_database(engine)
    with session_scope(engine) as session:
        create_user(session, "bench", PASSWORD, "admin", [])
    engine.dispose()
    return package, url


def start_server(work: Path, url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GISAUDIT_DATA_DIR": str(work / "data"),
        "GISAUDIT_DATABASE_URL": url,
        "GISAUDIT_SECRET_KEY": "benchmark-secret-key-0123456789-0123456789",
    }
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    server.terminate()
    raise SystemExit("uvicorn did not start within 60 s")


def populate(client: httpx.Client, package: Path) -> dict[str, Any]:
    """Register and evaluate the package; the ids and lead points the measurements need."""
    t0 = time.perf_counter()
    r = client.post("/api/packages/register", json={"path": str(package)}, timeout=3600)
    if r.status_code != 201:
        raise SystemExit(f"register: HTTP {r.status_code} {r.text[:500]}")
    pid = r.json()["package"]["id"]
    vintages = r.json()["package"]["vintages"]
    print(f"registered (validated) in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    body = {"package_id": pid, "reports": False, "lead_sheets": False}
    r = client.post("/api/evaluations", json=body)
    if r.status_code != 202:
        raise SystemExit(f"evaluate: HTTP {r.status_code} {r.text[:500]}")
    location = r.headers["Location"]
    while True:
        job = client.get(location).json()
        if job.get("state") in ("done", "failed"):
            break
        time.sleep(1)
    if job["state"] != "done":
        raise SystemExit(f"evaluation failed: {job.get('error')}")
    print(f"evaluated in {time.perf_counter() - t0:.0f} s")
    tenures = [t["tenure_id"] for t in client.get(location).json()["tenures"]]
    leads = client.get("/api/leads.geojson", params={"limit": 1000}).json()["features"]
    points, districts = [], []
    for f in leads:
        ring = f["geometry"]["coordinates"]
        while isinstance(ring[0][0], list):
            ring = ring[0]
        points.append((sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)))
        districts.append(str(f["properties"]["district_code"]))
    total = client.get("/api/leads", params={"limit": 0}).json()["total"]
    return {
        "evaluation": job["id"],
        "tenures": tenures,
        "layer": f"landuse-{pid}-{vintages[-1]}",
        "points": points,
        "districts": districts,
        "leads": total,
    }


def sequential(client: httpx.Client, info: dict[str, Any], samples: int) -> list[str]:
    rows = []
    rng = random.Random(1)
    eid = info["evaluation"]
    times = [
        timed(client, f"/api/evaluations/{eid}/tenures/{rng.choice(info['tenures'])}/scorecard")[0]
        for _ in range(samples)
    ]
    rows.append(row("scorecard JSON", times, f"{len(info['tenures'])} tenures"))
    pages = max(1, info["leads"] // 1000)
    times, sizes = [], []
    for _ in range(samples):
        t, r = timed(
            client, "/api/leads", params={"limit": 1000, "offset": rng.randrange(pages) * 1000}
        )
        times.append(t)
        sizes.append(len(r.json()["items"]))
    rows.append(
        row(
            "leads page (limit=1000)",
            times,
            f"{min(sizes)}–{max(sizes)} leads/page, {info['leads']} in all",
        )
    )
    for z in range(12, 17):
        times, sizes = [], []
        for _ in range(samples):
            x, y = tile_of(*rng.choice(info["points"]), z)
            t, r = timed(client, f"/tiles/{info['layer']}/{z}/{x}/{y}.mvt")
            times.append(t)
            sizes.append(len(r.content))
        rows.append(
            row(
                f"land-use tile z{z}", times, f"median {sorted(sizes)[len(sizes) // 2] // 1024} KiB"
            )
        )
    rows += overview_tiles(client, info)
    return rows


def overview_tiles(client: httpx.Client, info: dict[str, Any]) -> list[str]:
    """The land-use overview (PNG, one theme, one district, as the tenure page asks for it) at
    zoom 10 and 11: every distinct tile around the leads once, so each is drawn afresh (the
    server keeps drawn tiles), then the same tiles again (recoloured from that cache)."""
    rows = []
    for z in (10, 11):
        urls = sorted({
            f"/tiles/{info['layer']}/{z}/{x}/{y}.png?theme=farmland&district_code={d}"
            for (x, y), d in ((tile_of(*pt, z), d)
                              for pt, d in zip(info["points"], info["districts"], strict=True))
        })  # fmt: skip
        for label, note in (("first", "drawn"), ("again", "from the server's cache")):
            times, sizes = [], []
            for url in urls:
                t, r = timed(client, url)
                times.append(t)
                sizes.append(len(r.content))
            median = sorted(sizes)[len(sizes) // 2] / 1024
            note_ = f"{len(urls)} tiles, {note}, median {median:.1f} KiB"
            rows.append(row(f"land-use overview PNG z{z} ({label})", times, note_))
    return rows


def page_render(base: str, info: dict[str, Any], pages: int) -> str:
    """The tenure page in headless Chromium: from navigation until every map layer has loaded
    (``document.body.dataset.loading === '0'``, as the browser tests wait). A row saying why
    when Playwright or Chromium is missing."""
    chromium = os.environ.get("GISAUDIT_CHROMIUM", "/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "| tenure page (Chromium) | 0 | — | — | — | 缺失：未安装 playwright |"
    if not Path(chromium).exists():
        return f"| tenure page (Chromium) | 0 | — | — | — | 缺失：没有 {chromium} |"
    times: list[float] = []
    failures: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{base}/login?next=/")
            page.fill("#username", "bench")
            page.fill("#password", PASSWORD)
            page.click("#login-form button[type=submit]")
            page.wait_for_url(f"{base}/")
            page.on("response", lambda r: failures.append(f"{r.url}: HTTP {r.status}")
                    if r.status >= 400 else None)  # fmt: skip
            for tenure in (info["tenures"] * pages)[:pages]:
                start = time.perf_counter()
                try:
                    page.goto(f"{base}/tenures/{tenure}")
                    page.wait_for_function("document.body.dataset.loading === '0'")
                except Exception as exc:  # a failed page is a figure too
                    failures.append(f"/tenures/{tenure}: {type(exc).__name__}")
                times.append(time.perf_counter() - start)
        finally:
            browser.close()
    note = "navigation → every map layer loaded"
    if failures:
        note += f"; {len(failures)} failures (first: {failures[0]})"
    return row("tenure page (Chromium)", times, note)


async def concurrent(
    base: str, headers: dict[str, str], info: dict[str, Any], clients: int, duration: float
) -> tuple[str, int, int]:
    """``clients`` clients in a loop for ``duration`` s; (table row, requests, errors)."""
    eid = info["evaluation"]
    stop = time.monotonic() + duration
    times: list[float] = []
    errors: list[str] = []

    def urls(rng: random.Random) -> str:
        kind = rng.randrange(5)
        if kind == 0:
            return f"/api/evaluations/{eid}/tenures/{rng.choice(info['tenures'])}/scorecard"
        if kind == 1:
            return (
                f"/api/leads?limit=100&offset={rng.randrange(max(1, info['leads'] // 100)) * 100}"
            )
        if kind == 2:
            z = rng.randrange(12, 17)
            x, y = tile_of(*rng.choice(info["points"]), z)
            return f"/tiles/{info['layer']}/{z}/{x}/{y}.mvt"
        if kind == 3:
            return "/api/overview"
        return "/ogc/collections/leads/items?limit=50"

    async def worker(n: int) -> None:
        rng = random.Random(n)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
            while time.monotonic() < stop:
                url = urls(rng)
                start = time.perf_counter()
                try:
                    r = await client.get(url)
                    if r.status_code >= 300:
                        errors.append(f"{url}: HTTP {r.status_code}")
                except httpx.HTTPError as exc:
                    errors.append(f"{url}: {type(exc).__name__}")
                times.append(time.perf_counter() - start)

    await asyncio.gather(*(worker(i) for i in range(clients)))
    note = f"{len(times) / duration:.0f} req/s, {len(errors)} errors"
    if errors:
        note += f" (first: {errors[0]})"
    return row(f"{clients} clients × {duration:.0f} s (mix)", times, note), len(times), len(errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", type=int, default=20000, help="sample package size")
    parser.add_argument("--package", help="an existing package folder instead of a sample")
    parser.add_argument("--database-url", help="an EMPTY database (default: SQLite file)")
    parser.add_argument("--samples", type=int, default=100, help="requests per measurement")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (0: none)")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--pages", type=int, default=10,
                        help="tenure pages rendered in headless Chromium (0: none)")
    args = parser.parse_args(argv)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="gisaudit-api-bench-") as tmp:
        work = Path(tmp)
        package, url = prepare(args, work)
        server = start_server(work, url, port)
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=120) as client:
                token = client.post("/api/token", data={"username": "bench", "password": PASSWORD})
                headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
                client.headers.update(headers)
                info = populate(client, package)
                if not info["points"]:
                    raise SystemExit("the evaluation found no leads: nothing to measure")
                rows = sequential(client, info, args.samples)
            if args.pages:
                rows.append(page_render(base, info, args.pages))
            errors = 0
            if args.clients > 0:
                line, _, errors = asyncio.run(
                    concurrent(base, headers, info, args.clients, args.duration)
                )
                rows.append(line)
        finally:
            server.terminate()
            server.wait(timeout=30)
    backend = url.split(":", 1)[0]
    print(f"\nAPI latency ({backend}, {os.cpu_count()} cores, uvicorn 1 worker, ms)\n")
    print("| measurement | n | p50 | p95 | max | note |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
