"""The command line as an auditor uses it: the real console script in a subprocess."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import make_package, read_manifest, write_manifest

GISAUDIT = [sys.executable, "-m", "gisaudit.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GISAUDIT, *args], capture_output=True, text=True, cwd=cwd, timeout=300, encoding="utf-8"
    )


def test_help_lists_the_commands():
    res = run("--help")
    assert res.returncode == 0
    for cmd in ("sample", "validate", "evaluate", "demo"):
        assert cmd in res.stdout


def test_validate_ok_prints_summary(tmp_path):
    root = make_package(tmp_path)
    res = run("validate", str(root))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "东丽区" in res.stdout and "西青区" in res.stdout
    assert "Traceback" not in res.stdout + res.stderr


def test_validate_broken_package_exits_1_with_every_problem(tmp_path):
    root = make_package(tmp_path)
    m = read_manifest(root)
    m["landuse"].reverse()
    write_manifest(root, m)
    (root / "tenures.csv").write_text(
        "id,district_code,official,position,start,end\nt1,120110,某某,区长,2020-01-01,2019-01-01\n",
        encoding="utf-8",
    )
    res = run("validate", str(root))
    assert res.returncode == 1
    out = res.stdout + res.stderr
    assert "tenures.csv" in out and "package.yaml" in out
    assert "Traceback" not in out


def test_validate_missing_folder(tmp_path):
    res = run("validate", str(tmp_path / "nope"))
    assert res.returncode == 1
    assert "Traceback" not in res.stdout + res.stderr
    assert "package.yaml" in res.stdout + res.stderr


def test_evaluate_requires_a_tenure_choice(tmp_path):
    root = make_package(tmp_path)
    res = run("evaluate", str(root), "--out", str(tmp_path / "out"))
    assert res.returncode == 1
    assert "--all" in res.stdout + res.stderr
    assert not (tmp_path / "out").exists()


def test_evaluate_bad_package_writes_nothing(tmp_path):
    root = make_package(tmp_path)
    shutil.rmtree(root / "landuse")
    out = tmp_path / "out"
    res = run("evaluate", str(root), "--out", str(out), "--all")
    assert res.returncode == 1
    assert "Traceback" not in res.stdout + res.stderr
    assert "landuse" in res.stdout + res.stderr
    assert not out.exists()


@pytest.mark.slow
def test_evaluate_all_on_a_small_package(tmp_path):
    root = make_package(tmp_path)
    out = tmp_path / "out"
    res = run("evaluate", str(root), "--out", str(out), "--all")
    assert res.returncode == 0, res.stdout + res.stderr
    assert (out / "summary.csv").exists()
    tenure_dirs = [p for p in out.iterdir() if p.is_dir()]
    assert tenure_dirs
    for d in tenure_dirs:
        assert (d / "scorecard.json").exists() and (d / "transitions.csv").exists()


def test_evaluate_on_forked_processes_writes_the_same_results(tmp_path):
    root = make_package(tmp_path)
    runs = {}
    for label, extra in (("threads", ["--threads", "1"]), ("processes", ["--processes", "2"])):
        out = tmp_path / label
        res = run("evaluate", str(root), "--out", str(out), "--all", *extra)
        assert res.returncode == 0, res.stdout + res.stderr
        runs[label] = out
    a, b = runs["threads"], runs["processes"]
    assert (a / "summary.csv").read_text("utf-8") == (b / "summary.csv").read_text("utf-8")
    folders = sorted(p.name for p in a.iterdir() if p.is_dir())
    assert folders == sorted(p.name for p in b.iterdir() if p.is_dir()) and folders
    for name in folders:
        assert (a / name / "transitions.csv").read_bytes() == (
            b / name / "transitions.csv"
        ).read_bytes()
        assert sorted(p.name for p in (a / name).iterdir()) == sorted(
            p.name for p in (b / name).iterdir()
        )  # the same files, maps and reports included


def test_bad_indicator_yaml_exits_1_and_writes_nothing(tmp_path):
    root = make_package(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\nversion: '1'\nindicators:\n  - id: a\n    weight: abc\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    res = run("evaluate", str(root), "--out", str(out), "--all", "--indicators", str(bad))
    assert res.returncode == 1
    assert "Traceback" not in res.stdout + res.stderr
    assert "bad.yaml" in res.stdout + res.stderr or "指标体系" in res.stdout + res.stderr
    assert not out.exists()


@pytest.mark.slow
def test_evaluate_db_and_ingest_keep_lead_state(tmp_path, monkeypatch):
    import sqlalchemy as sa

    from gisaudit.storage import make_engine, session_scope
    from gisaudit.storage.repository import change_lead_state, list_leads

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("GISAUDIT_DATABASE_URL", url)
    root = make_package(tmp_path)
    res = run("evaluate", str(root), "--out", str(tmp_path / "out"), "--all", "--db")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "已存入数据库" in res.stdout
    engine = make_engine(url)
    with session_scope(engine) as s:
        page = list_leads(s, limit=100)
        assert page.total > 0
        lead = page.items[0]
        lead_id = lead.id
        change_lead_state(
            s, lead_id, "核实中", user="张审计", expected_version=lead.version, note="已派外业"
        )
    res = run("ingest", str(root), "--out", str(tmp_path / "out2"))
    assert res.returncode == 0, res.stdout + res.stderr
    with session_scope(engine) as s:
        assert s.execute(sa.text("select count(*) from evaluations")).scalar() == 2
        again = next(x for x in list_leads(s, limit=100).items if x.id == lead_id)
        assert again.state == "核实中"
