"""Choosing the start, end and intermediate land-use vintages of a tenure (spec §5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from gisaudit.errors import InputError


@dataclass(frozen=True)
class VintageSelection:
    """The vintages used for one tenure.

    ``intermediate`` are the vintages strictly between ``start`` and ``end``: a change is
    dated by the first of ``(*intermediate, end)`` in which it appears. ``notes`` are Chinese
    sentences for the scorecard's ``vintages.notes``.
    """

    start: date
    end: date
    intermediate: tuple[date, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def select_vintages(
    vintages: Sequence[date], start: date, end: date | None, *, what: str = "土地利用"
) -> VintageSelection:
    """Select the vintages of a tenure from ``start`` to ``end`` (None = still in office).

    Start: the latest vintage on or before ``start`` (the earliest, with a note, when none
    precedes it). End: the latest on or before ``end``; in office, the latest of all.

    >>> vs = [date(2018, 12, 31), date(2020, 12, 31), date(2023, 12, 31)]
    >>> s = select_vintages(vs, date(2019, 3, 1), None)
    >>> (s.start.year, s.end.year, [v.year for v in s.intermediate])
    (2018, 2023, [2020])
    """
    ordered = sorted(set(vintages))
    if not ordered:
        raise InputError(
            f"数据包中没有{what}年度数据，无法评价任期。请在 package.yaml 中登记至少两期数据。"
        )
    notes: list[str] = []
    before_start = [v for v in ordered if v <= start]
    if before_start:
        start_v = before_start[-1]
    else:
        start_v = ordered[0]
        notes.append(
            f"任期开始日期 {start.isoformat()} 之前没有{what}数据，"
            f"期初采用最早一期 {start_v.isoformat()} 的数据。"
        )
    if end is None:
        end_v = ordered[-1]
    else:
        before_end = [v for v in ordered if v <= end]
        end_v = before_end[-1] if before_end else ordered[0]
    if end_v < start_v:
        end_v = start_v
    if end_v == start_v:
        notes.append(
            f"任期内没有晚于期初（{start_v.isoformat()}）的{what}数据，期初与期末为同一期，"
            "变化量均为零。"
        )
    intermediate = tuple(v for v in ordered if start_v < v < end_v)
    return VintageSelection(start_v, end_v, intermediate, tuple(notes))
