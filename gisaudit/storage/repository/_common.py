"""Shared helpers of the repository: error wrapping, pages, value conversion, write transactions."""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, ParamSpec, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy.exc import SAWarning, SQLAlchemyError
from sqlalchemy.orm import Session

from gisaudit.errors import StorageError
from gisaudit.storage.db import WRITE_OPTION, describe_error

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

SYSTEM_USER = "系统"


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: ``items`` and the ``total`` count matching the filters."""

    items: list[T]
    total: int
    limit: int
    offset: int


def storage_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn any SQLAlchemyError raised by ``fn`` into a StorageError with a Chinese message."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except SQLAlchemyError as exc:
            message = f"数据库读写失败：{describe_error(exc)}。请检查数据库后重试。"
            raise StorageError(message) from exc

    return wrapper


def begin_write(session: Session) -> None:
    """Start the session's transaction as a write transaction (SQLite: ``BEGIN IMMEDIATE``).

    Has no effect when the session is already connected (its transaction then stays as it began).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        session.connection(execution_options={WRITE_OPTION: True})


def as_list(value: str | Sequence[str] | None) -> list[str] | None:
    """``None`` stays None; one string becomes a one-item list."""
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def is_missing(value: Any) -> bool:
    """None, NaN or NaT."""
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return False


def to_float(value: Any) -> float | None:
    """A plain float, or None for a missing value."""
    return None if is_missing(value) else float(value)


def to_date(value: Any) -> date | None:
    """A ``date`` from a date, datetime, pandas Timestamp or ISO string; None when missing."""
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def plain(value: Any) -> Any:
    """A JSON-ready copy: numpy scalars to Python, NaN to None, dates to ISO strings."""
    if is_missing(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, date):  # datetime and Timestamp too
        return value.isoformat()
    return value
