"""Dating changes by the first vintage showing them: by identity of the source patches where
they are unchanged in a vintage, by a point lookup elsewhere — the same dates either way."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import gisaudit.change.dating as dating
from gisaudit.change.changeset import build_changeset
from gisaudit.change.vintages import VintageSelection
from gisaudit.layers.classes import default_class_table
from gisaudit.layers.facts import measure_patches
from gisaudit.layers.model import AuditPackage, LandUseVintage
from tests.layers.two_districts import V1, V2, V3, A, B, landuse_frame, package, rect


def _split_a00(frame: pd.DataFrame) -> pd.DataFrame:
    """2020 with a00 cut into a west part already built (1101) and an east part (0101)."""
    a00 = frame[frame["bsm"] == "2020-a00"]
    west, east = a00.copy(), a00.copy()
    west["bsm"], west["code"], west["geometry"] = "2020-a00w", "1101", [rect(0, 0, 70, 100)]
    east["bsm"], east["geometry"] = "2020-a00e", [rect(70, 0, 100, 100)]
    return pd.concat([frame[frame["bsm"] != "2020-a00"], west, east], ignore_index=True)


@pytest.fixture(scope="module")
def packages() -> dict[str, AuditPackage]:
    plain = measure_patches(package())
    raw = package()
    split = LandUseVintage(V2, _split_a00(landuse_frame(2020)), "landuse/2020.gpkg")
    return {
        "plain": plain,
        "split": measure_patches(replace(raw, landuse=(raw.landuse[0], split, raw.landuse[2]))),
    }


def _dates(package: AuditPackage, code: str, sources: bool) -> pd.Series:
    cs = build_changeset(package, code, VintageSelection(V1, V3, (V2,)))
    pieces = cs.pieces
    middle = [(V2, build_changeset(package, code, VintageSelection(V2, V3)).start_district)]
    dates = dating.date_changes(
        pieces, V3, middle, default_class_table(),
        sources=(cs.start_district, cs.end_district) if sources else None,
    )  # fmt: skip
    np.testing.assert_array_equal(dates, pieces["change_vintage"].to_numpy())
    changed = pieces["from_code"].astype(str) != pieces["to_code"].astype(str)
    keys = pieces["from_bsm"].astype(str) + ">" + pieces["to_bsm"].astype(str)
    return pd.Series(dates[changed.to_numpy()], index=keys[changed].to_numpy()).sort_index()


def _points_asked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    asked: list[int] = []
    lookup = dating._codes_at

    def counting(patches, points):
        asked.append(len(points))
        return lookup(patches, points)

    monkeypatch.setattr(dating, "_codes_at", counting)
    return asked


@pytest.mark.parametrize("code", [A, B])
def test_identity_dates_without_any_point_lookup(
    packages: dict[str, AuditPackage], code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_points = _dates(packages["plain"], code, sources=False)
    asked = _points_asked(monkeypatch)
    by_identity = _dates(packages["plain"], code, sources=True)
    pd.testing.assert_series_equal(by_identity, by_points)
    assert sum(asked) == 0  # every changed piece's patch is unchanged in 2020
    assert len(by_points) > 0
    expected = (
        {"2018-a00>2022-a00": V3, "2018-a10>2022-a10": V2, "2018-a11>2022-a11e": V2}
        if code == A
        else {"2018-b40>2022-b40": V2, "2018-b51>2022-b51e": V2}
    )
    assert by_identity.to_dict() == expected


def test_a_patch_reshaped_in_between_is_dated_by_a_point(
    packages: dict[str, AuditPackage], monkeypatch: pytest.MonkeyPatch
) -> None:
    by_points = _dates(packages["split"], A, sources=False)
    asked = _points_asked(monkeypatch)
    by_identity = _dates(packages["split"], A, sources=True)
    pd.testing.assert_series_equal(by_identity, by_points)
    # a00 is neither its 2018 nor its 2022 self in 2020: looked up by its point, which lies
    # in the west part, already built in 2020 (one point in build_changeset, one in _dates)
    assert asked == [1, 1]
    assert by_identity["2018-a00>2022-a00"] == V2
    assert by_identity["2018-a10>2022-a10"] == V2
