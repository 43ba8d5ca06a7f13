"""Parsing shared query values: bounding boxes, OGC datetime intervals, If-Match."""

from __future__ import annotations

from datetime import date

from api.errors import InvalidParameterError, PreconditionRequiredError
from gisaudit.errors import StaleUpdateError

BBox = tuple[float, float, float, float]


def parse_bbox(text: str | None) -> BBox | None:
    """``minx,miny,maxx,maxy`` (lon/lat; 6 numbers = 3D, heights ignored) -> tuple, or None."""
    if text is None or not text.strip():
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(v == v and abs(v) != float("inf") for v in values):
        raise InvalidParameterError(
            f"范围 bbox=“{text}” 不正确：应为 最小经度,最小纬度,最大经度,最大纬度。"
        )
    minx, miny, maxx, maxy = values
    if (
        minx > maxx
        or miny > maxy
        or not (-180 <= minx <= 180 and -180 <= maxx <= 180)
        or not (-90 <= miny <= 90 and -90 <= maxy <= 90)
    ):
        raise InvalidParameterError(
            f"范围 bbox=“{text}” 不正确：经度应在 −180–180、纬度在 −90–90 之间，"
            "且最小值不大于最大值。"
        )
    return minx, miny, maxx, maxy


def _instant(text: str) -> date | None:
    text = text.strip()
    if text in ("", ".."):
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise InvalidParameterError(
            f"时间 datetime 中的“{text}”不是日期。"
            "请写成 2023-12-31、2018-01-01/2023-12-31 或 ../2023-12-31。"
        ) from exc


def parse_datetime(text: str | None) -> tuple[date | None, date | None] | None:
    """An OGC ``datetime`` (instant or ``start/end`` with ``..`` open ends) as inclusive dates."""
    if text is None or not text.strip():
        return None
    if "/" in text:
        start_text, _, end_text = text.partition("/")
        start, end = _instant(start_text), _instant(end_text)
        if start is not None and end is not None and start > end:
            raise InvalidParameterError(
                f"时间 datetime=“{text}” 的开始晚于结束。"
                "请把较早的日期写在前面，如 2018-01-01/2023-12-31。"
            )
        return start, end
    day = _instant(text)
    return day, day


def parse_if_match(value: str | None) -> int | None:
    """The version in ``If-Match`` (``"3"``, ``W/"3"`` or ``3``); None for ``*``.

    PreconditionRequiredError (428) when absent; StaleUpdateError (412) when it is no version.
    """
    if value is None or not value.strip():
        raise PreconditionRequiredError(
            "修改疑点必须带 If-Match 请求头（值为读取疑点时得到的 ETag），以免覆盖他人的修改。"
            "请先 GET 该疑点，再带上其 ETag 提交。"
        )
    text = value.strip()
    if text == "*":
        return None
    text = text.removeprefix("W/").strip('"')
    if not text.isdigit():
        raise StaleUpdateError(f"If-Match “{value}” 与疑点的当前版本不符。请刷新后重新操作。")
    return int(text)


def etag(version: int) -> str:
    """The ETag of a lead version."""
    return f'"{version}"'
