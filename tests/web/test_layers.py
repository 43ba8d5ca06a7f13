"""Map layers of a tenure, from the real pipeline on a small factory package."""

from __future__ import annotations

import json

import pytest

from gisaudit.evaluation import evaluate_tenure
from gisaudit.indicators.config import load_indicator_system
from gisaudit.layers.classes import default_class_table
from gisaudit.layers.package import load_package
from tests.factories import make_package
from web.layers import (
    ALWAYS_WRITTEN,
    map_layer_path,
    read_map_index,
    unwritten_map_layers,
    write_map_layers,
)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = make_package(tmp_path_factory.mktemp("pkg"))
    package = load_package(root)
    tid = str(package.tenures["id"].iloc[0])
    result = evaluate_tenure(package, tid, load_indicator_system(None))
    folder = tmp_path_factory.mktemp("out")
    write_map_layers(result, folder, package)
    return folder, result


def test_index_lists_every_layer_with_counts(written):
    folder, result = written
    index = read_map_index(folder)
    assert {"district", "start_farmland", "end_farmland", "changes"} <= set(index)
    assert any(k.startswith("zone_") for k in index)
    assert index["changes"]["features"] == len(result.changes) > 0
    for name, entry in index.items():
        data = json.loads(map_layer_path(folder, name).read_text("utf-8"))
        assert len(data["features"]) == entry["features"]


def test_layers_are_lonlat_and_in_their_theme(written):
    folder, _ = written
    table = default_class_table()
    data = json.loads(map_layer_path(folder, "start_farmland").read_text("utf-8"))
    assert data["features"]
    for f in data["features"]:
        assert table.base(f["properties"]["code"]) in table.theme_codes("farmland")
        assert f["properties"]["name"]
    west, south, east, north = read_map_index(folder)["district"]["bounds"]
    assert 116 < west < east < 119 and 38 < south < north < 41


def test_unsafe_layer_names_are_refused(written):
    folder, _ = written
    assert map_layer_path(folder, "../index") is None
    assert map_layer_path(folder, "nothing_here") is None


def test_layers_with_too_many_features_are_listed_but_left_to_the_tiles(tmp_path):
    root = make_package(tmp_path / "pkg")
    package = load_package(root)
    tid = str(package.tenures["id"].iloc[0])
    result = evaluate_tenure(package, tid, load_indicator_system(None))
    full = tmp_path / "full"
    write_map_layers(result, full, package, max_features=None)
    counts = {k: v["features"] for k, v in read_map_index(full).items()}
    limit = 0  # the factory package is tiny: every non-empty layer is "too large"
    write_map_layers(result, tmp_path / "capped", package, max_features=limit)
    written = read_map_index(tmp_path / "capped")
    left = unwritten_map_layers(tmp_path / "capped")
    assert left == {k: n for k, n in counts.items() if n > limit and k not in ALWAYS_WRITTEN}
    assert "start_farmland" in left
    assert set(written) | set(left) == set(counts) and not set(written) & set(left)
    assert {"district", "changes"} <= set(written)  # always written, however large
    for name in left:
        assert map_layer_path(tmp_path / "capped", name) is None
    for name in written:
        assert map_layer_path(tmp_path / "capped", name) is not None
