"""The leads engine's own lead table (gisaudit.leads.frame) is stored as it comes."""

from __future__ import annotations

from datetime import date

import pytest
import shapely

from gisaudit.leads.frame import build_lead_frame, empty_leads
from gisaudit.leads.rules import LeadRule
from gisaudit.storage import session_scope
from gisaudit.storage.repository import get_lead, list_leads, save_evaluation
from tests.storage.factories import PKG_CRS, X0, Y0, tenure_result, unique


def test_engine_lead_table_round_trip(engine):
    district, tenure = "750000", unique("T")
    area_rule = LeadRule(id="farmland_to_construction", name="耕地转为建设用地且未见批准",
                         **{"from": "farmland"}, to="construction", min_area_m2=400,
                         severity="high")  # fmt: skip
    coast_rule = LeadRule(id="natural_coastline_loss", name="自然岸线人工化或消失",
                          kind="coastline_loss", min_length_m=50, severity="high")  # fmt: skip
    area = {"geometry": shapely.box(X0, Y0, X0 + 30, Y0 + 20), "size": 600.0,
            "from_codes": {"0101": 600.0}, "to_codes": {"0702": 600.0},
            "change_vintage": date(2021, 12, 31)}  # fmt: skip
    line = {"geometry": shapely.LineString([(X0, Y0 + 500), (X0 + 80, Y0 + 500)]), "size": 80.0,
            "from_codes": {}, "to_codes": {}, "change_vintage": None}  # fmt: skip
    frame = build_lead_frame(
        [(area_rule, area), (coast_rule, line)],
        district_code=district,
        tenure_id=tenure,
        crs=PKG_CRS,
        legal_basis={"farmland_to_construction": "《土地管理法》第四十四条"},
        default_vintage=date(2023, 12, 31),
    )
    save_evaluation(
        engine, "包", {}, "tianjin-2025", "1.0", [tenure_result(tenure, district, frame)]
    )
    with session_scope(engine) as s:
        by_rule = {lead.rule: lead for lead in list_leads(s, tenure_id=tenure).items}
        polygon, coast = by_rule["farmland_to_construction"], by_rule["natural_coastline_loss"]
        assert polygon.id == frame.id[0] and polygon.state == "待核实"
        assert (polygon.area_m2, polygon.length_m, polygon.change_vintage) == (
            600.0, None, date(2021, 12, 31))  # fmt: skip
        assert polygon.from_codes == {"0101": 600.0}
        assert polygon.legal_basis == "《土地管理法》第四十四条"
        assert (coast.area_m2, coast.area_mu, coast.length_m) == (None, None, 80.0)
        assert coast.geometry.geom_type == "LineString"
        assert coast.change_vintage == date(2023, 12, 31)
        assert get_lead(s, coast.id).lat == pytest.approx(frame.lat[1])


def test_engine_empty_lead_table(engine):
    district, tenure = "750001", unique("T")
    result = tenure_result(tenure, district, empty_leads(PKG_CRS))
    save_evaluation(engine, "包", {}, "tianjin-2025", "1.0", [result])
    with session_scope(engine) as s:
        assert list_leads(s, tenure_id=tenure, present=None).total == 0
