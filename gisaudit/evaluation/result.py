"""What one tenure's evaluation produces, in memory: the hand-off to reports and storage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd


@dataclass(frozen=True)
class TenureResult:
    """One tenure's evaluation.

    - ``scorecard``: the scorecard as a JSON-ready dict, valid against
      ``scorecard.schema.json`` (schema ``gisaudit.scorecard/1``).
    - ``transitions``: columns ``from_group``, ``to_group``, ``area_ha`` — every non-zero cell
      of the group transition matrix, diagonal included, sorted by (from_group, to_group).
    - ``account``: SEEA-style asset account per theme, columns ``theme``, ``name``,
      ``opening_ha``, ``additions_ha``, ``reductions_ha``, ``closing_ha``.
    - ``changes``: change polygons (from != to) in the package CRS with columns
      ``from_code``, ``to_code``, ``from_group``, ``to_group``, ``area_m2`` (ellipsoidal),
      ``change_vintage`` (date), ``geometry``.
    - ``district``: one-row GeoDataFrame of the district (package CRS).
    - ``start_landuse`` / ``end_landuse``: the district's patches at the start and end vintage
      (columns ``code``, ``geometry``), for theme maps — or a function returning them, so
      that they are decoded only when a map or figure asks: read them with ``landuse()``.
    - ``leads``: GeoDataFrame of leads (empty until the leads engine exists).
    """

    tenure_id: str
    district_code: str
    start_vintage: date
    end_vintage: date
    scorecard: dict[str, Any]
    transitions: pd.DataFrame
    account: pd.DataFrame
    changes: gpd.GeoDataFrame
    district: gpd.GeoDataFrame
    start_landuse: gpd.GeoDataFrame | Callable[[], gpd.GeoDataFrame]
    end_landuse: gpd.GeoDataFrame | Callable[[], gpd.GeoDataFrame]
    leads: gpd.GeoDataFrame | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    _decoded: dict[str, gpd.GeoDataFrame] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def landuse(self, side: str) -> gpd.GeoDataFrame:
        """The district's patches at ``side`` ``"start"`` or ``"end"`` (``code``, ``geometry``),
        decoded on first use and kept until ``forget_decoded``."""
        value = getattr(self, f"{side}_landuse")
        if not callable(value):
            return value
        if side not in self._decoded:
            self._decoded[side] = value()
        return self._decoded[side]

    def forget_decoded(self) -> None:
        """Drop the decoded land use (a district's patches as shapely objects: hundreds of MB
        at survey size); ``landuse`` decodes it again if asked. ``evaluate_package`` calls
        this once a tenure's outputs are written, so a run over many tenures holds one
        tenure's patches at a time."""
        self._decoded.clear()
