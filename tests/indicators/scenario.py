"""A 5 × 4 grid of 1-ha cells (20 ha) whose every indicator can be computed by hand.

Cell (col, row): start code -> end code. Zones: pbf = (0,0),(1,0),(2,0); redline =
(4,2),(2,3); approvals: (3,0) approved 2020-05-01, (1,0) approved 2024-06-01 (after the end
vintage, so it does not count).
"""

from __future__ import annotations

from datetime import date

import shapely

from tests.change.squares import X0, Y0, cell, cells, coast, frame_of, package

START, END = date(2018, 12, 31), date(2023, 12, 31)
CHANGES = {
    (0, 0): ("0101", "0101"),
    (1, 0): ("0101", "0702"),  # farmland -> built, in pbf, approval too late
    (2, 0): ("0102", "0201"),  # farmland -> garden (非粮化), in pbf
    (3, 0): ("0103", "0601"),  # farmland -> built, approved
    (4, 0): ("0103", "1104"),  # farmland -> pond (非粮化, water)
    (0, 1): ("0301", "0301"),
    (1, 1): ("0301", "1003"),  # forest -> transport
    (2, 1): ("0305", "0404"),  # shrub forest -> grass
    (3, 1): ("0307", "0301"),  # other forest land -> arbor forest
    (4, 1): ("1101", "1101"),
    (0, 2): ("1104", "0702"),  # pond -> built
    (1, 2): ("1105", "1104A"),  # tidal flat -> aquaculture pond (围海)
    (2, 2): ("1105", "1105"),
    (3, 2): ("1106", "1106"),
    (4, 2): ("0404", "0601"),  # grass -> built, in redline
    (0, 3): ("0702", "0702"),
    (1, 3): ("1003", "1003"),
    (2, 3): ("1006", "0702"),  # rural road (not construction) -> built, in redline
    (3, 3): ("0201", "0101"),  # garden -> farmland
    (4, 3): ("1202", "1202"),
}
# hand-computed values (ha / % / pp) and default scores
EXPECTED = {
    # id: (value, start, end, score)
    "farmland_retention": (40.0, 5.0, 2.0, 0.0),
    "farmland_target_attainment": (50.0, 5.0, 2.0, 0.0),  # target 4 ha
    "pbf_protection": (100 / 3, 3.0, 1.0, 0.0),
    "pbf_loss_area": (2.0, None, None, 80.0),
    "farmland_to_construction_unapproved": (1.0, None, None, 98.0),
    "farmland_to_nongrain": (2.0, None, None, 98.0),
    "construction_growth": (300.0, 2.0, 8.0, 0.0),
    "forest_coverage_change": (-5.0, 15.0, 10.0, 0.0),
    "forest_land_retention": (50.0, 4.0, 2.0, 0.0),
    "water_retention": (150.0, 2.0, 3.0, 100.0),
    "wetland_retention": (200 / 3, 3.0, 2.0, 0.0),
    "natural_coastline_rate": (50.0, 75.0, 50.0, 100.0),  # target 5.5 %: 909 % of target
    "reclamation_area": (1.0, None, None, 90.0),
    "redline_new_construction": (2.0, None, None, 60.0),
}
TOTAL = (10 * 80 + 8 * 98 + 5 * 98 + 7 * 100 + 5 * 100 + 3 * 90 + 5 * 60) / 100  # 38.44


def zones():
    return {
        "pbf": frame_of([cells((0, 0), (1, 0), (2, 0))]),
        "redline": frame_of([cell(4, 2), cell(2, 3)]),
        "approvals": frame_of(
            [cell(3, 0), cell(1, 0)], approval_date=[date(2020, 5, 1), date(2024, 6, 1)]
        ),
    }


def coastlines():
    def line(x1, x2, kind):
        return shapely.LineString([(X0 + x1, Y0), (X0 + x2, Y0)]), kind

    return {
        START: coast([line(0, 300, "natural"), line(300, 400, "artificial")]),
        END: coast([line(0, 200, "natural"), line(200, 400, "artificial")]),
    }


def make(changes=None, **overrides):
    """The scenario package; ``changes`` replaces CHANGES, ``overrides`` package() arguments."""
    changes = CHANGES if changes is None else changes
    kwargs = {
        "zones": zones(),
        "coastline": coastlines(),
        "targets": [
            {"district_code": "120110", "indicator": "farmland_target_attainment", "value": 4.0},
            {"district_code": "120110", "indicator": "natural_coastline_rate", "value": 5.5},
        ],
    }
    kwargs.update(overrides)
    grids = {
        START: {k: v[0] for k, v in changes.items()},
        END: {k: v[1] for k, v in changes.items()},
    }
    return package(grids, **kwargs)
