"""Annual changes of a district's land use (data/changes.yaml), like the annual change survey.

A change is a *region*: whole patches grown from a seed over neighbours of the same kind, a
piece inside one patch, or a new road strip. Regions keep ``spacing_m`` away from each other
(an occupancy grid of 50 m cells, conservative by bounding box), so their leads never merge.
Unchanged patches keep geometry and BSM; changed and split patches get new BSMs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any

import numpy as np
import shapely
import yaml
from rasterio import features, transform

from gisaudit.layers.classes import default_class_table

CELL = 50.0
# whole-patch regions at least this big: clear of every rule's minimum area with margin
MIN_REGION_M2 = 2600.0


@functools.cache
def change_spec() -> dict[str, Any]:
    """The parsed changes.yaml."""
    text = resources.files("gisaudit.sample").joinpath("data/changes.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@dataclass
class DistrictState:
    """The current vintage of one district as parallel arrays, plus change bookkeeping."""

    code: str
    boundary: shapely.Geometry
    geom: np.ndarray
    dlbm: np.ndarray
    bsm: np.ndarray
    kcxs: np.ndarray
    zldwdm: np.ndarray
    pbf: np.ndarray
    redline: np.ndarray
    locked: np.ndarray
    serial: int = 0
    grid: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    grid_tf: Any = None

    def __post_init__(self) -> None:
        if self.grid is None:
            minx, miny, maxx, maxy = self.boundary.bounds
            w = int(np.ceil((maxx - minx) / CELL)) + 1
            h = int(np.ceil((maxy - miny) / CELL)) + 1
            self.grid = np.zeros((h, w), dtype=np.uint8)
            self.grid_tf = transform.from_origin(minx, maxy, CELL, CELL)

    def new_bsm(self, year: int) -> str:
        """A fresh 标识码 for a patch first appearing in ``year``."""
        self.serial += 1
        return f"{self.code}{year}{self.serial:07d}"

    def blocked(self, geom: shapely.Geometry) -> bool:
        """True when ``geom``'s bounding box touches the buffer of an earlier region."""
        minx, miny, maxx, maxy = geom.bounds
        inv = ~self.grid_tf
        c0, r0 = inv @ (minx, maxy)
        c1, r1 = inv @ (maxx, miny)
        r0, c0 = max(int(r0), 0), max(int(c0), 0)
        return bool(self.grid[r0:int(r1) + 1, c0:int(c1) + 1].any())

    def occupy(self, geom: shapely.Geometry, spacing: float) -> None:
        """Mark ``geom`` buffered by ``spacing`` as taken."""
        features.rasterize([(shapely.buffer(geom, spacing + CELL, quad_segs=2), 1)],
                           out=self.grid, transform=self.grid_tf, all_touched=True,
                           merge_alg=features.MergeAlg.replace)


@dataclass
class Region:
    """One change of one vintage: what was there, what is there now, and the context."""

    scenario: dict[str, Any]
    geometry: shapely.Geometry
    from_area: dict[str, float]  # code -> planar m²
    to_code: str
    pbf: bool
    redline: bool
    approved: bool
    planted: bool
    district_code: str
    vintage: date
    pieces: list[tuple[int, shapely.Geometry | None]]  # (patch index, piece or None = whole)
    # what is left of a cut patch, when computed with its piece (a road's); else patch − piece
    rests: dict[int, shapely.Geometry] = field(default_factory=dict)


def _codes_of(sel: Any) -> set[str] | None:
    """Resolve a scenario's ``from`` into a set of codes (None = any)."""
    table = default_class_table()
    if sel == "any":
        return None
    if isinstance(sel, str) and sel.startswith("theme:"):
        bases = table.theme_codes(sel.removeprefix("theme:"))
        return {c for c in table.names if table.base(c) in bases}
    return {str(c) for c in sel}


@functools.cache
def _signature(code: str) -> tuple[bool, ...]:
    table = default_class_table()
    return tuple(table.in_theme(code, t) for t in
                 ("farmland", "forest_land", "water", "wetland", "tidal_flat", "construction",
                  "nongrain"))


def _is_built(code: str) -> bool:
    return default_class_table().in_theme(code, "construction") and code != "1003"


def _is_wetland(code: str) -> bool:
    return default_class_table().group(code) == "wetland"


class Planner:
    """Plans the regions of one district for one vintage on a DistrictState."""

    def __init__(self, state: DistrictState, vintage: date, rng: np.random.Generator) -> None:
        self.s = state
        self.vintage = vintage
        self.rng = rng
        self.tree = shapely.STRtree(state.geom)
        self.spacing = float(change_spec()["spacing_m"])
        self.regions: list[Region] = []
        self.touched = 0

    # -- candidate patches ----------------------------------------------------------------
    def _eligible(self, sc: dict[str, Any]) -> np.ndarray:
        s = self.s
        codes = _codes_of(sc["from"])
        ok = ~s.locked
        if codes is not None:
            ok &= np.isin(s.dlbm, list(codes))
        for zone, flags in (("pbf", s.pbf), ("redline", s.redline)):
            want = sc.get(zone, False)
            if want != "any":
                ok &= flags == bool(want)
        return ok

    def _neighbours(self, i: int) -> np.ndarray:
        cand = self.tree.query(self.s.geom[i], predicate="intersects")
        cand = cand[cand != i]
        if not len(cand):
            return cand
        shared = shapely.length(shapely.intersection(self.s.geom[cand], self.s.geom[i]))
        return cand[shared > 1.0]

    def _near_ok(self, i: int, near: str | None) -> bool:
        if not near:
            return True
        test = _is_built if near == "built" else _is_wetland
        return any(test(self.s.dlbm[j]) for j in self._neighbours(i))

    # -- region makers ----------------------------------------------------------------------
    def _grow(self, sc: dict[str, Any], seed: int, ok: np.ndarray) -> list[int]:
        target = int(self.rng.integers(sc["patches"][0], sc["patches"][1] + 1))
        sig = (_signature(self.s.dlbm[seed]), self.s.pbf[seed], self.s.redline[seed])
        chosen = [seed]
        frontier = [seed]
        while frontier and len(chosen) < target:
            cur = frontier.pop(0)
            for j in self._neighbours(cur):
                if len(chosen) >= target:
                    break
                if j in chosen or not ok[j]:
                    continue
                if (_signature(self.s.dlbm[j]), self.s.pbf[j], self.s.redline[j]) != sig:
                    continue
                if self.s.blocked(self.s.geom[j]):
                    continue
                chosen.append(int(j))
                frontier.append(int(j))
        return chosen

    def _inside_piece(self, sc: dict[str, Any], i: int) -> shapely.Geometry | None:
        lo, hi = sc["area_m2"]
        target = float(self.rng.uniform(lo, hi))
        patch = self.s.geom[i]
        core = shapely.buffer(patch, -5.0)
        if core.is_empty or core.area < 3 * target:
            return None
        p = shapely.point_on_surface(core)
        aspect = float(self.rng.uniform(1.0, 2.5))
        w = np.sqrt(target / aspect)
        rect = shapely.box(p.x - w * aspect / 2, p.y - w / 2, p.x + w * aspect / 2, p.y + w / 2)
        rect = shapely.affinity.rotate(rect, float(self.rng.uniform(0, 180)), origin=p)
        piece = shapely.intersection(rect, core)
        if piece.geom_type != "Polygon" or not (lo <= piece.area <= hi):
            return None
        return piece

    def _road(
        self, sc: dict[str, Any], ok: np.ndarray
    ) -> tuple[list[tuple[int, shapely.Geometry]], dict[int, shapely.Geometry]]:
        """A new road strip's pieces of the patches it crosses, and what is left of each.

        The rest is the patch minus the strip (plus the strip's crumbs under 20 m², which stay
        with the patch), not the patch minus its computed piece: the piece's vertices on the
        patch's own edges are float-rounded, so subtracting it leaves zero-width spikes along
        those edges that a real survey's topology check rejects (and that old GEOS predicates,
        e.g. PostGIS 3.3 on GEOS 3.11, fail on)."""
        minx, miny, maxx, maxy = self.s.boundary.bounds
        length = float(self.rng.uniform(3000, 12000))
        width = float(self.rng.uniform(14, 24))
        x0 = self.rng.uniform(minx, maxx)
        y0 = self.rng.uniform(miny, maxy)
        a = self.rng.uniform(0, np.pi)
        line = shapely.LineString([(x0, y0), (x0 + np.cos(a) * length, y0 + np.sin(a) * length)])
        strip = shapely.buffer(line, width / 2, cap_style="flat")
        pieces, rests = [], {}
        for i in self.tree.query(strip, predicate="intersects"):
            if not ok[i] or _is_wetland(self.s.dlbm[i]):
                continue
            parts = shapely.get_parts(shapely.intersection(self.s.geom[i], strip))
            big = shapely.area(parts) > 20.0
            if not big.any():
                continue
            piece = shapely.union_all(parts[big])
            if self.s.blocked(piece):
                continue
            rest = shapely.difference(self.s.geom[i], strip)
            if not big.all():
                rest = shapely.union_all([rest, *parts[~big]])
            pieces.append((int(i), piece))
            rests[int(i)] = rest
        return pieces, rests

    # -- planning -------------------------------------------------------------------------------
    def try_place(self, sc: dict[str, Any], planted: bool, tries: int = 60) -> Region | None:
        """Place one region of scenario ``sc``; None when no room was found."""
        ok = self._eligible(sc)
        idx = np.flatnonzero(ok)
        if not len(idx):
            return None
        if sc["shape"] == "road":
            pieces, rests = self._road(sc, ok)
            if len(pieces) < 3:
                return None
            return self._accept(sc, planted, pieces, rests)
        for i in self.rng.permutation(idx)[:tries]:
            i = int(i)
            if self.s.blocked(self.s.geom[i]) or not self._near_ok(i, sc.get("near")):
                continue
            if sc["shape"] == "inside":
                piece = self._inside_piece(sc, i)
                if piece is not None:
                    return self._accept(sc, planted, [(i, piece)])
            else:
                chosen = self._grow(sc, i, ok)
                area = float(shapely.area(self.s.geom[chosen]).sum())
                if len(chosen) >= sc["patches"][0] and area >= MIN_REGION_M2:
                    return self._accept(sc, planted, [(j, None) for j in chosen])
        return None

    def _accept(self, sc: dict[str, Any], planted: bool,
                pieces: list[tuple[int, shapely.Geometry | None]],
                rests: dict[int, shapely.Geometry] | None = None) -> Region:
        s = self.s
        geoms = [s.geom[i] if g is None else g for i, g in pieces]
        from_area: dict[str, float] = {}
        for (i, _), g in zip(pieces, geoms, strict=True):
            from_area[s.dlbm[i]] = from_area.get(s.dlbm[i], 0.0) + float(g.area)
        codes = list(sc["to"])
        w = np.array([sc["to"][c] for c in codes], dtype=float)
        to_code = str(codes[self.rng.choice(len(codes), p=w / w.sum())])
        first = pieces[0][0]
        region = Region(sc, shapely.union_all(geoms), from_area, to_code, bool(s.pbf[first]),
                        bool(s.redline[first]), bool(sc.get("approved", False)), planted,
                        s.code, self.vintage, pieces, rests or {})
        for i, _ in pieces:
            s.locked[i] = True
        s.occupy(region.geometry, self.spacing)
        self.regions.append(region)
        self.touched += len(pieces)
        return region


def apply_regions(state: DistrictState, regions: list[Region], year: int) -> None:
    """Rewrite ``state`` into the next vintage: regions get their new class, split patches
    their remainders; all new patches get new BSMs. Region patches stay locked."""
    s = state
    drop: set[int] = set()
    add_geom, add_code, add_kcxs, add_zl, add_pbf, add_red, add_lock = [], [], [], [], [], [], []
    farmland = default_class_table().theme_codes("farmland")
    rng = np.random.default_rng(year * 7919 + int(s.code))

    def add(g: shapely.Geometry, code: str, kcxs: float, zl: str, pbf: bool, red: bool,
            lock: bool) -> None:
        for part in shapely.get_parts(g):
            if part.geom_type != "Polygon" or part.area <= 0:
                continue
            add_geom.append(part)
            add_code.append(code)
            add_kcxs.append(kcxs)
            add_zl.append(zl)
            add_pbf.append(pbf)
            add_red.append(red)
            add_lock.append(lock)

    for region in regions:
        first = region.pieces[0][0]
        kcxs = round(float(rng.uniform(0.01, 0.06)), 2) if \
            default_class_table().base(region.to_code) in farmland else 0.0
        for i, piece in region.pieces:
            drop.add(i)
            if piece is not None:
                rest = region.rests.get(i)
                rest = shapely.difference(s.geom[i], piece) if rest is None else rest
                add(rest, s.dlbm[i], float(s.kcxs[i]), s.zldwdm[i], bool(s.pbf[i]),
                    bool(s.redline[i]), False)
        add(region.geometry, region.to_code, kcxs, s.zldwdm[first], region.pbf, region.redline,
            True)
    keep = np.ones(len(s.geom), dtype=bool)
    keep[list(drop)] = False
    n_new = len(add_geom)
    new_bsm = [s.new_bsm(year) for _ in range(n_new)]
    s.geom = np.concatenate([s.geom[keep], np.array(add_geom, dtype=object)])
    s.dlbm = np.concatenate([s.dlbm[keep], np.array(add_code, dtype=object)])
    s.bsm = np.concatenate([s.bsm[keep], np.array(new_bsm, dtype=object)])
    s.kcxs = np.concatenate([s.kcxs[keep], np.array(add_kcxs, dtype=float)])
    s.zldwdm = np.concatenate([s.zldwdm[keep], np.array(add_zl, dtype=object)])
    s.pbf = np.concatenate([s.pbf[keep], np.array(add_pbf, dtype=bool)])
    s.redline = np.concatenate([s.redline[keep], np.array(add_red, dtype=bool)])
    s.locked = np.concatenate([s.locked[keep], np.array(add_lock, dtype=bool)])
