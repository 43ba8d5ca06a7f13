"""Lead outputs written to real files and read back with real readers."""

import json
import sqlite3

import numpy as np
import openpyxl
import pyogrio
import pytest
import shapely
from PIL import Image

from gisaudit.leads import LEAD_COLUMNS, load_lead_rules, write_leads
from gisaudit.leads.evidence import ChipRenderer, nearest_imagery
from gisaudit.leads.sheet import NO_IMAGERY

from .conftest import END, START, changes, coast, line, package, run, sq, zone


@pytest.fixture
def leads():
    pkg = package(zones={"pbf": zone(sq(0, 0, 100))},
                  coastline=[coast(START, (line((0, 500), (300, 500)), "淤泥质岸线")),
                             coast(END, (line((0, 500), (100, 500)), "淤泥质岸线"))])  # fmt: skip
    chg = changes((sq(0, 0, 30), "0101", "0702"), (sq(300, 0, 50), "0101", "0201"))
    return run(chg, pkg)


def test_geojson_is_rfc7946_with_the_exact_properties(tmp_path, leads):
    paths = write_leads(leads, tmp_path, sheets=False)
    doc = json.loads(paths["geojson"].read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert len(doc["features"]) == len(leads) == 4
    for feature, (_, lead) in zip(doc["features"], leads.iterrows(), strict=True):
        props = feature["properties"]
        assert list(props) == LEAD_COLUMNS
        assert props["id"] == lead["id"] == feature["id"]
        assert isinstance(props["from_codes"], dict) and isinstance(props["to_codes"], dict)
        geom = shapely.geometry.shape(feature["geometry"])
        lon, lat = geom.centroid.x, geom.centroid.y
        assert 116.99 < lon < 117.01 and 38.99 < lat < 39.03  # lon/lat order
        if geom.geom_type == "Polygon":
            assert geom.exterior.is_ccw  # right-hand rule
            assert props["length_m"] is None and props["area_mu"] > 0
        else:
            assert props["area_m2"] is None and props["area_mu"] is None and props["length_m"] > 50
    first = doc["features"][0]["properties"]
    assert first["rule"] == "pbf_occupation" and first["from_codes"] == {"0101": 900.0}
    assert first["change_vintage"] == END.isoformat() and first["state"] == "待核实"


def test_gpkg_opens_with_pyogrio_and_carries_a_qgis_style(tmp_path, leads):
    path = write_leads(leads, tmp_path, sheets=False)["gpkg"]
    back = pyogrio.read_dataframe(path, layer="leads")
    assert back.crs.to_epsg() == 4527
    assert [c for c in back.columns if c != "geometry"] == LEAD_COLUMNS
    assert list(back["id"]) == list(leads["id"])
    assert json.loads(back["from_codes"].iloc[0]) == {"0101": 900.0}
    assert back.geometry.iloc[0].area == pytest.approx(900.0)
    layers = [name for name, _ in pyogrio.list_layers(path)]
    assert layers[0] == "leads" and "layer_styles" in layers
    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT f_table_name, f_geometry_column, styleName, styleQML, "
                           "useAsDefault FROM layer_styles ORDER BY id").fetchall()  # fmt: skip
    assert [r[0] for r in rows] == ["leads", "leads"] and [r[4] for r in rows] == [1, 0]
    assert rows[0][1] == pyogrio.read_info(path, layer="leads")["geometry_name"]
    qml = rows[0][3]
    assert 'type="categorizedSymbol" attr="rule"' in qml
    for rule in load_lead_rules():
        assert f'value="{rule.id}"' in qml


def test_checklist_cells(tmp_path, leads):
    path = write_leads(leads, tmp_path, sheets=False, package=package())["checklist"]
    ws = openpyxl.load_workbook(path).active
    header = [c.value for c in ws[2]]
    assert header == ["序号", "疑点编号", "疑点类型", "严重程度", "区", "面积(亩)", "面积(公顷)",
                      "地类变化", "变化年度", "经纬度", "法律依据", "核查结论", "备注"]  # fmt: skip
    row = [c.value for c in ws[3]]
    lead = leads.iloc[0]
    assert row[:5] == [1, lead["id"], "永久基本农田被占用", "严重", "滨海新区"]
    assert row[5] == pytest.approx(900 / (10000 / 15), abs=0.01) and row[6] == pytest.approx(0.09)
    assert row[7] == "0101水田 → 0702农村宅基地"
    assert row[8] == END.isoformat() and row[9].startswith("117.0")
    assert "土地管理法》第三十五条" in row[10] and row[11] is None
    assert ws.max_row == 2 + len(leads)
    coast_index = list(leads["rule"]).index("natural_coastline_loss")
    coast_row = [c.value for c in ws[3 + coast_index]]
    assert coast_row[5] is None and "岸线长度" in coast_row[12]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$2:$2"


def test_chips_are_pngs_with_a_red_outline(tmp_path, tif_pair):
    before_ref, after_ref = tif_pair
    pkg = package(zones={"pbf": zone(sq(0, 0, 100))}, imagery=tif_pair)
    leads = run(changes((sq(0, 0, 30), "0101", "0702")), pkg)
    write_leads(leads, tmp_path / "out", package=pkg, pdf=False)
    lead_id = leads["id"].iloc[0]
    for role, colour in (("before", (40, 120, 40)), ("after", (150, 150, 150))):
        image = Image.open(tmp_path / "out" / "leads" / f"{lead_id}_{role}.png")
        assert image.format == "PNG" and image.size == (320, 320)
        px = np.asarray(image.convert("RGB"))
        red = np.all(px == (255, 0, 0), axis=-1)
        assert red.sum() > 100
        rows, cols = np.nonzero(red)
        # a 30 m square in a 300 m window: the outline spans about 32 px around the centre
        assert 140 < rows.min() < 150 and 170 < rows.max() < 180
        assert 140 < cols.min() < 150 and 170 < cols.max() < 180
        assert np.all(px[5, 5] == colour)
    html = (tmp_path / "out" / "leads" / f"{lead_id}.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2 and "前时相影像（2018-12-31）" in html
    assert NO_IMAGERY not in html and "核查结论" in html and "核查人" in html
    assert nearest_imagery(tif_pair, START) is before_ref
    assert nearest_imagery(tif_pair, END) is after_ref


def test_chip_outside_the_raster_is_grey_and_rendering_is_fast(tif_pair):
    import time

    with ChipRenderer("EPSG:4527") as renderer:
        px = np.asarray(renderer.render(tif_pair[0], sq(5000, 5000, 30)))
        assert np.all(px[0, 0] == (235, 235, 235))
        t = time.perf_counter()
        for i in range(40):
            renderer.render(tif_pair[0], sq(i * 20, 0, 30))
        assert (time.perf_counter() - t) / 40 < 0.1  # tens of ms per chip


def test_sheets_without_imagery_say_so_and_pdf_embeds_the_font(tmp_path, leads):
    paths = write_leads(leads, tmp_path, package=package())
    folder = paths["sheets"]
    for lead_id in leads["id"]:
        html = (folder / f"{lead_id}.html").read_text(encoding="utf-8")
        assert NO_IMAGERY in html and "审计核查步骤" in html and "滨海新区" in html
        pdf = (folder / f"{lead_id}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf and b"WenQuanYi" in pdf
    assert not list(folder.glob("*.png"))


def test_empty_leads_still_write_valid_files(tmp_path):
    leads = run(changes())
    paths = write_leads(leads, tmp_path)
    assert json.loads(paths["geojson"].read_text())["features"] == []
    assert len(pyogrio.read_dataframe(paths["gpkg"], layer="leads")) == 0
    assert openpyxl.load_workbook(paths["checklist"]).active.max_row == 2
    assert "sheets" not in paths
