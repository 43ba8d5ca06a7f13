"""The benchmark's one command (``python -m benchmarks.run``), run for real on a small package:
it builds the package when missing, runs gisaudit and the baselines each in its own process,
and writes the table the README records."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.databases import POSTGIS_ENV, fresh_postgis_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def postgis_url() -> Iterator[str | None]:
    """A fresh PostGIS database for the baseline, or None without a server to test against."""
    if not os.environ.get(POSTGIS_ENV):
        yield None
        return
    for url in fresh_postgis_database():
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
        engine.dispose()
        yield url


def _rows(table: str) -> dict[str, list[str]]:
    """The Markdown table's rows by label (first cell), as lists of cells."""
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and not set(cells[0]) <= {"-"} and cells[0] != "method":
            rows[cells[0]] = cells
    return rows


@pytest.mark.slow
def test_one_command_builds_the_package_and_compares_the_methods(
    tmp_path: Path, postgis_url: str | None
) -> None:
    package, work = tmp_path / "package", tmp_path / "work"
    methods = "geopandas,raster" + (",postgis" if postgis_url else "")
    args = [sys.executable, "-m", "benchmarks.run", "--package", str(package),
            "--patches", "3000", "--work", str(work), "--methods", methods,
            "--full-baselines", "--repeat", "1", "--timeout", "600"]
    if postgis_url:
        args += ["--postgis-url", postgis_url]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    assert (package / "package.yaml").is_file()  # built because it was missing
    table = (work / "results.md").read_text("utf-8")
    assert table.strip() in done.stdout  # what it prints is what it keeps
    assert "样例数据包生成" in table
    rows = _rows(table)
    expected = {"validate-subset", "validate-full", "gisaudit-subset", "gisaudit-full",
                "gisaudit-all-tenures", "geopandas-subset", "geopandas-full", "raster-subset",
                "raster-full"}
    if postgis_url:
        expected |= {"postgis-subset", "postgis-full"}
    assert expected <= set(rows), sorted(rows)
    # columns: method, scope, wall s, CPU s, peak RSS, peak private, ratio, agreement, notes
    for label, districts in (("gisaudit-subset", 2), ("gisaudit-full", 10)):
        assert rows[label][6] == "1.0×"
        assert float(rows[label][2]) > 0
        assert rows[label][1].startswith(f"{districts} 区")
        assert f"{districts} 任期" in rows[label][8]  # one tenure per district
    exact = [m for m in ("geopandas", "postgis") if f"{m}-full" in rows]
    for method in exact:
        for scope in ("subset", "full"):
            row = rows[f"{method}-{scope}"]
            assert re.fullmatch(r"\d+\.\d×", row[6]), row
            cell, total = map(float, re.findall(r"([\d.]+) %", row[7]))
            assert cell < 0.001 and total < 0.001, row  # the 0.001 %
    if postgis_url:
        assert "ratio on query" in rows["postgis-full"][8]  # load excluded
    # the raster count is the approximate one: it is compared, not required to agree
    assert re.search(r"max cell [\d.]+ %", rows["raster-full"][7])
