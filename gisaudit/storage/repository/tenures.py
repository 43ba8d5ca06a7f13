"""Tenures entered by hand (outside a data package): creation and update, checked like
``tenures.csv`` (a Tianjin district code; the end, if any, not before the start)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from gisaudit.errors import InputError
from gisaudit.layers.common import TIANJIN_DISTRICTS
from gisaudit.storage.models import District, Tenure
from gisaudit.storage.repository._common import begin_write, storage_errors
from gisaudit.storage.repository.evaluations import get_tenure


def _check(tenure_id: str, district_code: str, start: date, end: date | None) -> None:
    if not tenure_id or not tenure_id.strip():
        raise InputError("任期编号不能为空。")
    if district_code not in TIANJIN_DISTRICTS:
        raise InputError(
            f"区县代码 {district_code or '（空）'} 不是天津市 10 个涉农区的代码之一。"
            "请改为 120110–120119 中正确的 6 位区县代码。"
        )
    if end is not None and end < start:
        raise InputError(f"任职结束日期 {end} 早于开始日期 {start}。请核对并改正任职起止日期。")


def _ensure_district(session: Session, code: str) -> None:
    if session.get(District, code) is None:
        session.add(District(code=code, name=TIANJIN_DISTRICTS[code]))
        session.flush()


@storage_errors
def create_tenure(
    session: Session,
    tenure_id: str,
    district_code: str,
    official: str,
    position: str,
    start: date,
    end: date | None = None,
) -> Tenure:
    """Create a tenure (InputError if the id exists or the values break the tenure rules);
    an unknown Tianjin district gets its row (name only). The caller commits."""
    tenure_id = (tenure_id or "").strip()
    _check(tenure_id, district_code, start, end)
    begin_write(session)
    if session.get(Tenure, tenure_id) is not None:
        raise InputError(f"任期“{tenure_id}”已存在。如需修改请使用更新。")
    _ensure_district(session, district_code)
    tenure = Tenure(
        id=tenure_id,
        district_code=district_code,
        official=official.strip(),
        position=position.strip(),
        start=start,
        end=end,
    )
    session.add(tenure)
    session.flush()
    return tenure


@storage_errors
def update_tenure(
    session: Session,
    tenure_id: str,
    *,
    district_code: str,
    official: str,
    position: str,
    start: date,
    end: date | None = None,
) -> Tenure:
    """Replace a tenure's fields (NotFoundError if it does not exist); the caller commits."""
    _check(tenure_id, district_code, start, end)
    begin_write(session)
    tenure = get_tenure(session, tenure_id)
    _ensure_district(session, district_code)
    tenure.district_code = district_code
    tenure.official = official.strip()
    tenure.position = position.strip()
    tenure.start = start
    tenure.end = end
    session.flush()
    return tenure
