"""Saving evaluations and reading them back; re-runs keep the leads' workflow; on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pandas as pd
import pytest
import shapely
from sqlalchemy import func, select

import gisaudit
from gisaudit.errors import InputError, NotFoundError
from gisaudit.storage import session_scope
from gisaudit.storage.models import IndicatorResult, Lead, LeadEvent, TransitionRow
from gisaudit.storage.repository import (
    add_lead_note,
    change_lead_state,
    get_district,
    get_evaluation,
    get_lead,
    get_tenure,
    latest_tenure_results,
    list_evaluations,
    list_leads,
    list_tenures,
    rectification_rates,
    save_evaluation,
)
from tests.storage.factories import lead_frame, tenure_result, unique

FINGERPRINTS = {"package.yaml": "ab" * 32, "landuse/2018.gpkg": "cd" * 32}


def _district() -> str:
    return f"9{uuid.uuid4().int % 10**5:05d}"


def _save(engine, *results, **kw) -> str:
    return save_evaluation(
        engine, "测试数据包", FINGERPRINTS, "tianjin-2025", "1.0", list(results), **kw
    )


def test_save_and_read_back_everything(engine):
    district, tenure = _district(), unique("T")
    leads = lead_frame(tenure, district, [0, 1, 2])
    eid = _save(engine, tenure_result(tenure, district, leads), parameters={"min_area": 400})
    with session_scope(engine) as s:
        evaluation = get_evaluation(s, eid)
        assert evaluation.package_name == "测试数据包"
        assert evaluation.fingerprints == FINGERPRINTS
        assert evaluation.parameters == {"min_area": 400}
        assert evaluation.gisaudit_version == gisaudit.__version__
        assert (evaluation.indicator_system_id, evaluation.indicator_system_version) == (
            "tianjin-2025",
            "1.0",
        )
        assert evaluation.created_at.tzinfo is not None
        assert abs((datetime.now(UTC) - evaluation.created_at).total_seconds()) < 120
        [row] = evaluation.tenure_results
        assert (row.tenure_id, row.total_score, row.grade, row.lead_count) == (
            tenure,
            86.5,
            "较好",
            3,
        )
        assert row.start_vintage == date(2018, 12, 31)
        assert row.scorecard["tenure"]["official"] == "张三"
        indicators = s.scalars(
            select(IndicatorResult).where(IndicatorResult.tenure_result_id == row.id)
        ).all()
        by_id = {i.indicator_id: i for i in indicators}
        assert by_id["farmland_retention"].value == 98.0
        assert by_id["farmland_retention"].applicable is True
        assert by_id["reclamation_area"].value is None
        assert by_id["reclamation_area"].note == "无沿海滩涂"
        cells = s.scalars(select(TransitionRow).where(TransitionRow.tenure_result_id == row.id))
        assert {(c.from_group, c.to_group, c.area_ha) for c in cells} == {
            ("farmland", "built", 0.2),
            ("farmland", "farmland", 9.8),
        }
        stored_district = get_district(s, district)
        assert stored_district.name == f"测试区{district}"
        # the district square, reprojected from EPSG:4527 to lon/lat
        assert 117.0 < stored_district.minx < stored_district.maxx < 117.5
        assert 39.0 < stored_district.miny < stored_district.maxy < 39.3
        assert stored_district.geometry.bounds == pytest.approx(
            (stored_district.minx, stored_district.miny, stored_district.maxx, stored_district.maxy)
        )
        stored_tenure = get_tenure(s, tenure)
        assert (stored_tenure.official, stored_tenure.start, stored_tenure.end) == (
            "张三",
            date(2019, 1, 1),
            None,
        )
        assert [t.id for t in list_tenures(s, district)] == [tenure]


def test_leads_are_stored_in_lon_lat_with_their_figures(engine):
    district, tenure = _district(), unique("T")
    leads = lead_frame(tenure, district, [0])
    _save(engine, tenure_result(tenure, district, leads))
    with session_scope(engine) as s:
        lead = get_lead(s, leads.id[0])
        assert lead.state == "待核实" and lead.version == 1 and lead.present
        assert lead.from_codes == {"0101": 2500.0} and lead.to_codes == {"0702": 2500.0}
        assert lead.area_m2 == 2500.0 and lead.area_mu == pytest.approx(3.75)
        assert lead.change_vintage == date(2023, 12, 31)
        assert lead.legal_basis == "《中华人民共和国土地管理法》第四十四条"
        expected = leads.to_crs(4326).geometry[0]
        assert shapely.equals_exact(lead.geometry, expected, tolerance=1e-9)
        assert (lead.minx, lead.miny, lead.maxx, lead.maxy) == pytest.approx(expected.bounds)
        assert lead.lon == pytest.approx(expected.centroid.x, abs=1e-6)
        [created] = lead.events
        assert (created.from_state, created.to_state, created.user) == (None, "待核实", "系统")


def test_no_lead_analysis_leaves_leads_alone_and_empty_marks_them_gone(engine):
    district, tenure = _district(), unique("T")
    _save(engine, tenure_result(tenure, district, lead_frame(tenure, district, [0, 1])))
    _save(engine, tenure_result(tenure, district, None))
    with session_scope(engine) as s:
        assert list_leads(s, tenure_id=tenure).total == 2
    _save(engine, tenure_result(tenure, district, lead_frame(tenure, district, [])))
    with session_scope(engine) as s:
        assert list_leads(s, tenure_id=tenure).total == 0
        assert list_leads(s, tenure_id=tenure, present=False).total == 2


def test_rerun_keeps_workflow_marks_disappeared_and_revives(engine):
    district, tenure = _district(), unique("T")
    first = lead_frame(tenure, district, [0, 1, 2])
    _save(engine, tenure_result(tenure, district, first))
    kept, gone = first.id[0], first.id[2]
    with session_scope(engine) as s:
        change_lead_state(s, kept, "核实中", user="李审计", expected_version=1)
        change_lead_state(s, kept, "已确认", user="李审计", expected_version=2, note="现场已建厂房")
        add_lead_note(s, kept, user="王复核", note="已拍照取证")
        change_lead_state(s, gone, "核实中", user="李审计", expected_version=1)

    # second run: lead 0 bigger (figures change), lead 2 not found any more, lead 3 new
    second = lead_frame(tenure, district, [0, 1, 3], size=60.0)
    second["id"] = [first.id[0], first.id[1], second.id[2]]
    _save(engine, tenure_result(tenure, district, second, total=70.0))
    with session_scope(engine) as s:
        lead = get_lead(s, kept)
        assert lead.state == "已确认" and lead.version == 3 and lead.present
        assert lead.area_m2 == 3600.0  # figures updated
        notes = [(e.user, e.from_state, e.to_state, e.note) for e in lead.events]
        assert notes == [
            ("系统", None, "待核实", "评价生成疑点"),
            ("李审计", "待核实", "核实中", None),
            ("李审计", "核实中", "已确认", "现场已建厂房"),
            ("王复核", "已确认", "已确认", "已拍照取证"),
        ]
        missing = get_lead(s, gone)
        assert missing.present is False and missing.disappeared_at is not None
        assert missing.state == "核实中" and missing.version == 2
        assert missing.events[-1].note.startswith("重新评价未再发现")
        assert list_leads(s, tenure_id=tenure).total == 3
        assert [r.total_score for r in latest_tenure_results(s, tenure_id=tenure)] == [70.0]

    # third run: the lost lead is found again, with its state and history intact
    _save(engine, tenure_result(tenure, district, first))
    with session_scope(engine) as s:
        back = get_lead(s, gone)
        assert back.present is True and back.disappeared_at is None
        assert back.state == "核实中" and back.version == 2
        assert [e.note for e in back.events][-2:] == [
            "重新评价未再发现该疑点（已标记为消失，未删除）",
            "重新评价再次发现该疑点",
        ]
        assert get_lead(s, kept).state == "已确认"
        assert get_lead(s, second.id[2]).present is False


def test_latest_results_and_evaluation_listing(engine):
    district, tenure = _district(), unique("T")
    first = _save(engine, tenure_result(tenure, district, None, total=50.0))
    second = _save(engine, tenure_result(tenure, district, None, total=91.0))
    with session_scope(engine) as s:
        [latest] = latest_tenure_results(s, district_code=district)
        assert (str(latest.evaluation_id), latest.total_score) == (second, 91.0)
        assert {i.indicator_id for i in latest.indicators} == {
            "farmland_retention",
            "reclamation_area",
        }
        page = list_evaluations(s, limit=500)
        ids = [str(e.id) for e in page.items]
        assert ids.index(second) < ids.index(first)  # newest first
        assert page.total >= 2
        with pytest.raises(NotFoundError, match="未找到评价"):
            get_evaluation(s, uuid.uuid4())
        with pytest.raises(NotFoundError, match="格式不正确"):
            get_evaluation(s, "xyz")


def test_lead_filters_and_pagination(engine):
    district, tenure = _district(), unique("T")
    leads = lead_frame(tenure, district, range(5))
    critical = lead_frame(tenure, district, [50, 51], rule="pbf_occupation")
    frame = pd.concat([leads, critical], ignore_index=True)
    _save(engine, tenure_result(tenure, district, frame))
    with session_scope(engine) as s:
        change_lead_state(s, leads.id[4], "verifying", user="李审计", expected_version=1)
    with session_scope(engine) as s:
        all_leads = list_leads(s, district_code=district)
        assert all_leads.total == 7
        # most severe first
        assert [lead.rule for lead in all_leads.items[:2]] == ["pbf_occupation"] * 2
        assert list_leads(s, district_code=district, severity="critical").total == 2
        assert list_leads(s, district_code=district, rule=["pbf_occupation"]).total == 2
        assert list_leads(s, tenure_id=tenure, state="核实中").total == 1
        assert list_leads(s, tenure_id=tenure, state=["pending"]).total == 6
        page = list_leads(s, district_code=[district, "000000"], limit=3, offset=3)
        assert (page.total, len(page.items), page.limit, page.offset) == (7, 3, 3, 3)
        everything = [lead.id for lead in list_leads(s, district_code=district).items]
        paged = [
            lead.id
            for off in (0, 3, 6)
            for lead in list_leads(s, district_code=district, limit=3, offset=off).items
        ]
        assert paged == everything
        with pytest.raises(InputError, match="不能为负数"):
            list_leads(s, limit=-1)


def test_bbox_filter(engine):
    district, tenure = _district(), unique("T")
    leads = lead_frame(tenure, district, [0, 1, 2, 3])  # squares 100 m apart along x
    _save(engine, tenure_result(tenure, district, leads))
    lonlat = leads.to_crs(4326)
    b1, b2 = lonlat.geometry[1].bounds, lonlat.geometry[2].bounds
    with session_scope(engine) as s:
        # a box touching only leads 1 and 2
        box = (b1[0] + 1e-6, b1[1], b2[0] + 1e-6, b2[3])
        found = list_leads(s, tenure_id=tenure, bbox=box)
        assert sorted(lead.id for lead in found.items) == sorted([leads.id[1], leads.id[2]])
        assert found.total == 2
        # the gap between lead 0 and lead 1 holds nothing
        gap = (lonlat.geometry[0].bounds[2] + 1e-6, b1[1], b1[0] - 1e-6, b1[3])
        assert list_leads(s, tenure_id=tenure, bbox=gap).total == 0
        with pytest.raises(InputError, match="范围"):
            list_leads(s, bbox=(118, 39, 117, 40))


def test_rectification_rate(engine):
    district = _district()
    t1, t2 = unique("T"), unique("T")
    leads1 = lead_frame(t1, district, range(4))
    leads2 = lead_frame(t2, district, range(10, 12))
    _save(engine, tenure_result(t1, district, leads1), tenure_result(t2, district, leads2))
    steps = {
        leads1.id[0]: ["核实中", "已确认", "整改中", "已整改"],
        leads1.id[1]: ["核实中", "已确认", "整改中"],
        leads1.id[2]: ["核实中", "已排除"],
        leads2.id[0]: ["核实中", "已确认"],
    }
    with session_scope(engine) as s:
        for lead_id, path in steps.items():
            for version, state in enumerate(path, start=1):
                change_lead_state(s, lead_id, state, user="李审计", expected_version=version,
                                  reason="数据误差", deadline=date(2026, 6, 30))  # fmt: skip
    # the rectified lead disappears on a re-run: it still counts
    _save(engine, tenure_result(t1, district, leads1.iloc[1:]))
    with session_scope(engine) as s:
        [by_district] = rectification_rates(s, "district", district_code=district)
        assert (by_district.key, by_district.confirmed, by_district.rectified) == (district, 3, 1)
        assert by_district.rate_pct == pytest.approx(100 / 3)
        by_tenure = {r.key: r for r in rectification_rates(s, "tenure", district_code=district)}
        assert (by_tenure[t1].confirmed, by_tenure[t1].rectified) == (2, 1)
        assert by_tenure[t1].rate_pct == 50.0
        assert (by_tenure[t2].confirmed, by_tenure[t2].rectified, by_tenure[t2].rate_pct) == (
            1,
            0,
            0.0,
        )
        with pytest.raises(InputError):
            rectification_rates(s, "province")  # type: ignore[arg-type]


def test_rate_is_none_without_confirmed_leads(engine):
    district, tenure = _district(), unique("T")
    _save(engine, tenure_result(tenure, district, lead_frame(tenure, district, [0])))
    with session_scope(engine) as s:
        [rate] = rectification_rates(s, "tenure", tenure_id=tenure)
        assert (rate.confirmed, rate.rectified, rate.rate_pct) == (0, 0, None)


def test_bad_input_changes_nothing(engine):
    district, tenure = _district(), unique("T")
    leads = lead_frame(tenure, district, [0, 1])
    leads["id"] = leads.id[0]  # duplicate ids
    with session_scope(engine) as s:
        before = s.scalar(select(func.count()).select_from(Lead))
        events = s.scalar(select(func.count()).select_from(LeadEvent))
    with pytest.raises(InputError, match="疑点编号重复"):
        _save(engine, tenure_result(tenure, district, leads))
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == before
        assert s.scalar(select(func.count()).select_from(LeadEvent)) == events
        with pytest.raises(NotFoundError):
            get_tenure(s, tenure)  # the tenure upsert was rolled back too
