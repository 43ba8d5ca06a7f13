"""The validated-package cache: same package back, any file change means a fresh validation."""

import os

import geopandas as gpd
import pandas as pd
import pytest

from gisaudit.errors import PackageError
from gisaudit.layers import cache
from gisaudit.layers.package import load_package
from tests.factories import make_package


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("GISAUDIT_CACHE_DIR", str(folder))
    return folder


def _same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        pd.DataFrame(a).reset_index(drop=True), pd.DataFrame(b).reset_index(drop=True),
        check_dtype=False,
    )
    if isinstance(a, gpd.GeoDataFrame):
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all()
        assert a.crs == b.crs


def test_second_load_comes_from_the_cache_and_equals_the_first(tmp_path, cache_dir) -> None:
    root = make_package(tmp_path / "pkg", rasters=True)
    first = load_package(root)
    assert len(list(cache_dir.iterdir())) == 1
    messages: list[str] = []
    second = load_package(root, progress=lambda m, d, t: messages.append(m))
    assert any("免于重复校验" in m for m in messages)
    assert second.crs == first.crs and second.name == first.name
    assert second.fingerprints == first.fingerprints and second.repaired == first.repaired
    _same_frames(first.districts, second.districts)
    _same_frames(first.tenures, second.tenures)
    _same_frames(first.targets, second.targets)
    assert [v.vintage for v in second.landuse] == [v.vintage for v in first.landuse]
    for a, b in zip(first.landuse, second.landuse, strict=True):
        _same_frames(a.frame, b.frame)
    assert sorted(first.zones) == sorted(second.zones)
    for kind in first.zones:
        _same_frames(first.zones[kind], second.zones[kind])
    for a, b in zip(first.coastline, second.coastline, strict=True):
        _same_frames(a.frame, b.frame)
    assert second.imagery == first.imagery and second.landcover == first.landcover


def test_a_changed_file_is_validated_again(tmp_path, cache_dir) -> None:
    root = make_package(tmp_path / "pkg")
    load_package(root)
    tenures = root / "tenures.csv"
    tenures.write_text(tenures.read_text("utf-8") + "坏行,999999,张三,区长,2019-01-01,\n", "utf-8")
    with pytest.raises(PackageError):
        load_package(root)  # the cached copy of the old file must not hide the new problem


def test_is_cached_tells_without_loading(tmp_path, cache_dir) -> None:
    root = make_package(tmp_path / "pkg")
    assert not cache.is_cached(root)
    load_package(root)
    assert cache.is_cached(root)
    (root / "tenures.csv").write_text((root / "tenures.csv").read_text("utf-8") + "\n", "utf-8")
    assert not cache.is_cached(root)  # a changed file: not this package any more


def test_cache_off_writes_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GISAUDIT_CACHE_DIR", "off")
    root = make_package(tmp_path / "pkg")
    load_package(root)
    assert cache.cache_dir() is None
    assert not (tmp_path / "off").exists()


def test_a_damaged_cache_entry_is_ignored(tmp_path, cache_dir) -> None:
    root = make_package(tmp_path / "pkg")
    load_package(root)
    entry = next(cache_dir.iterdir())
    (entry / "landuse-0.arrow").write_bytes(b"not an arrow file")
    assert cache.load_cached(root) is None
    assert len(load_package(root).landuse) >= 1  # validated afresh


def test_only_the_newest_packages_are_kept(tmp_path, cache_dir) -> None:
    for n in range(cache.KEEP + 2):
        root = make_package(tmp_path / f"pkg{n}")
        load_package(root)
        os.utime(next(p for p in cache_dir.iterdir() if p.name == cache.package_key(root)),
                 (n, 1_000_000 + n))  # fmt: skip
    kept = [p for p in cache_dir.iterdir() if not p.name.startswith(".")]
    assert len(kept) == cache.KEEP


def test_land_use_comes_back_as_measured_patch_tables_decoded_only_when_asked(
    tmp_path, cache_dir
) -> None:
    root = make_package(tmp_path / "pkg", grid=3)
    first = load_package(root)
    assert all(v.patches.has_facts for v in first.landuse)
    messages: list[str] = []
    second = load_package(root, progress=lambda m, d, t: messages.append(m))
    assert any("免于重复校验" in m for m in messages)  # from the cache
    assert len(second.landuse) == len(first.landuse) >= 2
    for a, b in zip(first.landuse, second.landuse, strict=True):
        assert b._frame is None  # read back as WKB, nothing decoded yet
        assert b.vintage == a.vintage and b.source == a.source
        table = b.patches
        assert b._frame is None  # reading the patch table does not decode either
        assert table.has_facts
        assert "zone_pbf_m2" in table.columns and "zone_approvals_m2" in table.columns
        pd.testing.assert_frame_equal(table.columns, a.patches.columns)
        assert table.wkb.equals(a.patches.wkb)
        assert table.crs == first.crs
        _same_frames(a.frame, b.frame)
        assert b._frame is not None  # decoded once asked, and kept
        assert b.patches.has_facts  # decoding keeps the measured table
