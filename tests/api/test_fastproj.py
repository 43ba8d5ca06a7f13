"""The fitted cubic stands for PROJ only where it is as good as PROJ."""

from __future__ import annotations

import numpy as np
from pyproj import Transformer

from api.fastproj import fitted_transform


def test_a_fit_over_a_tile_is_proj_within_a_millimetre():
    exact = Transformer.from_crs(4527, 3857, always_xy=True).transform
    bounds = (39_500_000.0, 4_300_000.0, 39_520_000.0, 4_320_000.0)  # 20 km (a z11 tile)
    fast = fitted_transform(exact, bounds, 1e-3)  # a millimetre: 1/30,000 of a z11 pixel
    assert fast is not exact
    rng = np.random.default_rng(3)
    x, y = rng.uniform(bounds[0], bounds[2], 5000), rng.uniform(bounds[1], bounds[3], 5000)
    (ex, ey), (fx, fy) = exact(x, y), fast(x, y)
    assert max(np.abs(ex - fx).max(), np.abs(ey - fy).max()) < 1e-3  # metres


def test_too_wide_or_not_finite_keeps_proj():
    exact = Transformer.from_crs(4527, 3857, always_xy=True).transform
    wide = (39_300_000.0, 4_200_000.0, 39_600_000.0, 4_500_000.0)  # 300 km: a cubic is off
    assert fitted_transform(exact, wide, 1e-3) is exact  # by metres there

    def broken(x, y):
        return np.full(len(x), np.inf), y

    assert fitted_transform(broken, (0.0, 0.0, 1.0, 1.0), 1.0) is broken
