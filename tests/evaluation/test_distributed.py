"""Evaluation on a local 2-process Dask cluster gives exactly the in-process outputs."""

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from gisaudit.errors import ConfigError, InputError
from gisaudit.evaluation import DEFAULT_WRITERS, distributed, evaluate_package
from gisaudit.evaluation.distributed import evaluate_distributed
from gisaudit.evaluation.processes import DistrictLanduse
from gisaudit.layers.package import load_package
from gisaudit.sample import build_sample_package

DISTRICTS = ["120110", "120116"]  # two tasks; 滨海新区 has the coast and tidal flats



@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dist") / "package"
    return build_sample_package(root, patches=6000, pixel_m=1000.0)  # 10 districts, 10 tasks


@pytest.fixture(scope="module")
def cluster_client():
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                           dashboard_address=":0")
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def _outputs(folder: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for tid in sorted(p.name for p in folder.iterdir() if p.is_dir()):
        out[f"{tid}/scorecard"] = json.loads((folder / tid / "scorecard.json").read_text("utf-8"))
        out[f"{tid}/transitions"] = (folder / tid / "transitions.csv").read_text("utf-8")
    out["summary"] = (folder / "summary.csv").read_text("utf-8-sig")
    return out


@pytest.mark.slow
def test_two_process_cluster_matches_in_process_run(package, cluster_client, tmp_path):
    tenures = pd.read_csv(package / "tenures.csv", dtype=str)
    ids = tenures.loc[tenures["district_code"].isin(DISTRICTS), "id"].tolist()
    local = evaluate_package(load_package(package), tmp_path / "local", ids,
                             writers=DEFAULT_WRITERS)
    seen = []
    remote = evaluate_distributed(
        package, tmp_path / "dask", ids, client=cluster_client, standard_outputs=False,
        progress=lambda m, d, t: seen.append((d, t)),
    )
    assert [r.tenure_id for r in remote] == ids == [r.tenure_id for r in local]
    assert {r.district_code for r in remote} == set(DISTRICTS)
    # the work really ran on two worker processes, not in this one
    assert len(cluster_client.scheduler_info()["workers"]) == 2
    assert _outputs(tmp_path / "dask") == _outputs(tmp_path / "local")
    for a, b in zip(local, remote, strict=True):
        pd.testing.assert_frame_equal(a.transitions, b.transitions)
        assert a.scorecard == b.scorecard
        assert len(a.leads) == len(b.leads)
    # the district's patches did not travel back; a map asking for them gets them here
    first = remote[0]
    assert isinstance(first.start_landuse, DistrictLanduse) and first.extras == {}
    here, there = local[0].landuse("end"), first.landuse("end")
    assert here["code"].tolist() == there["code"].tolist()
    assert here.geometry.geom_equals_exact(there.geometry, 0).all()
    assert seen[-1] == (len(ids), len(ids))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # temp folder gone


@pytest.mark.slow
def test_selected_tenures_and_unknown_tenure(package, cluster_client, tmp_path):
    tenures = pd.read_csv(package / "tenures.csv", dtype=str)
    first = tenures["id"].iloc[0]
    results = evaluate_distributed(package, tmp_path / "one", [first], client=cluster_client,
                                   standard_outputs=False)
    assert [r.tenure_id for r in results] == [first]
    assert (tmp_path / "one" / first / "scorecard.json").is_file()
    with pytest.raises(InputError, match="没有编号为 nope 的任期"):
        evaluate_distributed(package, tmp_path / "bad", ["nope"], client=cluster_client)
    assert not (tmp_path / "bad").exists()


@pytest.mark.slow
def test_cli_workers_option(package, tmp_path):
    pytest.importorskip("dask.distributed")
    from typer.testing import CliRunner

    from gisaudit.cli import app

    ids = pd.read_csv(package / "tenures.csv", dtype=str)["id"].tolist()[:2]
    args = ["evaluate", str(package), "--out", str(tmp_path / "cli"), "--workers", "2"]
    result = CliRunner().invoke(app, [*args, "--tenure", ids[0], "--tenure", ids[1]])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "cli" / "summary.csv", encoding="utf-8-sig", dtype=str)
    assert summary["tenure_id"].tolist() == ids
    for tid in ids:  # the standard writers ran on the workers: reports and leads are there
        for name in ("scorecard.json", "transitions.csv", "leads.geojson", "report.html"):
            assert (tmp_path / "cli" / tid / name).stat().st_size > 0, name


def test_without_dask_the_error_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if absent
    with pytest.raises(ConfigError, match=r"pip install 'gisaudit\[distributed\]'"):
        distributed._dask()
