import json
from importlib import resources

import jsonschema
import pandas as pd
import pytest

from gisaudit.errors import ConfigError, InputError
from gisaudit.evaluation import DEFAULT_WRITERS, evaluate_package, scorecard_schema
from gisaudit.layers.package import load_package
from tests.evaluation.test_evaluate import TENURES
from tests.factories import make_package
from tests.indicators import scenario


def _validate(path):
    card = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(
        scorecard_schema(), format_checker=jsonschema.FormatChecker()
    ).validate(card)
    return card


def test_writes_scorecards_transitions_and_summary(tmp_path):
    pkg = scenario.make(tenures=TENURES)
    seen = []
    results = evaluate_package(pkg, tmp_path / "out", progress=lambda m, d, t: seen.append((d, t)))
    assert [r.tenure_id for r in results] == ["T1", "T2"]
    for tid in ("T1", "T2"):
        card = _validate(tmp_path / "out" / tid / "scorecard.json")
        assert card["tenure"]["id"] == tid
        tr = pd.read_csv(tmp_path / "out" / tid / "transitions.csv")
        assert list(tr.columns) == ["from_group", "to_group", "area_ha"]
        assert tr["area_ha"].sum() == pytest.approx(20.0, rel=1e-5)
        # every output of spec section 9 (reports and leads through the standard writers)
        for name in (
            "scorecard.xlsx",
            "report.html",
            "report.pdf",
            "leads.geojson",
            "leads.gpkg",
            "checklist.xlsx",
        ):
            assert (tmp_path / "out" / tid / name).stat().st_size > 0, name
        fc = json.loads((tmp_path / "out" / tid / "leads.geojson").read_text("utf-8"))
        assert len(fc["features"]) == card["leads"]["count"] > 0
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", encoding="utf-8-sig", dtype=str)
    assert list(summary.columns) == [
        "tenure_id", "district_code", "district_name", "official", "position",
        "start_vintage", "end_vintage", "total_score", "grade", "vetoes",
    ]  # fmt: skip
    row = summary.iloc[0]
    assert (row.tenure_id, row.district_code, row.district_name, row.official) == (
        "T1", "120110", "东丽区", "张三",
    )  # fmt: skip
    assert float(row.total_score) == pytest.approx(scenario.TOTAL, abs=0.01)
    assert (row.grade, row.vetoes) == ("差", "pbf_loss_area;redline_new_construction")
    assert seen[-1] == (2, 2)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # temp folder gone


def test_a_failure_writes_nothing(tmp_path):
    pkg = scenario.make(tenures=TENURES)

    def broken(result, folder):
        if result.tenure_id == "T2":
            raise RuntimeError("boom")
        (folder / "x.txt").write_text("x")

    with pytest.raises(RuntimeError):
        evaluate_package(pkg, tmp_path / "out", writers=[*DEFAULT_WRITERS, broken])
    assert list(tmp_path.iterdir()) == []


def test_unknown_tenure_writes_nothing(tmp_path):
    pkg = scenario.make(tenures=TENURES)
    with pytest.raises(InputError, match="T9"):
        evaluate_package(pkg, tmp_path / "out", tenure_ids=["T1", "T9"], writers=DEFAULT_WRITERS)
    assert list(tmp_path.iterdir()) == []


def test_rerun_replaces_tenure_folders_and_keeps_other_files(tmp_path):
    pkg = scenario.make(tenures=TENURES)
    out = tmp_path / "out"
    evaluate_package(pkg, out, tenure_ids=["T1"], writers=DEFAULT_WRITERS)
    (out / "T1" / "stale.txt").write_text("old")
    (out / "notes.txt").write_text("mine")
    evaluate_package(pkg, out, tenure_ids=["T1"], writers=DEFAULT_WRITERS)
    assert not (out / "T1" / "stale.txt").exists()
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "T1" / "scorecard.json").exists()


def test_custom_indicator_file_is_used_and_checked(tmp_path):
    text = resources.files("gisaudit.rules").joinpath("tianjin-2025.yaml").read_text("utf-8")
    mine = tmp_path / "mine.yaml"
    mine.write_text(text.replace('version: "2025.1"', 'version: "自定义-1"'), encoding="utf-8")
    pkg = scenario.make(tenures=TENURES)
    evaluate_package(
        pkg, tmp_path / "out", tenure_ids=["T1"], indicators=mine, writers=DEFAULT_WRITERS
    )
    card = _validate(tmp_path / "out" / "T1" / "scorecard.json")
    assert card["indicator_system"]["version"] == "自定义-1"
    mine.write_text(text.replace("weight: 12", "weight: lots"), encoding="utf-8")
    with pytest.raises(ConfigError, match="weight"):
        evaluate_package(pkg, tmp_path / "out2", indicators=mine, writers=DEFAULT_WRITERS)
    assert not (tmp_path / "out2").exists()


def test_tenure_id_that_is_not_a_folder_name(tmp_path):
    bad = [{**TENURES[0], "id": "a/b"}]
    with pytest.raises(InputError, match="a/b"):
        evaluate_package(scenario.make(tenures=bad), tmp_path / "out", writers=DEFAULT_WRITERS)


# -- end to end through real files: factories + loader -----------------------------------------


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = make_package(tmp_path_factory.mktemp("pkg"), kcxs=0.1)
    return load_package(root)


def test_end_to_end_through_the_loader(loaded, tmp_path):
    results = evaluate_package(loaded, tmp_path / "out", tenure_ids=None, writers=DEFAULT_WRITERS)
    assert len(results) == 4
    card = _validate(tmp_path / "out" / "T120110a" / "scorecard.json")
    ind = {e["id"]: e for e in card["indicators"]}
    # district 120110: four 100-ha patches; patch 0 (0101, KCXS 0.1) -> 0702; in pbf; an
    # approval covers the inner 800 m x 800 m (64 ha) of it
    assert card["district"]["area_ha"] == pytest.approx(400, rel=1e-6)
    assert card["areas"]["start"]["farmland"] == pytest.approx(90, rel=1e-6)
    assert ind["pbf_loss_area"]["value"] == pytest.approx(90, rel=1e-6)
    assert ind["farmland_to_construction_unapproved"]["value"] == pytest.approx(0.9 * 36, rel=1e-6)
    assert ind["farmland_target_attainment"]["target"] == 100
    assert ind["farmland_retention"]["value"] == 0
    assert "pbf_loss_area" in card["vetoes"]
    transitions = {(t["from"], t["to"]): t["area_ha"] for t in card["transitions"]}
    assert transitions[("farmland", "built")] == pytest.approx(90, rel=1e-6)
    assert transitions[("other", "built")] == pytest.approx(10, rel=1e-6)  # the ridges
    other = _validate(tmp_path / "out" / "T120111a" / "scorecard.json")
    assert other["coastline_km"]["end"]["natural"] == pytest.approx(1.0, rel=1e-6)
    assert other["coastline_km"]["end"]["artificial"] == pytest.approx(1.0, rel=1e-6)
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", encoding="utf-8-sig", dtype=str)
    assert list(summary["tenure_id"]) == ["T120110a", "T120110b", "T120111a", "T120111b"]


def test_raster_check_where_land_cover_exists(tmp_path):
    from gisaudit.evaluation import EvaluationCache, evaluate_tenure
    from gisaudit.indicators import load_indicator_system

    pkg = load_package(make_package(tmp_path, rasters=True, zones=False, coastline=False))
    r = evaluate_tenure(pkg, "T120110a", load_indicator_system(), cache=EvaluationCache())
    cmp = r.extras["raster_comparison"]
    # the factory's land cover is all 0101 (value 1): 400 ha farmland -> farmland
    cells = cmp.cells.set_index(["from_group", "to_group"])
    assert cells.loc[("farmland", "farmland"), "raster_ha"] == pytest.approx(400, rel=1e-6)
    assert cells.loc[("farmland", "built"), "vector_ha"] == pytest.approx(100, rel=1e-6)
    assert cmp.total_abs_diff_ha == pytest.approx(800, rel=1e-6)
    assert cmp.total_abs_diff_pct == pytest.approx(200, rel=1e-6)
    notes = r.scorecard["vintages"]["notes"]
    assert any("土地覆盖栅格路径核对" in n and "800.00 公顷" in n for n in notes)


def test_a_written_tenure_no_longer_holds_its_decoded_patches(tmp_path):
    # a run over many tenures must not keep every district's patches decoded (at survey size
    # that is hundreds of MB a tenure): once a tenure's outputs are written they are dropped
    pkg = scenario.make(tenures=TENURES)
    held = []

    def map_writer(result, folder):
        start = result.landuse("start")
        assert result.landuse("start") is start  # decoded once while the outputs are written
        held.append(len(result._decoded))

    results = evaluate_package(pkg, tmp_path / "out", writers=(map_writer,))
    assert held == [1, 1]
    for r in results:
        assert r._decoded == {} and "changeset" not in r.extras
        assert "selection" in r.extras
        assert len(r.landuse("end")) == 20  # still there when asked again
