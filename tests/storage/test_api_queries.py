"""Repository additions for the API: evaluation ids, one tenure result, lead date filters and
counts, tenures entered by hand; on both databases."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from gisaudit.errors import InputError, NotFoundError
from gisaudit.storage import session_scope
from gisaudit.storage.repository import (
    create_tenure,
    get_evaluation,
    get_tenure,
    get_tenure_result,
    lead_counts,
    list_leads,
    save_evaluation,
    update_tenure,
)
from tests.storage.factories import lead_frame, tenure_result, unique

CODE = "120117"


def _save(engine, tenure: str, evaluation_id=None) -> str:
    leads = lead_frame(tenure, CODE, [0, 1], rule="pbf_occupation")
    return save_evaluation(
        engine,
        "包",
        {"a": "1"},
        "tianjin-2025",
        "1",
        [tenure_result(tenure, CODE, leads)],
        evaluation_id=evaluation_id,
    )


def test_evaluation_id_chosen_by_caller(engine):
    wanted = uuid.uuid4()
    tenure = unique("T")
    assert _save(engine, tenure, wanted) == str(wanted)
    with session_scope(engine) as s:
        assert get_evaluation(s, wanted).id == wanted
    with pytest.raises(InputError, match="已存在"):
        _save(engine, tenure, wanted)
    with pytest.raises(InputError, match="UUID"):
        _save(engine, unique("T"), "not-a-uuid")


def test_get_tenure_result(engine):
    tenure = unique("T")
    eid = _save(engine, tenure)
    with session_scope(engine) as s:
        row = get_tenure_result(s, eid, tenure)
        assert row.tenure_id == tenure and row.scorecard["tenure"]["id"] == tenure
        assert {(t.from_group, t.to_group) for t in row.transitions} == {
            ("farmland", "built"),
            ("farmland", "farmland"),
        }
        with pytest.raises(NotFoundError):
            get_tenure_result(s, eid, "nope")


def test_lead_date_filter_and_counts(engine):
    tenure = unique("T")
    _save(engine, tenure)
    with session_scope(engine) as s:
        assert list_leads(s, tenure_id=tenure, changed_from=date(2023, 1, 1)).total == 2
        assert list_leads(s, tenure_id=tenure, changed_to=date(2022, 12, 31)).total == 0
        counts = lead_counts(s, district_code=CODE)
        assert set(counts) == {CODE} and counts[CODE]["critical"] >= 2


def test_tenures_by_hand(engine):
    tid = unique("H")
    with session_scope(engine) as s:
        create_tenure(s, tid, "120119", "赵六", "区委书记", date(2021, 1, 1))
    with session_scope(engine) as s:
        assert get_tenure(s, tid).district_code == "120119"
        update_tenure(
            s,
            tid,
            district_code="120119",
            official="赵六",
            position="区长",
            start=date(2021, 1, 1),
            end=date(2024, 1, 1),
        )
    with session_scope(engine) as s:
        assert get_tenure(s, tid).end == date(2024, 1, 1)
        with pytest.raises(InputError, match="早于"):
            create_tenure(s, unique("H"), "120119", "a", "b", date(2022, 1, 1), date(2021, 1, 1))
        with pytest.raises(InputError, match="涉农区"):
            create_tenure(s, unique("H"), "110000", "a", "b", date(2022, 1, 1))
        with pytest.raises(InputError, match="已存在"):
            create_tenure(s, tid, "120119", "a", "b", date(2022, 1, 1))
        with pytest.raises(NotFoundError):
            update_tenure(
                s,
                "nope",
                district_code="120119",
                official="a",
                position="b",
                start=date(2022, 1, 1),
            )
