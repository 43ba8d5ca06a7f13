"""Fixtures of the report tests (the TenureResult itself is built in builders.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gisaudit.evaluation.result import TenureResult
from tests.reports.builders import make_result


@pytest.fixture(scope="session")
def tenure_result() -> TenureResult:
    return make_result()


@pytest.fixture(scope="session")
def schema() -> dict:
    path = Path(__file__).parent / "data" / "scorecard.schema.json"
    return json.loads(path.read_text("utf-8"))


@pytest.fixture(scope="session")
def report_dir(tenure_result: TenureResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three reports of the fixture tenure, written once for the session."""
    from gisaudit.reports import write_tenure_reports

    out = tmp_path_factory.mktemp("tenure") / "120112-2018-zhang"
    paths = write_tenure_reports(tenure_result, out)
    assert [p.name for p in paths] == ["scorecard.xlsx", "report.html", "report.pdf"]
    return out
