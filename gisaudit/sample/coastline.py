"""Coastline of 滨海新区 per vintage (AXLX), with natural segments turning artificial over time."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.ops import substring

from gisaudit.geodesy import geodesic_length_m
from gisaudit.sample.character import characters

NATURAL_TYPES = ("淤泥质岸线", "生物岸线")


@dataclass
class Coast:
    """The coast line and its typed stretches ``(start_m, end_m, AXLX)`` along it."""

    line: shapely.LineString
    stretches: list[tuple[float, float, str]]

    def frame(self, crs: str) -> gpd.GeoDataFrame:
        """The stretches as a line layer with field AXLX."""
        geoms = [substring(self.line, a, b) for a, b, _ in self.stretches]
        types = [t for _, _, t in self.stretches]
        ids = [f"AX{i:04d}" for i in range(1, len(geoms) + 1)]
        return gpd.GeoDataFrame({"BSM": ids, "AXLX": types}, geometry=geoms, crs=crs)

    def set_type(self, a: float, b: float, kind: str) -> None:
        """Give the stretch from ``a`` to ``b`` metres along the line the type ``kind``."""
        out = []
        for s0, s1, t in self.stretches:
            if s1 <= a or s0 >= b:
                out.append((s0, s1, t))
                continue
            if s0 < a:
                out.append((s0, a, t))
            out.append((max(s0, a), min(s1, b), kind))
            if s1 > b:
                out.append((b, s1, t))
        self.stretches = out

    def natural_share(self) -> float:
        """Planar share of natural stretches (0..1)."""
        nat = sum(b - a for a, b, t in self.stretches if t in NATURAL_TYPES)
        return nat / self.line.length


def initial_coast(line: shapely.LineString, rng: np.random.Generator) -> Coast:
    """2018 coast: mostly 人工岸线, some 淤泥质/生物 natural stretches, 河口岸线 at the 海河."""
    total = line.length
    cuts = [0.0]
    while cuts[-1] < total:
        cuts.append(min(total, cuts[-1] + float(rng.uniform(2500, 7000))))
    stretches = []
    for a, b in itertools.pairwise(cuts):
        kind = "人工岸线"
        if rng.random() < 0.22:
            kind = NATURAL_TYPES[int(rng.random() < 0.35)]
        stretches.append((a, b, kind))
    # 河口岸线 where the 海河 meets the sea
    lon, lat = characters()["coast"]["haihe_mouth"]
    x, y = Transformer.from_crs("EPSG:4490", "EPSG:4527", always_xy=True).transform(lon, lat)
    at = float(line.project(shapely.Point(x, y)))
    coast = Coast(line, stretches)
    coast.set_type(max(0.0, at - 600), min(total, at + 600), "河口岸线")
    # at least two natural stretches long enough to lose a piece of later
    longest = sorted(range(len(coast.stretches)), key=lambda i: -(
        coast.stretches[i][1] - coast.stretches[i][0]))
    natural = [i for i in longest if coast.stretches[i][2] in NATURAL_TYPES]
    for i in longest:
        if len(natural) >= 3:
            break
        if coast.stretches[i][2] == "人工岸线":
            a, b, _ = coast.stretches[i]
            coast.stretches[i] = (a, b, "淤泥质岸线")
            natural.append(i)
    return coast


def lose_natural(coast: Coast, rng: np.random.Generator) -> tuple[float, float] | None:
    """Turn a 1.5-4 km piece of a natural stretch into 人工岸线; returns (start_m, end_m)."""
    natural = [(a, b) for a, b, t in coast.stretches if t in NATURAL_TYPES and b - a > 2500]
    if not natural:
        return None
    a, b = natural[int(rng.integers(len(natural)))]
    length = min(b - a - 200, float(rng.uniform(1500, 4000)))
    start = a + float(rng.uniform(0, b - a - length))
    coast.set_type(start, start + length, "人工岸线")
    return start, start + length


MEANDER_AMPLITUDE_M = 75.0  # stays inside the spec's 100 m district buffer
MEANDER_WAVELENGTH_M = 300.0


def meander(line: shapely.LineString) -> shapely.LineString:
    """The coast with tidal-creek-like meanders across the boundary line (deterministic).

    The district boundary is a generalised line (about 117 km along 滨海新区's sea side); the
    surveyed coast wiggles around it (about 150 km in reality). Vertices every 10 m are moved
    ±75 m along the smoothed normal, so the coast stays within 100 m of the boundary.
    """
    dense = shapely.segmentize(line, 10.0)
    xy = shapely.get_coordinates(dense)
    if len(xy) < 5:
        return line
    step = np.hypot(*np.diff(xy, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(step)])
    # tangent over a ±60 m window, so corners of the boundary don't flip the normal
    k = 6
    ahead = xy[np.minimum(np.arange(len(xy)) + k, len(xy) - 1)]
    behind = xy[np.maximum(np.arange(len(xy)) - k, 0)]
    tangent = ahead - behind
    tangent /= np.maximum(np.hypot(*tangent.T), 1e-9)[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    envelope = 0.75 + 0.25 * np.sin(2 * np.pi * s / 4100.0)
    offset = MEANDER_AMPLITUDE_M * envelope * np.sin(2 * np.pi * s / MEANDER_WAVELENGTH_M)
    offset[[0, -1]] = 0.0
    return shapely.LineString(xy + normal * offset[:, None])


def coast_vintages(
    line: shapely.LineString, years: list[int], loss_years: list[int], rng: np.random.Generator,
    crs: str,
) -> tuple[dict[int, gpd.GeoDataFrame], gpd.GeoDataFrame]:
    """Coastline layer per vintage and the lost natural pieces (truth layer planted_coast)."""
    line = meander(line)
    coast = initial_coast(line, rng)
    frames, lost = {}, []
    for year in years:
        if year in loss_years:
            piece = lose_natural(coast, rng)
            if piece is not None:
                lost.append((year, substring(line, *piece)))
        frames[year] = coast.frame(crs)
    geoms = [g for _, g in lost]
    truth = gpd.GeoDataFrame({
        "id": [f"C{year}-{i:03d}" for i, (year, _) in enumerate(lost, 1)],
        "expected_rules": ["natural_coastline_loss"] * len(lost),
        "district_code": [characters()["coast"]["district"]] * len(lost),
        "change_vintage": [f"{year}-12-31" for year, _ in lost],
        "length_m": np.round(geodesic_length_m(np.array(geoms, dtype=object), crs), 2)
        if geoms else [],
    }, geometry=geoms, crs=crs)
    return frames, truth
