"""One district's change between two vintages: overlay pieces plus the zones, ready to query."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gisaudit.change import transitions as tr
from gisaudit.change.dating import date_changes
from gisaudit.change.district import DATING_COLUMNS, DistrictPatches, district_patches
from gisaudit.change.overlay import overlay_district_patches
from gisaudit.change.vintages import VintageSelection
from gisaudit.errors import InputError
from gisaudit.geodesy import ellipsoidal_area_m2, to_ha
from gisaudit.layers.classes import LandClassTable, default_class_table
from gisaudit.layers.facts import measured
from gisaudit.layers.model import AuditPackage
from gisaudit.layers.zone_areas import area_inside_m2
from gisaudit.layers.zone_store import ZoneParts, district_zone_parts


@dataclass
class ChangeSet:
    """The change in one district from ``start`` to ``end``.

    ``pieces``: overlay pieces (see ``gisaudit.change.overlay.overlay_district_patches``:
    an unchanged patch matched by identity has no geometry here) plus ``change_vintage``.
    ``start_district`` / ``end_district``: the district's patches of the two vintages.
    ``zones``: zone kind -> the zone's single polygons meeting the district, not unioned
    (``gisaudit.layers.zone_store.ZoneParts``: asked for near some geometries; approvals:
    only those approved on or before the end vintage); a kind absent from the package is
    absent here.
    Area methods return m²; ``zone``/``inside`` restrict to inside or outside a zone.
    """

    district_code: str
    district: shapely.Geometry
    district_area_m2: float
    crs: CRS
    start: date
    end: date
    pieces: gpd.GeoDataFrame
    start_district: DistrictPatches
    end_district: DistrictPatches
    zones: dict[str, ZoneParts]
    table: LandClassTable = field(default_factory=default_class_table)
    _zone_area: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _kept: dict[tuple, object] = field(default_factory=dict, repr=False)

    @functools.cached_property
    def split(self) -> pd.DataFrame:
        """Ridge split of the pieces (``gisaudit.change.transitions.ridge_split``)."""
        return tr.ridge_split(self.pieces)

    @property
    def covered_m2(self) -> float:
        """Total area of the pieces (where both vintages cover the district), m²."""
        return float(self.pieces["area_m2"].sum())

    @property
    def start_patches(self) -> gpd.GeoDataFrame:
        """The district's patches at the start (``bsm``, ``code``, ``kcxs``, ``geometry``)."""
        return self.start_district.frame()

    @property
    def end_patches(self) -> gpd.GeoDataFrame:
        """The district's patches at the end (``bsm``, ``code``, ``kcxs``, ``geometry``)."""
        return self.end_district.frame()

    def zone_area_m2(self, zone: str) -> np.ndarray:
        """Area in m² of each piece inside ``zone`` (KeyError if the zone is missing).

        Pieces matched by identity carry their patch's measured zone area; the others are
        measured here against the district's zone polygons.
        """
        if zone not in self._zone_area:
            column = f"zone_{zone}_m2"
            known = (
                self.pieces[column].to_numpy(dtype=float)
                if column in self.pieces
                else np.full(len(self.pieces), np.nan)
            )
            todo = np.flatnonzero(np.isnan(known))
            out = np.where(np.isnan(known), 0.0, known)
            geoms = self.pieces.geometry.to_numpy()[todo]
            parts = self.zones[zone].near(geoms)
            out[todo] = area_inside_m2(
                geoms,
                self.pieces["area_m2"].to_numpy(dtype=float)[todo],
                parts,
                self.crs,
            )
            self._zone_area[zone] = out
        return self._zone_area[zone]

    def base_m2(self, zone: str | None = None, inside: bool = True) -> np.ndarray:
        """Area of each piece to count: whole, inside ``zone`` or outside it (m²)."""
        whole = self.pieces["area_m2"].to_numpy(dtype=float)
        if zone is None:
            return whole
        within = self.zone_area_m2(zone)
        return within if inside else np.maximum(whole - within, 0.0)

    def theme_area_m2(
        self, selector: str, side: str, zone: str | None = None, inside: bool = True
    ) -> float:
        """Area of a theme at the start (``side="from"``) or end (``"to"``), m²."""
        by_codes = self._by_codes(zone, inside)
        mask = self._code_mask(side, selector)
        return float((by_codes[mask] if side == "from" else by_codes[:, mask]).sum())

    def transition_area_m2(
        self, from_selector: str, to_selector: str, zone: str | None = None, inside: bool = True
    ) -> float:
        """Area that is ``from_selector`` at the start and ``to_selector`` at the end, m²."""
        by_codes = self._by_codes(zone, inside)
        rows, cols = self._code_mask("from", from_selector), self._code_mask("to", to_selector)
        return float(by_codes[np.ix_(rows, cols)].sum())

    def _by_codes(self, zone: str | None, inside: bool) -> np.ndarray:
        """Area (m²) of the ridge-split flows summed by (start code, end code): a matrix over
        the codes present (``_codes``), whole or inside/outside ``zone`` (kept). Every theme
        and transition area is a sum of its cells: the flows are added up once, not once per
        indicator."""
        key = ("by_codes", zone, inside if zone is not None else True)
        if key not in self._kept:
            flows = tr.flow_areas_m2(self.split, self.base_m2(zone, inside))
            f_inv, f_codes = self._codes("from")
            t_inv, t_codes = self._codes("to")
            cells = np.bincount(
                f_inv * len(t_codes) + t_inv, weights=flows, minlength=len(f_codes) * len(t_codes)
            )
            self._kept[key] = cells.reshape(len(f_codes), len(t_codes))
        return self._kept[key]

    def _codes(self, side: str) -> tuple[np.ndarray, pd.Index]:
        """The split flows' codes on one side, factorised: (position of each flow's code,
        the distinct codes) (kept)."""
        key = ("codes", side)
        if key not in self._kept:
            inverse, uniques = pd.factorize(self.split[f"{side}_code"], use_na_sentinel=False)
            self._kept[key] = (np.asarray(inverse, dtype=np.int64), uniques)
        return self._kept[key]

    def _code_mask(self, side: str, selector: str) -> np.ndarray:
        """Which distinct codes of one side (``_codes``) match a theme selector (kept)."""
        key = ("mask", side, selector)
        if key not in self._kept:
            uniques = self._codes(side)[1]
            self._kept[key] = tr.selector_mask(pd.Series(uniques), selector, self.table)
        return self._kept[key]

    def transition_matrix(self) -> pd.DataFrame:
        """Group transition matrix (``from_group``, ``to_group``, ``area_ha``), non-zero cells."""
        return tr.transition_matrix(self.split, self.base_m2(), self.table)

    def theme_areas_ha(self, side: str) -> dict[str, float]:
        """Area of every theme of the class table on one side, ha."""
        return {t: float(to_ha(self.theme_area_m2(t, side))) for t in self.table.themes}

    def changes(self) -> gpd.GeoDataFrame:
        """Changed pieces (code differs) with groups, ``area_m2`` and ``change_vintage``."""
        changed = self.pieces[self.pieces["from_code"] != self.pieces["to_code"]]
        return gpd.GeoDataFrame(
            {
                "from_code": changed["from_code"].astype(str).to_numpy(),
                "to_code": changed["to_code"].astype(str).to_numpy(),
                "from_group": self.table.groups_of(changed["from_code"].astype(str)).to_numpy(),
                "to_group": self.table.groups_of(changed["to_code"].astype(str)).to_numpy(),
                "area_m2": changed["area_m2"].to_numpy(dtype=float),
                "change_vintage": changed["change_vintage"].to_numpy(),
            },
            geometry=changed.geometry.to_numpy(),
            crs=self.crs,
        )


def build_changeset(
    package: AuditPackage,
    district_code: str,
    selection: VintageSelection,
    table: LandClassTable | None = None,
    *,
    reuse: dict | None = None,
) -> ChangeSet:
    """Overlay the start and end vintages inside one district and date the changes.

    ``reuse``: a dict kept between calls (e.g. ``EvaluationCache.parts``) in which the
    district's patches of each vintage and its zones are kept, so tenures sharing a vintage
    select it once.
    """
    table = table or default_class_table()
    reuse = {} if reuse is None else reuse
    row = package.districts[package.districts["district_code"] == district_code]
    if row.empty:
        raise InputError(f"数据包中没有行政区 {district_code}，请检查区划图层或任期表。")
    district = row.geometry.iloc[0]
    crs = CRS.from_user_input(package.crs)
    area = (
        float(row["area_m2"].iloc[0])
        if "area_m2" in row.columns
        else float(ellipsoidal_area_m2([district], crs)[0])
    )

    def patches(vintage: date, light: bool = False) -> DistrictPatches:
        full = ("patches", district_code, vintage, False)
        if full in reuse:  # the full patches serve dating too
            return reuse[full]
        key = ("patches", district_code, vintage, light)
        if key not in reuse:
            columns = DATING_COLUMNS if light else None
            reuse[key] = district_patches(measured(package, vintage), district_code, columns)
        return reuse[key]

    start_patches = patches(selection.start)
    end_patches = patches(selection.end)
    for vintage, found in ((selection.start, start_patches), (selection.end, end_patches)):
        if len(found) == 0:
            raise InputError(
                f"行政区 {district_code} 在 {vintage.isoformat()} 的土地利用数据中没有地类图斑，"
                "无法评价。请检查该期数据是否覆盖本区。"
            )
    pieces = overlay_district_patches(start_patches, end_patches, crs, list(package.zones))
    middle = [(v, patches(v, light=True)) for v in selection.intermediate]
    pieces["change_vintage"] = date_changes(
        pieces, selection.end, middle, table, sources=(start_patches, end_patches)
    )
    zones = {}
    for kind in package.zones:
        key = ("zone", district_code, kind, selection.end if kind == "approvals" else None)
        if key not in reuse:
            reuse[key] = district_zone_parts(package.zones, kind, district, selection.end)
        zones[kind] = reuse[key]
    return ChangeSet(
        district_code=district_code,
        district=district,
        district_area_m2=area,
        crs=crs,
        start=selection.start,
        end=selection.end,
        pieces=pieces,
        start_district=start_patches,
        end_district=end_patches,
        zones=zones,
        table=table,
    )
