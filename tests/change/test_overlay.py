import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from gisaudit.change.overlay import (
    clip_to_district,
    overlay_district,
    overlay_tessellations,
    polygonal,
)
from tests.change.squares import CELL, EPSG, X0, Y0, cell, cells, frame_of, landuse

HA = 10_000.0


def _pieces(start, end, district=None):
    district = district if district is not None else shapely.union_all(start.geometry.to_numpy())
    return overlay_district(start, end, district, EPSG)


def test_identical_patches_are_matched_without_overlay():
    grid = {(c, r): "0101" for c in range(3) for r in range(2)}
    start = landuse(grid, "a")
    end = landuse({**grid, (2, 1): "0702"}, "b")
    pieces = _pieces(start, end)
    assert len(pieces) == 6  # one piece per patch: nothing was cut
    changed = pieces[pieces["from_code"] != pieces["to_code"]]
    assert list(changed["to_code"]) == ["0702"]
    assert changed["area_m2"].iloc[0] == pytest.approx(HA, rel=1e-6)
    assert pieces["area_m2"].sum() == pytest.approx(6 * HA, rel=1e-6)


def test_identical_geometry_with_other_vertex_order_still_matches():
    start = frame_of([cell(0, 0)], bsm=["1"], code=["0101"], kcxs=[0.0])
    ring = shapely.get_coordinates(cell(0, 0))[:-1][::-1]
    rotated = shapely.Polygon(np.roll(ring, 1, axis=0))
    end = frame_of([rotated], bsm=["2"], code=["0102"], kcxs=[0.0])
    pieces = _pieces(start, end)
    assert len(pieces) == 1
    assert (pieces["from_bsm"].iloc[0], pieces["to_bsm"].iloc[0]) == ("1", "2")


def test_changed_patch_is_split_by_the_other_tessellation():
    # start: one 200 m x 100 m patch; end: two 1-ha cells of different classes
    start = frame_of([cells((0, 0), (1, 0))], bsm=["s"], code=["0101"], kcxs=[0.1])
    end = landuse({(0, 0): "0702", (1, 0): ("0102", 0.2)}, "e")
    pieces = _pieces(start, end).sort_values("to_code")
    assert list(pieces["to_code"]) == ["0102", "0702"]
    assert list(pieces["kcxs_from"]) == [0.1, 0.1]
    assert list(pieces["kcxs_to"]) == [0.2, 0.0]
    assert pieces["area_m2"].to_numpy() == pytest.approx([HA, HA], rel=1e-6)


def test_patches_are_clipped_to_the_district():
    start = landuse({(0, 0): "0101", (1, 0): "0301"}, "a")
    district = shapely.box(X0, Y0, X0 + 150, Y0 + CELL)  # all of (0,0), half of (1,0)
    clipped = clip_to_district(start, district)
    assert clipped.geometry.area.to_numpy() == pytest.approx([CELL * CELL, CELL * CELL / 2])
    pieces = overlay_district(start, start, district, EPSG)
    assert pieces["area_m2"].sum() == pytest.approx(1.5 * HA, rel=1e-6)


def test_slivers_are_kept_and_area_is_conserved():
    # the end tessellation's inner edge is off by 1 µm: the overlay makes thin slivers
    start = landuse({(0, 0): "0101", (1, 0): "0301"}, "a")
    eps = 1e-6
    mid = X0 + CELL + eps
    end = frame_of(
        [shapely.box(X0, Y0, mid, Y0 + CELL), shapely.box(mid, Y0, X0 + 2 * CELL, Y0 + CELL)],
        bsm=["x", "y"],
        code=["0702", "0301"],
        kcxs=[0.0, 0.0],
    )
    pieces = _pieces(start, end)
    sliver = pieces[(pieces["from_code"] == "0301") & (pieces["to_code"] == "0702")]
    assert len(sliver) == 1 and 0 < sliver["area_m2"].iloc[0] < 1e-3
    assert pieces["area_m2"].sum() == pytest.approx(2 * HA, rel=1e-9)


def test_polygonal_keeps_only_areas():
    gc = shapely.GeometryCollection([cell(0, 0), shapely.LineString([(0, 0), (1, 1)])])
    out = polygonal(np.array([gc, shapely.Point(0, 0), cell(1, 0)], dtype=object))
    assert out[0].area == pytest.approx(CELL * CELL)
    assert out[0].geom_type in ("Polygon", "MultiPolygon")
    assert out[1].is_empty
    assert out[2].equals(cell(1, 0))


def test_touching_patches_give_no_line_pieces():
    start = landuse({(0, 0): "0101"}, "a")
    end = landuse({(0, 0): "0702"}, "b")
    # end also has a neighbour outside the district that touches the edge
    end = gpd.GeoDataFrame(
        {
            "bsm": ["b1", "b2"],
            "code": ["0702", "0301"],
            "kcxs": [0.0, 0.0],
        },
        geometry=[cell(0, 0).buffer(0), cell(1, 0)],
        crs=EPSG,
    )
    pieces = overlay_district(start, end, cell(0, 0), EPSG)
    assert set(shapely.get_type_id(pieces.geometry.to_numpy())) <= {3, 6}
    assert pieces["area_m2"].sum() == pytest.approx(HA, rel=1e-6)


# -- independent check: geopandas.overlay + pyproj.Geod, not the engine ------------------------


def _independent_matrix(start, end):
    inter = gpd.overlay(
        start.rename(columns={"code": "c1"})[["c1", "geometry"]],
        end.rename(columns={"code": "c2"})[["c2", "geometry"]],
        how="intersection",
        keep_geom_type=True,
    )
    geod = Geod(ellps="GRS80")
    ll = inter.to_crs("EPSG:4490")
    areas = [abs(geod.geometry_area_perimeter(g)[0]) for g in ll.geometry]
    inter["area"] = areas
    return inter.groupby(["c1", "c2"])["area"].sum()


@st.composite
def _tessellations(draw):
    """A start grid of 100 m cells and an end grid of 50 m x 150 m cells (misaligned)."""
    codes = st.sampled_from(["0101", "0301", "0702", "1101", "1105"])
    start_cells = {(c, r): draw(codes) for c in range(3) for r in range(3)}
    start = landuse(start_cells, "s")
    geoms, end_codes = [], []
    for c in range(6):
        for r in range(2):
            geoms.append(
                shapely.box(X0 + 50 * c, Y0 + 150 * r, X0 + 50 * (c + 1), Y0 + 150 * (r + 1))
            )
            end_codes.append(draw(codes))
    end = frame_of(geoms, bsm=[str(i) for i in range(12)], code=end_codes, kcxs=[0.0] * 12)
    return start, end


@settings(max_examples=15, deadline=None)
@given(_tessellations())
def test_overlay_agrees_with_geopandas_and_geod(pair):
    start, end = pair
    pieces = overlay_tessellations(
        clip_to_district(start, shapely.box(X0, Y0, X0 + 300, Y0 + 300)),
        clip_to_district(end, shapely.box(X0, Y0, X0 + 300, Y0 + 300)),
        EPSG,
    )
    mine = pieces.groupby(["from_code", "to_code"])["area_m2"].sum()
    ref = _independent_matrix(start, end)
    assert set(mine.index) == set(ref.index)
    for key, value in ref.items():
        assert mine[key] == pytest.approx(value, rel=1e-5)
    assert mine.sum() == pytest.approx(ref.sum(), rel=1e-5)
