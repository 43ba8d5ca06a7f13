import time
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pypdf import PdfReader

from gisaudit.errors import AnalysisError, GisAuditError
from gisaudit.layers.classes import default_class_table
from gisaudit.reports import write_tenure_reports
from tests.reports.builders import CRS, X0, Y0, make_result


def test_writes_three_files(report_dir):
    for name in ("scorecard.xlsx", "report.html", "report.pdf"):
        path = report_dir / name
        assert path.is_file() and path.stat().st_size > 5_000


def test_unwritable_folder_is_a_chinese_error(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(AnalysisError, match="无法写出报告文件") as info:
        write_tenure_reports(make_result(), blocker / "tenure")
    assert isinstance(info.value, GisAuditError)


def test_tenure_without_changes(tmp_path):
    cells = {(c, r): ("0101", "0101") for c in range(2) for r in range(2)}
    result = make_result(cells=cells, leads=False)
    result.scorecard["leads"] = {"count": 0, "by_rule": {}}
    paths = write_tenure_reports(result, tmp_path)
    html = paths[1].read_text("utf-8")
    assert "本任期未生成疑点" in html
    text = "".join(page.extract_text() for page in PdfReader(paths[2]).pages)
    assert "本任期内无地类变化" in text  # the change map and the flow chart say so
    assert "本任期未生成疑点" in text


def _large_result(n: int = 60, seed: int = 7):
    """A district of n x n irregular patches (about 3600) with random classes and changes."""
    rng = np.random.default_rng(seed)
    codes = np.array(
        [
            "0101",
            "0102",
            "0301",
            "0404",
            "0701",
            "0702",
            "1003",
            "1006",
            "1101",
            "1104",
            "1106",
            "1202",
            "0201",
            "0601",
        ]
    )
    size = 100.0
    xs, ys = np.meshgrid(np.arange(n), np.arange(n))
    geoms = np.array(
        [
            shapely.box(
                X0 + x * size, Y0 + y * size, X0 + (x + 1) * size, Y0 + (y + 1) * size
            ).segmentize(10)
            for x, y in zip(xs.ravel(), ys.ravel(), strict=True)
        ]
    )
    start = pd.Series(rng.choice(codes, len(geoms)))
    end = start.where(rng.random(len(geoms)) > 0.15, pd.Series(rng.choice(codes, len(geoms))))
    base = make_result()
    table = default_class_table()
    fg, tg = table.groups_of(start), table.groups_of(end)
    area = shapely.area(geoms)
    transitions = (
        pd.DataFrame({"from_group": fg, "to_group": tg, "area_ha": area / 1e4})
        .groupby(["from_group", "to_group"], as_index=False)["area_ha"]
        .sum()
    )
    changed = (start != end).to_numpy()
    changes = gpd.GeoDataFrame(
        {
            "from_code": start[changed].to_numpy(),
            "to_code": end[changed].to_numpy(),
            "from_group": fg[changed].to_numpy(),
            "to_group": tg[changed].to_numpy(),
            "area_m2": area[changed],
            "change_vintage": date(2022, 12, 31),
        },
        geometry=geoms[changed],
        crs=CRS,
    )
    district = gpd.GeoDataFrame(
        {"code": ["120112"]}, geometry=[shapely.box(*shapely.total_bounds(geoms))], crs=CRS
    )
    return type(base)(
        tenure_id=base.tenure_id,
        district_code=base.district_code,
        start_vintage=base.start_vintage,
        end_vintage=base.end_vintage,
        scorecard=base.scorecard,
        transitions=transitions,
        account=base.account,
        changes=changes,
        district=district,
        start_landuse=gpd.GeoDataFrame({"code": start}, geometry=geoms, crs=CRS),
        end_landuse=gpd.GeoDataFrame({"code": end}, geometry=geoms, crs=CRS),
        leads=base.leads,
    )


@pytest.mark.slow
def test_real_size_district_renders_in_seconds(tmp_path):
    result = _large_result()
    assert len(result.landuse("start")) == 3600
    t0 = time.perf_counter()
    paths = write_tenure_reports(result, tmp_path)
    elapsed = time.perf_counter() - t0
    assert elapsed < 15, f"rendering took {elapsed:.1f} s"
    assert paths[2].stat().st_size < 5_000_000  # maps are rasterised inside the PDF
