"""Which coastline vintage the tenure page draws from the vector tiles."""

from __future__ import annotations

from api.tenure_tiles import coastline_vintages

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
