"""Parcel-like tessellation of one district: exact by construction (shared edges are identical).

Method: Voronoi *edges* of a jittered, stretched grid of seed points (some edges dropped so
cells merge into irregular parcels), segmentized and warped by a smooth displacement field
(a sum of sinusoids whose total gradient stays below 0.5, so the warp never folds), plus
thin strips (roads, ditches, rivers) as the two sides of a flat-capped buffer. The line
network is clipped to the district, the district boundary added, the crossings noded and
the whole polygonized: every patch edge is then one line shared by both neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely import affinity

# share of Voronoi edges dropped so that neighbouring cells merge into irregular parcels
_DROP_SHARE = 0.12
# seed points per wanted patch (dropped edges merge cells, strips and the boundary split them)
_SEEDS_PER_PATCH = 1.47


@dataclass(frozen=True)
class Warp:
    """A smooth deterministic displacement field: sum of sinusoids (units: m)."""

    kx: np.ndarray
    ky: np.ndarray
    phase: np.ndarray
    amp_x: np.ndarray
    amp_y: np.ndarray

    @classmethod
    def random(cls, rng: np.random.Generator, spacing: float, terms: int = 4) -> Warp:
        """A warp for parcels of about ``spacing`` metres; max gradient 0.45 (never folds)."""
        wavelength = rng.uniform(1.5, 5.0, terms) * spacing
        angle = rng.uniform(0, np.pi, terms)
        k = 2 * np.pi / wavelength
        # sum over terms of amp * k bounds the gradient of each component
        weights = rng.uniform(0.5, 1.0, terms)
        amp = 0.45 * weights / weights.sum() / k / np.sqrt(2)
        sign = rng.choice([-1.0, 1.0], size=(2, terms))
        return cls(k * np.cos(angle), k * np.sin(angle), rng.uniform(0, 2 * np.pi, terms),
                   amp * sign[0], amp * sign[1] * rng.uniform(0.6, 1.0, terms))

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        """Displace an (n, 2) coordinate array."""
        out = np.array(xy, dtype=float, copy=True)
        for kx, ky, ph, ax, ay in zip(self.kx, self.ky, self.phase, self.amp_x, self.amp_y,
                                      strict=True):
            s = np.sin(xy[:, 0] * kx + xy[:, 1] * ky + ph)
            out[:, 0] += ax * s
            out[:, 1] += ay * np.cos(xy[:, 0] * ky - xy[:, 1] * kx + ph)
        return out


@dataclass(frozen=True)
class Tessellation:
    """Patches of one district. ``strip_kind[i]`` is the strip kind a patch lies in, or ''."""

    polygons: np.ndarray  # shapely Polygons
    strip_kind: np.ndarray  # object array of str


def seed_lines(area: shapely.Geometry, n: int, rng: np.random.Generator) -> tuple[np.ndarray, Warp]:
    """Warped, segmentized Voronoi edges for about ``n`` parcels covering ``area``."""
    spacing = float(np.sqrt(area.area / max(n, 1)))
    stretch = rng.uniform(1.3, 1.8)  # parcels longer than wide
    angle = float(rng.uniform(0, 180))
    centre = area.centroid
    # work in "parcel space": rotate the area so parcels are axis-aligned, then squeeze x
    local = affinity.scale(affinity.rotate(area, -angle, origin=centre), 1 / stretch, 1.0,
                           origin=centre)
    step = spacing / np.sqrt(_SEEDS_PER_PATCH)
    step_x, step_y = step, step  # isotropic in parcel space; stretched back later
    step_x /= np.sqrt(stretch)
    step_y /= np.sqrt(stretch)
    minx, miny, maxx, maxy = local.buffer(3 * step).bounds
    xs = np.arange(minx, maxx, step_x)
    ys = np.arange(miny, maxy, step_y)
    gx, gy = np.meshgrid(xs, ys)
    gx = gx + rng.uniform(-0.42, 0.42, gx.shape) * step_x
    gy = gy + rng.uniform(-0.42, 0.42, gy.shape) * step_y
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    near = local.buffer(2.5 * step)
    shapely.prepare(near)
    pts = pts[shapely.contains_xy(near, pts[:, 0], pts[:, 1])]
    edges = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(pts), only_edges=True, extend_to=near.envelope)
    )
    keep = rng.random(len(edges)) >= _DROP_SHARE
    edges = edges[keep]
    # back to world space
    edges = shapely.transform(edges, _to_world(centre.x, centre.y, stretch, angle))
    edges = shapely.segmentize(edges, max(spacing / 5.0, 5.0))
    warp = Warp.random(rng, spacing)
    return shapely.transform(edges, warp), warp


def _to_world(cx: float, cy: float, stretch: float, angle_deg: float):
    a = np.deg2rad(angle_deg)
    c, s = np.cos(a), np.sin(a)

    def f(xy: np.ndarray) -> np.ndarray:
        x = (xy[:, 0] - cx) * stretch
        y = xy[:, 1] - cy
        return np.column_stack([cx + c * x - s * y, cy + s * x + c * y])

    return f


@dataclass(frozen=True)
class Strip:
    """A road, ditch, canal or river: a centre line, a width (m) and the class code it gets."""

    centre: shapely.LineString
    width: float
    kind: str

    @property
    def polygon(self) -> shapely.Geometry:
        """The strip as a flat-capped buffer of its centre line."""
        return shapely.buffer(self.centre, self.width / 2, cap_style="flat", quad_segs=2)


def thin_strips(strips: list[Strip], spacing: float, area: float) -> list[Strip]:
    """Keep a share of the strips so that coarse tessellations are not dominated by them.

    Strips are listed by the caller in order of their families; every k-th of each kind is
    kept where k = spacing / 150 m (all of them at about 100 patches per km²).
    """
    keep_every = max(1, round(spacing / 150.0))
    out: list[Strip] = []
    seen: dict[str, int] = {}
    for strip in strips:
        i = seen.get(strip.kind, 0)
        seen[strip.kind] = i + 1
        if i % keep_every == 0:
            out.append(strip)
    return out


def _cross_cuts(strips: list[Strip], every: float) -> np.ndarray:
    """Short lines across each strip every ``every`` metres: they split a long strip."""
    cuts = []
    for strip in strips:
        length = strip.centre.length
        if length < 2 * every:
            continue
        d = np.arange(every / 2, length - every / 4, every)
        a = shapely.get_coordinates(shapely.line_interpolate_point(strip.centre, d - 1.0))
        b = shapely.get_coordinates(shapely.line_interpolate_point(strip.centre, d + 1.0))
        mid = (a + b) / 2
        t = (b - a) / np.linalg.norm(b - a, axis=1, keepdims=True)
        normal = np.column_stack([-t[:, 1], t[:, 0]]) * (strip.width / 2 + 1.0)
        cuts.append(shapely.linestrings(np.stack([mid - normal, mid + normal], axis=1)))
    return np.concatenate(cuts) if cuts else np.empty(0, dtype=object)


def tessellate(district: shapely.Geometry, n: int, rng: np.random.Generator,
               strips: list[Strip]) -> Tessellation:
    """Tessellate ``district`` into about ``n`` parcels plus the given strips.

    The strips' outlines become patch edges (parcel edges inside a strip are removed) and
    the patches inside a strip get the strip's kind in ``strip_kind``.
    """
    spacing = float(np.sqrt(district.area / max(n, 1)))
    strips = thin_strips(strips, spacing, district.area)
    # each km of strip adds about 2 / spacing patches (split parcels): ask for fewer parcels
    strip_km = sum(s.centre.intersection(district).length for s in strips) / 1000.0
    ratio = 3.0 * (spacing / 1000.0) * strip_km / (district.area / 1e6)
    edges, _ = seed_lines(district, max(1, round(n / (1.0 + ratio))), rng)
    cut_every = max(4 * spacing, 800.0)
    strip_polys = np.array([s.polygon for s in strips], dtype=object)
    strip_kinds = np.array([s.kind for s in strips], dtype=object)
    strip_centres = strips
    if len(strip_polys):
        strip_polys = shapely.intersection(strip_polys, district)
    strip_lines = shapely.get_parts(shapely.boundary(strip_polys)) if len(strip_polys) else \
        np.empty(0, dtype=object)

    shapely.prepare(district)
    inside = shapely.contains(district, edges)
    crossing = ~inside & shapely.intersects(district, edges)
    clean = edges[inside]
    to_node = [shapely.intersection(edges[crossing], district)]
    # edges inside strips are removed (a road is not cut by parcel edges); the rest of the
    # edges crossed by strips need noding, and each strip gets a cross-cut every few parcels
    if len(strip_lines):
        tree = shapely.STRtree(clean)
        si, ei = tree.query(strip_polys, predicate="intersects")
        mask = np.zeros(len(clean), dtype=bool)
        mask[ei] = True
        cut = clean.copy()
        for s_idx, e_idx in zip(si, ei, strict=True):
            cut[e_idx] = shapely.difference(cut[e_idx], strip_polys[s_idx])
        to_node.append(cut[mask])
        clean = clean[~mask]
        to_node.append(strip_lines)
        to_node.append(_cross_cuts(strip_centres, cut_every))
    to_node.append(shapely.get_parts(shapely.boundary(district)))
    noded = shapely.get_parts(shapely.unary_union(np.concatenate(to_node)))
    lines = np.concatenate([clean, noded])
    polys = shapely.get_parts(shapely.polygonize(lines))
    rep = shapely.point_on_surface(polys)
    polys = polys[shapely.contains(district, rep)]
    rep = shapely.point_on_surface(polys)
    kind = np.full(len(polys), "", dtype=object)
    if len(strip_polys):
        tree = shapely.STRtree(rep)
        si, pi = tree.query(strip_polys, predicate="contains")
        # the first strip listed wins where strips cross
        order = np.lexsort((si, pi))
        pi, si = pi[order], si[order]
        first = np.unique(pi, return_index=True)[1]
        kind[pi[first]] = strip_kinds[si[first]]
    return Tessellation(polys, kind)
