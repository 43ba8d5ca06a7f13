"""Which coastline vintage the tenure page draws from the vector tiles."""

from __future__ import annotations

from api.tenure_tiles import coastline_vintages, tiles_note

COASTS = ["2018-12-31", "2020-12-31", "2023-12-31"]


def test_coastline_vintage_is_the_latest_on_or_before_each_land_use_vintage():
    got = coastline_vintages(COASTS, {"start": "2019-12-31", "end": "2023-12-31"})
    assert got == {"start": "2018-12-31", "end": "2023-12-31"}
    got = coastline_vintages(COASTS, {"start": "2020-12-31", "end": "2022-12-31"})
    assert got == {"start": "2020-12-31", "end": "2020-12-31"}


def test_coastline_vintage_before_the_first_is_the_earliest():
    got = coastline_vintages(COASTS, {"start": "2015-12-31", "end": "2019-06-30"})
    assert got == {"start": "2018-12-31", "end": "2018-12-31"}


def test_no_coastline_or_no_vintages_draws_none():
    assert coastline_vintages([], {"start": "2018-12-31", "end": "2023-12-31"}) == {}
    assert coastline_vintages(COASTS, {"start": "2018-12-31"}) == {}
    assert coastline_vintages(COASTS, {}) == {}


def test_note_names_large_layers_that_neither_tiles_nor_files_can_draw():
    layers = {"district": {}, "changes": {}}
    unwritten = {"start_farmland": 58_000, "end_farmland": 57_000, "zone_pbf": 25_000}
    stored = tiles_note(
        {"start_farmland": {}, "end_farmland": {}, "zone_pbf": {}}, layers, unwritten
    )
    assert "要素过多" not in stored  # the stored package's tiles draw them
    gone = tiles_note({"district": {}}, layers, unwritten)
    assert "要素过多" in gone and "耕地" in gone and "永久基本农田" in gone
    assert "请重新登记该资料包" in gone
