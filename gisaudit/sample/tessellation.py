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
_DROP_SHARE = 0.18
# seed points per wanted patch (dropped edges merge cells, strips and the boundary split them)
_SEEDS_PER_PATCH = 1.05


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


def tessellate(district: shapely.Geometry, n: int, rng: np.random.Generator,
               strips: list[tuple[shapely.Geometry, str]]) -> Tessellation:
    """Tessellate ``district`` into about ``n`` parcels plus the given strips.

    ``strips`` are (strip polygon, kind) pairs (e.g. a road buffered to its width); their
    outlines become patch edges and the patches inside them get that kind.
    """
    edges, _ = seed_lines(district, n, rng)
    strip_polys = np.array([s for s, _ in strips], dtype=object)
    strip_kinds = np.array([k for _, k in strips], dtype=object)
    if len(strip_polys):
        strip_polys = shapely.intersection(strip_polys, district)
        ok = ~shapely.is_empty(strip_polys)
        strip_polys, strip_kinds = strip_polys[ok], strip_kinds[ok]
    strip_lines = shapely.get_parts(shapely.boundary(strip_polys)) if len(strip_polys) else \
        np.empty(0, dtype=object)

    shapely.prepare(district)
    inside = shapely.contains(district, edges)
    crossing = ~inside & shapely.intersects(district, edges)
    clean = edges[inside]
    to_node = [shapely.intersection(edges[crossing], district)]
    # edges crossed by strips need noding too
    if len(strip_lines):
        tree = shapely.STRtree(clean)
        hit = np.unique(tree.query(strip_polys, predicate="intersects")[1])
        mask = np.zeros(len(clean), dtype=bool)
        mask[hit] = True
        to_node.append(clean[mask])
        clean = clean[~mask]
        to_node.append(strip_lines)
    to_node.append(shapely.get_parts(shapely.boundary(district)))
    noded = shapely.get_parts(shapely.unary_union(np.concatenate(to_node)))
    lines = np.concatenate([clean, noded])
    polys = shapely.get_parts(shapely.polygonize(lines))
    rep = shapely.point_on_surface(polys)
    polys = polys[shapely.contains(district, rep)]
    rep = shapely.point_on_surface(polys)
    kind = np.full(len(polys), "", dtype=object)
    if len(strip_polys):
        tree = shapely.STRtree(strip_polys)
        pi, si = tree.query(rep, predicate="within")
        # the first strip listed wins where strips cross
        order = np.lexsort((si, pi))
        pi, si = pi[order], si[order]
        first = np.unique(pi, return_index=True)[1]
        kind[pi[first]] = strip_kinds[si[first]]
    return Tessellation(polys, kind)
