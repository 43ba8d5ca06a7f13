# ruff: noqa: E501 - the corpus table keeps one readable row per broken package
"""A corpus of genuinely broken packages: each breaks one thing of a valid factory package,
written through real drivers, and must be reported with a Chinese message naming the file,
layer and feature; the package must never load."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from pyproj import CRS

from gisaudit.errors import PackageError
from gisaudit.layers.package import load_package, validate_package
from tests.factories import (
    ORIGIN,
    landuse_frame,
    make_package,
    read_manifest,
    write_layer,
    write_manifest,
)

LU = "landuse/2018.gpkg"


def _lu(root: Path) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(root / LU)


def _put_lu(root: Path, frame: gpd.GeoDataFrame, **kw: object) -> None:
    (root / LU).unlink()
    pyogrio.write_dataframe(frame, root / LU, layer="2018", **kw)


def _edit_lu(edit: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame | None], **kw: object):
    def breaker(root: Path) -> None:
        frame = _lu(root)
        out = edit(frame)
        _put_lu(root, frame if out is None else out, **kw)

    return breaker


def _set_geom(i: int, geom: shapely.Geometry):
    def edit(f: gpd.GeoDataFrame) -> None:
        f.loc[i, "geometry"] = geom

    return _edit_lu(edit)


def _set(col: str, i: int, value: object):
    def edit(f: gpd.GeoDataFrame) -> None:
        f.loc[i, col] = value

    return _edit_lu(edit)


def _manifest(edit: Callable[[dict], None]):
    def breaker(root: Path) -> None:
        m = read_manifest(root)
        edit(m)
        write_manifest(root, m)

    return breaker


def _csv(name: str, old: str, new: str):
    def breaker(root: Path) -> None:
        path = root / name
        text = path.read_text("utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), "utf-8")

    return breaker


def _truncate(root: Path) -> None:
    data = (root / LU).read_bytes()
    (root / LU).write_bytes(data[:4096])


def _no_crs(root: Path) -> None:
    frame = _lu(root)
    with pytest.warns(UserWarning, match="'crs' was not provided"):  # what this case makes
        _put_lu(root, frame.set_crs(None, allow_override=True))


def _local_crs(root: Path) -> None:
    wkt = 'LOCAL_CS["Unknown",LOCAL_DATUM["Unknown",32767],UNIT["metre",1]]'
    _put_lu(root, _lu(root).set_crs(CRS.from_wkt(wkt), allow_override=True))


def _wrong_crs(root: Path) -> None:  # metres labelled as degrees
    _put_lu(root, _lu(root).set_crs(4490, allow_override=True))


def _mixed(root: Path) -> None:
    frame = _lu(root)
    extra = frame.iloc[[0]].copy()
    extra["BSM"] = "X1"
    extra["geometry"] = [shapely.Point(ORIGIN[0] + 10, ORIGIN[1] + 10)]
    _put_lu(root, gpd.GeoDataFrame(list(map(dict, [*frame.to_dict("records"),
                                                   *extra.to_dict("records")])), crs=frame.crs),
            geometry_type="Unknown")  # fmt: skip


def _lines(root: Path) -> None:
    frame = _lu(root)
    frame["geometry"] = frame.geometry.boundary
    _put_lu(root, frame)


def _empty_layer(root: Path) -> None:
    frame = _lu(root).iloc[0:0]
    _put_lu(root, frame, geometry_type="Polygon")


def _overlap(f: gpd.GeoDataFrame) -> None:
    f.loc[0, "geometry"] = f.geometry[0].union(shapely.box(*f.geometry[1].bounds).intersection(
        shapely.box(ORIGIN[0] + 1000, ORIGIN[1], ORIGIN[0] + 1010, ORIGIN[1] + 1000)))  # fmt: skip


def _gap(f: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return f.drop(index=3)


def _outside(f: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    f = f.drop(columns=["ZLDWDM"])
    f.loc[0, "geometry"] = shapely.box(
        ORIGIN[0] - 9000, ORIGIN[1], ORIGIN[0] - 8000, ORIGIN[1] + 1000
    )
    return f


def _collapsed(f: gpd.GeoDataFrame) -> None:
    x, y = ORIGIN
    f.loc[1, "geometry"] = shapely.Polygon([(x, y), (x + 10, y), (x + 5, y), (x, y)])


def _drop_col(col: str):
    return _edit_lu(lambda f: f.drop(columns=[col]))


def _gbk_garbage_dbf(root: Path) -> None:
    frame = landuse_frame(year="2018")
    entry = write_layer(frame, root, "landuse/2018s", "shp", encoding="UTF-8", cpg=False)
    dbf = root / "landuse/2018s.dbf"
    data = bytearray(dbf.read_bytes())
    pos = data.index("水田".encode())
    data[pos : pos + 2] = b"\xff\xfe"  # neither UTF-8 nor GB18030
    dbf.write_bytes(bytes(data))
    m = read_manifest(root)
    m["landuse"][0] = {"vintage": "2018-12-31", **entry}
    write_manifest(root, m)


def _zip_slip(root: Path) -> None:
    frame = landuse_frame(year="2018")
    entry = write_layer(frame, root, "landuse/2018z", "zip")
    with zipfile.ZipFile(root / entry["path"], "a") as zf:
        zf.writestr("../evil.txt", "x")
    m = read_manifest(root)
    m["landuse"][0] = {"vintage": "2018-12-31", **entry}
    write_manifest(root, m)


def _symlink_out(root: Path) -> None:
    outside = root.parent / "outside.gpkg"
    (root / LU).rename(outside)
    os.symlink(outside, root / LU)


def _districts(edit: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]):
    def breaker(root: Path) -> None:
        frame = pyogrio.read_dataframe(root / "districts.gpkg")
        (root / "districts.gpkg").unlink()
        pyogrio.write_dataframe(edit(frame), root / "districts.gpkg", layer="districts")

    return breaker


def _dup_district(f: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    f.loc[1, "code"] = "120110"
    return f


def _bad_district(f: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    f.loc[1, "code"] = "999999"
    return f


def _raster(path: str, count: int, crs: str | None):
    def breaker(root: Path) -> None:
        full = root / path
        with rasterio.open(
            full, "w", driver="GTiff", width=4, height=4, count=count, dtype="uint8", crs=crs,
            transform=rasterio.transform.from_origin(ORIGIN[0], ORIGIN[1] + 2000, 500, 500),
        ) as dst:  # fmt: skip
            dst.write(np.ones((count, 4, 4), dtype="uint8"))

    return breaker


def _yaml_syntax(root: Path) -> None:
    text = (root / "package.yaml").read_text("utf-8")
    (root / "package.yaml").write_text(
        text.replace("tenures: tenures.csv", "tenures: [tenures.csv")
    )


def _set_zone_date(value: str):
    def breaker(root: Path) -> None:
        path = root / "zones/approvals.gpkg"
        frame = pyogrio.read_dataframe(path)
        frame["PZRQ"] = value
        path.unlink()
        pyogrio.write_dataframe(frame, path, layer="approvals")

    return breaker


def _coast_type(root: Path) -> None:
    path = root / "coastline/2018.gpkg"
    frame = pyogrio.read_dataframe(path)
    frame.loc[1, "AXLX"] = "神秘岸线"
    path.unlink()
    pyogrio.write_dataframe(frame, path, layer="2018")


def _set_vintage(i: int, value: object):
    return _manifest(lambda m: m["landuse"][i].update(vintage=value))


# (id, breaker, key Chinese phrase, file, layer or feature text expected in the problem)
CASES: list[tuple[str, Callable[[Path], None], str, str, str]] = [
    ("missing_file", lambda r: (r / "landuse/2023.gpkg").unlink(), "文件不存在", "landuse/2023.gpkg", ""),
    ("truncated_gpkg", _truncate, "无法读取", LU, ""),
    ("no_crs", _no_crs, "没有坐标参考系", LU, "2018"),
    ("unknown_crs", _local_crs, "坐标参考系无法识别", LU, "2018"),
    ("crs_mismatch", _wrong_crs, "超出数据包坐标系", LU, "2018"),
    ("manifest_bad_crs", _manifest(lambda m: m.update(crs="EPSG:99999")), "无法识别", "package.yaml", "crs"),
    ("unknown_code", _set("DLBM", 2, "9999"), "未知地类编码", LU, "BSM=120110201800002"),
    ("missing_dlbm", _drop_col("DLBM"), "缺少地类编码字段 DLBM", LU, "2018"),
    ("collapsed_geometry", _edit_lu(_collapsed), "无法自动修复", LU, "BSM=120110201800001"),
    ("null_geometry", _set_geom(2, None), "几何为空", LU, "BSM=120110201800002"),
    ("mixed_types", _mixed, "混合了多种几何类型", LU, "BSM=X1"),
    ("line_layer", _lines, "应为面要素", LU, "2018"),
    ("empty_layer", _empty_layer, "空图层", LU, "2018"),
    ("overlap", _edit_lu(_overlap), "重叠", LU, "BSM=120110201800000 与 BSM=120110201800001"),
    ("gap", _edit_lu(_gap), "空隙", LU, "BSM=120110201800002"),
    ("outside_districts", _edit_lu(_outside), "不在任何区县范围内", LU, "BSM=120110201800000"),
    ("zldwdm_unknown", _set("ZLDWDM", 0, "120112001001"), "区县边界图层中没有的区县", LU, "BSM=120110201800000"),
    ("kcxs_range", _set("KCXS", 0, 1.5), "超出 0 ≤ KCXS < 1", LU, "BSM=120110201800000"),
    ("duplicate_bsm", _set("BSM", 1, "120110201800000"), "标识码 BSM 重复", LU, "BSM=120110201800000"),
    ("vintages_order", _manifest(lambda m: m["landuse"].reverse()), "未按时间先后排列", "package.yaml", "landuse[2]"),
    ("vintage_duplicate", _set_vintage(1, "2018-12-31"), "重复", "package.yaml", "landuse[2]"),
    ("vintage_not_date", _set_vintage(0, "2018年底"), "不是日期", "package.yaml", "landuse[1].vintage"),
    ("yaml_syntax", _yaml_syntax, "YAML 语法错误", "package.yaml", "行"),
    ("manifest_missing_key", _manifest(lambda m: m.pop("tenures")), "缺少必填项 tenures", "package.yaml", "tenures"),
    ("manifest_unknown_key", _manifest(lambda m: m.update(colour="red")), "未知的键 colour", "package.yaml", "colour"),
    ("manifest_missing", lambda r: (r / "package.yaml").unlink(), "缺少清单文件", "package.yaml", ""),
    ("path_dotdot", _manifest(lambda m: m["landuse"][1].update(path="../other.gpkg")), "数据包文件夹之外", "../other.gpkg", ""),
    ("path_absolute", _manifest(lambda m: m["landuse"][1].update(path="/etc/passwd")), "绝对路径", "/etc/passwd", ""),
    ("path_symlink", _symlink_out, "符号链接", LU, ""),
    ("zip_slip", _zip_slip, "zip-slip", "landuse/2018z.zip", ""),
    ("dbf_encoding", _gbk_garbage_dbf, "编码无法识别", "landuse/2018s.shp", ""),
    ("unsupported_format", _manifest(lambda m: m["landuse"][1].update(path="tenures.csv")), "不支持的矢量格式", "tenures.csv", ""),
    ("missing_layer", _manifest(lambda m: m["landuse"][1].update(layer="DLTB")), "没有图层 DLTB", "landuse/2023.gpkg", "DLTB"),
    ("district_no_code", _districts(lambda f: f.drop(columns=["code"])), "缺少区县代码字段", "districts.gpkg", ""),
    ("district_duplicate", _districts(_dup_district), "区县代码 120110 重复", "districts.gpkg", "FID="),
    ("district_unknown", _districts(_bad_district), "999999 不是天津市", "districts.gpkg", "FID="),
    ("tenure_missing_column", _csv("tenures.csv", ",end", ",finish"), "缺少列：end", "tenures.csv", ""),
    ("tenure_end_before_start", _csv("tenures.csv", "2018-06-01,2023-12-31", "2018-06-01,2017-01-01"), "早于开始日期", "tenures.csv", "第 2 行（id=T120110a）"),
    ("tenure_unknown_district", _csv("tenures.csv", "T120111b,120111", "T120111b,120199"), "120199 不是天津市", "tenures.csv", "id=T120111b"),
    ("tenure_district_not_in_layer", _csv("tenures.csv", "T120111b,120111", "T120111b,120115"), "不在区县边界图层中", "tenures.csv", "id=T120111b"),
    ("tenure_duplicate_id", _csv("tenures.csv", "T120111b", "T120111a"), "任职 id T120111a 重复", "tenures.csv", "第 5 行"),
    ("tenure_bad_date", _csv("tenures.csv", "2019-03-15", "2019-13-45"), "不是有效日期", "tenures.csv", "id=T120110b"),
    ("target_unknown_indicator", _csv("targets.csv", "farmland_target_attainment", "farmland_magic"), "未知指标 farmland_magic", "targets.csv", "第 2 行"),
    ("target_not_numeric", _csv("targets.csv", ",100", ",一百"), "不是数值", "targets.csv", "第 2 行"),
    ("target_unknown_district", _csv("targets.csv", "120110,natural", "120119,natural"), "区县代码 120119 未知", "targets.csv", "第 3 行"),
    ("coast_type", _coast_type, "岸线的类型 AXLX 未知", "coastline/2018.gpkg", "神秘岸线"),
    ("approvals_no_date", _set_zone_date(""), "不是有效日期", "zones/approvals.gpkg", "BSM=A1"),
    ("approvals_missing_field", _manifest(lambda m: m["zones"]["approvals"].update(date_field="SPRQ")), "批准日期字段 SPRQ", "zones/approvals.gpkg", ""),
    ("zone_unknown_kind", _manifest(lambda m: m["zones"].update(forest={"path": "zones/pbf.gpkg"})), "未知的键 zones.forest", "package.yaml", ""),
    ("raster_no_crs", _raster("imagery/2018.tif", 3, None), "栅格没有坐标参考系", "imagery/2018.tif", ""),
    ("imagery_bands", _raster("imagery/2023.tif", 1, "EPSG:4527"), "3 或 4 个波段", "imagery/2023.tif", ""),
    ("landcover_codes", _manifest(lambda m: m["landcover"][0]["classes"].update({3: "9999"})), "未知地类编码", "landcover/2018.tif", ""),
    ("indicator_system_missing", _manifest(lambda m: m.update(indicator_system="rules/mine.yaml")), "指标体系文件不存在", "rules/mine.yaml", ""),
]  # fmt: skip


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_package(tmp_path_factory.mktemp("base"), rasters=True)


def _copy(base: Path, tmp_path: Path) -> Path:
    import shutil

    root = tmp_path / "pkg"
    shutil.copytree(base, root)
    return root


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("breaker", "phrase", "file", "where"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_broken_package_is_reported(
    base: Path, tmp_path: Path, breaker: Callable[[Path], None], phrase: str, file: str, where: str
) -> None:
    root = _copy(base, tmp_path)
    breaker(root)
    report = validate_package(root)
    assert not report.ok
    assert report.package is None
    matching = [p for p in report.problems if phrase in p.message and p.file == file]
    assert matching, f"no problem with {phrase!r} in {file}:\n{report.render()}"
    if where:
        assert any(where in f"{p.layer} {p.feature} {p.message}" for p in matching), report.render()
    assert all(p.action for p in report.problems)
    text = report.render()
    assert "校验未通过" in text and phrase in text
    with pytest.raises(PackageError) as err:
        load_package(root)
    assert err.value.problems == report.problems
    assert phrase in str(err.value)


def test_several_problems_are_all_reported(base: Path, tmp_path: Path) -> None:
    root = _copy(base, tmp_path)
    _set("DLBM", 2, "9999")(root)
    _csv("tenures.csv", "2018-06-01,2023-12-31", "2018-06-01,2017-01-01")(root)
    _coast_type(root)
    (root / "zones/pbf.gpkg").unlink()
    report = validate_package(root)
    files = {p.file for p in report.problems}
    assert {LU, "tenures.csv", "coastline/2018.gpkg", "zones/pbf.gpkg"} <= files
    with pytest.raises(PackageError) as err:
        load_package(root)
    assert len(err.value.problems) == len(report.problems) >= 4


def test_many_unknown_codes_are_grouped(base: Path, tmp_path: Path) -> None:
    root = _copy(base, tmp_path)
    frame = landuse_frame(codes=("9999", "8888", "0101", "0301"), grid=10, year="2018")
    _put_lu(root, frame)
    report = validate_package(root)
    coded = [p for p in report.problems if "未知地类编码" in p.message]
    assert len(coded) == 1  # one problem listing the codes, not one per feature
    assert "'9999' 50 个" in coded[0].message and "'8888' 50 个" in coded[0].message
    assert "共 100 个" in coded[0].feature
