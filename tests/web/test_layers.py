"""Map layers of a tenure, from the real pipeline on a small factory package."""

from __future__ import annotations

import json

import pytest

from gisaudit.evaluation import evaluate_tenure
from gisaudit.indicators.config import load_indicator_system
from gisaudit.layers.classes import default_class_table
from gisaudit.layers.package import load_package
from tests.factories import make_package
from web.layers import map_layer_path, read_map_index, write_map_layers


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
