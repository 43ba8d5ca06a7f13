"""Coastline-loss leads: start natural coast farther than 30 m from any natural coast at the end."""

from datetime import date

import pytest

from gisaudit.geodesy import geodesic_length_m

from .conftest import END, PKG_CRS, START, changes, coast, line, package, run

NAT, ART = "淤泥质岸线", "人工岸线"


def coast_leads(*vintages):
    leads = run(changes(), package(coastline=vintages))
    return leads[leads["rule"] == "natural_coastline_loss"], leads


def length(geom):
    return float(geodesic_length_m([geom], PKG_CRS)[0])


def test_natural_coast_turned_artificial_is_one_lead():
    start = coast(START, (line((0, 0), (300, 0)), NAT))
    end = coast(END, (line((0, 0), (100, 0)), NAT), (line((100, 0), (300, 0)), ART))
    leads, _ = coast_leads(start, end)
    assert len(leads) == 1
    lead = leads.iloc[0]
    # lost: from 130 m (30 m past the end of the remaining natural line) to 300 m
    expected = length(line((130, 0), (300, 0)))
    assert lead["length_m"] == pytest.approx(expected, abs=0.05)
    assert lead["from_codes"] == {NAT: pytest.approx(expected, abs=0.05)}
    assert list(lead["to_codes"]) == [ART]
    assert lead["to_codes"][ART] == pytest.approx(length(line((100, 0), (300, 0))), abs=0.5)
    assert lead["area_m2"] != lead["area_m2"]  # NaN: lines have no area
    assert lead["severity"] == "high" and lead["change_vintage"] == END.isoformat()
    assert lead.geometry.geom_type == "LineString"


@pytest.mark.parametrize(("shift", "n"), [(20.0, 0), (40.0, 1)])
def test_a_coast_that_moved_within_30_m_is_not_lost(shift, n):
    start = coast(START, (line((0, 0), (300, 0)), NAT))
    end = coast(END, (line((0, shift), (300, shift)), "砂质岸线"))
    leads, _ = coast_leads(start, end)
    assert len(leads) == n
    if n:
        assert leads["length_m"].iloc[0] == pytest.approx(length(line((0, 0), (300, 0))), abs=0.05)
        assert leads["to_codes"].iloc[0] == {}  # nothing within 30 m: the coast moved away


def test_short_losses_are_dropped_and_touching_ones_merge():
    start = coast(START, (line((0, 0), (200, 0)), NAT), (line((200, 0), (300, 0)), "生物岸线"),
                  (line((1000, 0), (1200, 0)), NAT))  # fmt: skip
    # first stretch: all but 0..110 lost (= 110..300 across two start segments, one lead);
    # second: only 40 m lost (< 50 m)
    end = coast(END, (line((0, 0), (80, 0)), NAT), (line((1000, 0), (1130, 0)), NAT))
    leads, _ = coast_leads(start, end)
    assert len(leads) == 1
    lead = leads.iloc[0]
    assert set(lead["from_codes"]) == {NAT, "生物岸线"}
    assert lead["length_m"] == pytest.approx(length(line((110, 0), (300, 0))), abs=0.05)


def test_change_is_dated_by_the_first_coastline_vintage_showing_it():
    start = coast(START, (line((0, 0), (300, 0)), NAT))
    mid = coast(date(2020, 12, 31), (line((0, 0), (50, 0)), NAT))
    end = coast(END, (line((0, 0), (50, 0)), NAT))
    leads, _ = coast_leads(start, mid, end)
    assert list(leads["change_vintage"]) == ["2020-12-31"]


def test_one_coastline_vintage_gives_no_lead_and_a_note():
    leads, everything = coast_leads(coast(START, (line((0, 0), (300, 0)), NAT)))
    assert len(leads) == 0
    assert any("海岸线" in n for n in everything.attrs["notes"])


def test_coast_far_from_the_district_is_ignored():
    start = coast(START, (line((30_000, 0), (30_300, 0)), NAT))
    end = coast(END, (line((30_000, 0), (30_100, 0)), ART))
    leads, _ = coast_leads(start, end)
    assert len(leads) == 0
