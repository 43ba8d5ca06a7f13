"""Valid packages in every format load to the same normalised frames, in the package CRS."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from gisaudit.geodesy import geodesic_area_m2
from gisaudit.layers.package import load_package, validate_package
from tests.factories import ORIGIN, landuse_frame, make_package, patch_boxes, write_layer

FORMATS = [
    ("gpkg", {}),
    ("shp", {}),
    ("zip", {}),
    ("shp", {"encoding": "GBK", "cpg": False}),
    ("zip", {"encoding": "GBK", "cpg": False}),
    ("gdb", {}),
    ("parquet", {}),
    ("geojson", {"crs": "EPSG:4490"}),
]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    package = load_package(make_package(tmp_path_factory.mktemp("ref")))
    return _normal(package.landuse[0].frame)


def _normal(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    out = pd.DataFrame(frame.drop(columns="geometry")).sort_values("bsm").reset_index(drop=True)
    out["area"] = shapely.area(frame.sort_values("bsm").geometry.values)
    return out


@pytest.mark.parametrize(("fmt", "options"), FORMATS, ids=[f"{f}-{o}" for f, o in FORMATS])
def test_every_format_loads_to_the_same_frame(
    tmp_path: Path, reference: pd.DataFrame, fmt: str, options: dict
) -> None:
    root = make_package(tmp_path, fmt=fmt, **options)
    report = validate_package(root)
    assert report.ok, report.render()
    package = report.package
    assert package is not None and package.crs.to_epsg() == 4527
    frame = package.landuse[0].frame
    assert list(frame.columns) == ["bsm", "code", "district_code", "kcxs", "geometry"]
    assert frame.crs.to_epsg() == 4527
    got = _normal(frame)
    pd.testing.assert_frame_equal(
        got.drop(columns="area"), reference.drop(columns="area"), check_dtype=False
    )
    np.testing.assert_allclose(got["area"], reference["area"], rtol=1e-9)
    assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}


def test_gbk_dbf_without_cpg_reads_chinese(tmp_path: Path) -> None:
    from gisaudit.layers.io import read_vector

    frame = landuse_frame()
    write_layer(frame, tmp_path, "lu", "shp", encoding="GBK", cpg=False)
    assert not (tmp_path / "lu.cpg").exists()
    assert "水田".encode("gbk") in (tmp_path / "lu.dbf").read_bytes()  # really GBK on disk
    got = read_vector(tmp_path, "lu.shp")
    assert got["DLMC"].tolist() == frame["DLMC"].tolist()
    assert got["DLMC"].iloc[0] == "水田"


@pytest.mark.parametrize("epsg", [4490, 4326, 4526, 4528])
def test_reprojection_to_package_crs(tmp_path: Path, epsg: int) -> None:
    root = make_package(tmp_path, crs=f"EPSG:{epsg}")
    report = validate_package(root)
    assert report.ok, report.render()
    frame = report.package.landuse[0].frame.sort_values("bsm")
    expected = patch_boxes(0)[0]
    assert frame.crs.to_epsg() == 4527
    first = frame.geometry.iloc[0]
    assert shapely.hausdorff_distance(first, expected) < 0.01  # metres
    assert any(f"EPSG:{epsg}" in n and "重投影" in n for n in report.notes)
    assert f"EPSG:{epsg}" in report.render()


def test_numeric_dlbm_gets_its_leading_zero(tmp_path: Path) -> None:
    root = make_package(tmp_path)
    frame = landuse_frame(year="2018")
    frame["DLBM"] = frame["DLBM"].astype(int)  # 101, 301, 702, 1101
    (root / "landuse/2018.gpkg").unlink()
    pyogrio.write_dataframe(frame, root / "landuse/2018.gpkg", layer="2018")
    assert pyogrio.read_info(root / "landuse/2018.gpkg")["dtypes"][1].startswith("int")
    package = load_package(root)
    codes = package.landuse[0].frame.sort_values("bsm")["code"].tolist()
    assert codes[:4] == ["0101", "0301", "0702", "1101"]


def test_bow_tie_is_repaired_and_counted(tmp_path: Path) -> None:
    root = make_package(tmp_path)
    frame = landuse_frame(year="2018")
    x0, y0, x1, y1 = patch_boxes(0)[0].bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    # N and S triangles of the first patch as one self-intersecting ring; E and W as patches
    frame.loc[0, "geometry"] = shapely.Polygon([(x0, y1), (x1, y1), (x0, y0), (x1, y0)])
    extra = frame.iloc[[0, 0]].copy()
    extra["BSM"] = ["E", "W"]
    extra["geometry"] = [
        shapely.Polygon([(x1, y0), (x1, y1), (cx, cy)]),
        shapely.Polygon([(x0, y0), (cx, cy), (x0, y1)]),
    ]
    frame = gpd.GeoDataFrame(pd.concat([frame, extra], ignore_index=True), crs=frame.crs)
    assert not frame.geometry.iloc[0].is_valid
    (root / "landuse/2018.gpkg").unlink()
    pyogrio.write_dataframe(frame, root / "landuse/2018.gpkg", layer="2018")
    report = validate_package(root)
    assert report.ok, report.render()
    assert report.repaired == 1 and report.package.repaired == 1
    assert "自动修复的无效几何：1 个" in report.render()
    got = report.package.landuse[0].frame.set_index("bsm").geometry
    assert got["120110201800000"].is_valid
    assert got["120110201800000"].area == pytest.approx(500_000.0)


def test_summary_area_matches_ellipsoidal_boundary(tmp_path: Path) -> None:
    root = make_package(tmp_path, kcxs=0.1)
    report = validate_package(root)
    assert report.ok, report.render()
    summary = report.summary()
    assert len(summary) == 4  # 2 districts x 2 vintages
    district = report.package.districts.iloc[0]
    reference = geodesic_area_m2(district.geometry, "EPSG:4527")
    row = summary[(summary.district_code == "120110") & (summary.vintage == date(2018, 12, 31))]
    row = row.iloc[0]
    assert abs(row["area_ha"] * 1e4 - reference) / reference < 1e-5  # 0.001 %
    assert abs(row["diff_pct"]) < 0.001
    assert row["patches"] == 4
    # 25 % farmland with 10 % ridge deduction -> 22.5 % farmland, 2.5 % other (1203 田坎)
    assert row["pct_farmland"] == pytest.approx(22.5, abs=0.01)
    assert row["pct_other"] == pytest.approx(2.5, abs=0.01)
    shares = [c for c in summary.columns if c.startswith("pct_")]
    np.testing.assert_allclose(summary[shares].sum(axis=1), 100.0)
    text = report.render()
    assert "120110 东丽区 2018-12-31：图斑 4 个" in text
    assert "耕地 22.5%" in text and "相差" in text


def test_loaded_package_is_normalised(tmp_path: Path) -> None:
    root = make_package(tmp_path, rasters=True)
    p = load_package(root)
    assert p.name == "测试数据包"
    assert p.vintages == [date(2018, 12, 31), date(2023, 12, 31)]
    assert p.districts["district_code"].tolist() == ["120110", "120111"]
    assert p.districts["name"].tolist() == ["东丽区", "西青区"]
    assert p.districts["area_m2"].iloc[0] == pytest.approx(4_000_000, rel=1e-3)
    lu = p.landuse[1].frame
    assert set(lu["district_code"]) == {"120110", "120111"}
    assert (lu["kcxs"] == 0).all()
    assert set(p.zones) == {"pbf", "redline", "approvals"}
    assert p.zones["approvals"]["approval_date"].iloc[0] == date(2020, 5, 1)
    assert p.coastline[0].frame["coast_class"].tolist() == ["natural", "artificial"]
    t = p.tenures.set_index("id")
    assert t.loc["T120110a", "start"] == date(2018, 6, 1)
    assert t.loc["T120110a", "end"] == date(2023, 12, 31)
    assert t.loc["T120110b", "end"] is None
    assert p.targets["value"].tolist() == [100.0, 5.5]
    assert p.landcover[0].classes == {1: "0101", 2: "0301"}
    assert p.imagery[0].path.is_absolute() and p.imagery[0].path.exists()
    assert "package.yaml" in p.fingerprints and "landuse/2018.gpkg" in p.fingerprints
    assert all(len(h) == 64 for h in p.fingerprints.values())


def test_landuse_without_zldwdm_gets_district_by_location(tmp_path: Path) -> None:
    root = make_package(tmp_path)
    frame = landuse_frame(year="2018").drop(columns=["ZLDWDM", "KCXS"])
    (root / "landuse/2018.gpkg").unlink()
    pyogrio.write_dataframe(frame, root / "landuse/2018.gpkg", layer="2018")
    lu = load_package(root).landuse[0].frame.sort_values("bsm")
    assert lu["district_code"].tolist() == ["120110"] * 4 + ["120111"] * 4
    assert (lu["kcxs"] == 0).all()


def test_progress_messages_are_reported(tmp_path: Path) -> None:
    root = make_package(tmp_path)
    seen: list[str] = []
    validate_package(root, progress=lambda msg, done, total: seen.append(msg))
    assert any("地类图斑" in m for m in seen) and seen[-1] == "校验完成"


def test_sliver_below_one_square_metre_is_tolerated(tmp_path: Path) -> None:
    root = make_package(tmp_path)
    frame = landuse_frame(year="2018")
    x, y = ORIGIN
    # shift the shared edge of patches 0 and 1 by 1 mm: 1 m² overlap at most (1000 m × 1 mm)
    frame.loc[0, "geometry"] = shapely.box(x, y, x + 1000.0009, y + 1000)
    (root / "landuse/2018.gpkg").unlink()
    pyogrio.write_dataframe(frame, root / "landuse/2018.gpkg", layer="2018")
    assert validate_package(root).ok
