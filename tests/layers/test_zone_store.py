"""Zone layers from the cache: decoded only near the area asked, the same rows as the layer."""

from __future__ import annotations

import json
import pickle
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from gisaudit.layers.zone_areas import VALID_ATTR, zone_parts
from gisaudit.layers.zone_store import (
    GRID_CELLS,
    StoredZones,
    boxes_near,
    write_zone,
    zone_parts_near,
    zones_near,
)

CRS = "EPSG:4527"
X0, Y0 = 39_500_000.0, 4_300_000.0


def sq(x: float, y: float, w: float) -> shapely.Polygon:
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + w)


def layer() -> gpd.GeoDataFrame:
    """Approvals on a 10 × 10 grid of 10 m squares, dated by row (the last row undated), and
    one L-shaped polygon whose box meets areas its shape does not."""
    squares = [sq(20 * i, 20 * j, 10) for j in range(10) for i in range(10)]
    ell = shapely.Polygon([(X0 - 100, Y0 - 100), (X0 + 300, Y0 - 100), (X0 + 300, Y0 - 90),
                           (X0 - 90, Y0 - 90), (X0 - 90, Y0 + 300), (X0 - 100, Y0 + 300)])
    dates = [date(2015 + j, 6, 1) if j < 9 else None for j in range(10) for _ in range(10)]
    return gpd.GeoDataFrame(
        {"id": [f"A{k}" for k in range(101)], "approval_date": [*dates, date(2016, 1, 1)]},
        geometry=[*squares, ell], crs=CRS,
    )


@pytest.fixture
def stored(tmp_path) -> tuple[gpd.GeoDataFrame, StoredZones]:
    frame = layer()
    write_zone(tmp_path / "zone-approvals.arrow", frame)
    return frame, StoredZones({"approvals": tmp_path / "zone-approvals.arrow"}, frame.crs)


AREAS = [sq(15, 15, 30), sq(-95, 50, 2), sq(500, 500, 10), sq(-50, -50, 40),
         shapely.Polygon([(X0, Y0), (X0 + 200, Y0 + 200), (X0 + 200, Y0)])]


def test_the_whole_layer_comes_back_as_written(stored) -> None:
    frame, zones = stored
    assert list(zones) == ["approvals"] and zones.decoded == []
    back = zones["approvals"]
    assert zones.decoded == ["approvals"] and zones["approvals"] is back  # decoded once
    pd.testing.assert_frame_equal(pd.DataFrame(back.drop(columns="geometry")),
                                  pd.DataFrame(frame.drop(columns="geometry")))
    assert back.geometry.geom_equals_exact(frame.geometry, tolerance=0).all()
    assert back.crs == frame.crs and back.attrs[VALID_ATTR]


@pytest.mark.parametrize("area", AREAS)
def test_near_an_area_gives_the_rows_the_layers_index_gives(stored, area) -> None:
    frame, zones = stored
    got = zones_near(zones, "approvals", area)
    want = zones_near({"approvals": frame}, "approvals", area)
    assert zones.decoded == []  # only the features near the area were decoded
    assert got.index.tolist() == want.index.tolist()
    assert shapely.to_wkb(got.geometry.to_numpy()).tolist() == \
        shapely.to_wkb(want.geometry.to_numpy()).tolist()
    assert got["approval_date"].tolist() == want["approval_date"].tolist()
    assert got.attrs[VALID_ATTR]
    for end in (date(2016, 12, 31), date(2030, 1, 1)):
        parts = zone_parts_near(zones, "approvals", area, end)
        plain = zone_parts(frame, area, "approvals", end)
        assert shapely.to_wkb(parts).tolist() == shapely.to_wkb(plain).tolist()


def test_the_l_shape_is_left_out_where_only_its_box_meets_the_area(stored) -> None:
    _, zones = stored
    assert 100 not in zones_near(zones, "approvals", sq(150, 150, 10)).index
    assert 100 in zones_near(zones, "approvals", sq(-95, 150, 2)).index


def test_once_decoded_the_whole_layer_answers(stored) -> None:
    frame, zones = stored
    _ = zones["approvals"]
    got = zones_near(zones, "approvals", AREAS[0])
    want = zones_near({"approvals": frame}, "approvals", AREAS[0])
    assert got.index.tolist() == want.index.tolist() and len(got) > 0


def test_layers_stay_readable_after_the_cache_drops_the_files(stored, tmp_path) -> None:
    frame, zones = stored
    (tmp_path / "zone-approvals.arrow").unlink()  # e.g. the cache evicted the folder
    assert len(zones_near(zones, "approvals", AREAS[0])) > 0
    assert len(zones["approvals"]) == len(frame)


def test_stored_zones_pickle_by_their_files(stored) -> None:
    frame, zones = stored
    again = pickle.loads(pickle.dumps(zones))
    assert list(again) == ["approvals"] and again.decoded == []
    assert len(again["approvals"]) == len(frame)


def test_an_empty_layer_is_stored_too(tmp_path) -> None:
    empty = gpd.GeoDataFrame({"id": pd.Series(dtype=str)}, geometry=gpd.GeoSeries([]), crs=CRS)
    write_zone(tmp_path / "z.arrow", empty)
    zones = StoredZones({"pbf": tmp_path / "z.arrow"}, empty.crs)
    assert len(zones_near(zones, "pbf", sq(0, 0, 10))) == 0
    assert len(zone_parts_near(zones, "pbf", sq(0, 0, 10), date(2020, 1, 1))) == 0
    assert len(zones["pbf"]) == 0


@pytest.mark.slow
def test_evaluating_a_cached_package_decodes_no_zone_layer_and_matches_a_fresh_load(
    tmp_path,
) -> None:
    from gisaudit.evaluation.parallel import evaluate_tenures
    from gisaudit.indicators import load_indicator_system
    from gisaudit.layers.package import load_package
    from gisaudit.sample.build import build_sample_package
    from web.layers import zone_layer

    root = build_sample_package(tmp_path / "pkg", patches=400, pixel_m=200)
    fresh = load_package(root)  # validated now (and stored in the cache)
    cached = load_package(root)
    assert isinstance(cached.zones, StoredZones) and not isinstance(fresh.zones, StoredZones)
    system = load_indicator_system()
    ids = fresh.tenures["id"].astype(str).tolist()

    def fingerprint(result) -> tuple:
        card = dict(result.scorecard)
        card.pop("generated_at", None)
        leads = result.leads.drop(columns="geometry", errors="ignore")
        return (json.dumps(card, sort_keys=True, default=str),
                result.transitions.to_csv(index=False), leads.to_csv(index=False))

    want = [fingerprint(r) for r in evaluate_tenures(fresh, ids, system, threads=1)]
    got = [fingerprint(r) for r in evaluate_tenures(cached, ids, system, threads=2)]
    assert got == want
    assert sum(len(r[2]) for r in got) > 0 and len(cached.zones) == 3
    assert cached.zones.decoded == []  # evaluation read the zones near each district only
    district = cached.districts.geometry.iloc[0]
    for kind in cached.zones:
        a, b = zone_layer(cached, kind, district), zone_layer(fresh, kind, district)
        assert len(a) == len(b) and a.geometry.geom_equals_exact(b.geometry, 0).all()
    assert cached.zones.decoded == []
    assert len(cached.zones["pbf"]) == len(fresh.zones["pbf"]) > 0


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(0, 30))
def test_boxes_near_never_misses_a_box_that_meets_a_query_box(seed, n_query, spread) -> None:
    """Exact touches included (integer corners): every box whose envelope meets a query
    box's (what an STRtree query gives) is among ``boxes_near``'s, which adds only boxes
    within a grid cell of a query box."""
    rng = np.random.default_rng(seed)

    def random_boxes(n: int, size: int) -> np.ndarray:
        lo = rng.integers(-50, 50 + spread * 10, size=(n, 2)).astype(float)
        return np.hstack([lo, lo + rng.integers(0, size + 1, size=(n, 2))])

    boxes = random_boxes(300, 30)
    boxes[:5] = [-1e6, -1e6, 1e6, 1e6]  # a zone polygon over everything
    query = random_boxes(n_query, 8)
    got = boxes_near(boxes, query)
    want = np.unique(shapely.STRtree(shapely.box(*boxes.T)).query(shapely.box(*query.T))[1])
    assert np.isin(want, got).all()
    assert np.array_equal(got, np.unique(got))
    extent = max(np.ptp(query[:, [0, 2]]), np.ptp(query[:, [1, 3]])) or 1.0
    grown = query + np.array([-1, -1, 1, 1]) * extent / GRID_CELLS * 1.01
    near = np.unique(shapely.STRtree(shapely.box(*boxes.T)).query(shapely.box(*grown.T))[1])
    assert np.isin(got, near).all()


def test_boxes_near_ignores_empty_queries() -> None:
    boxes = np.array([[0.0, 0.0, 1.0, 1.0]])
    assert len(boxes_near(boxes, np.full((2, 4), np.nan))) == 0
    assert boxes_near(boxes, np.array([[1.0, 1.0, 1.0, 1.0]])).tolist() == [0]  # a corner
