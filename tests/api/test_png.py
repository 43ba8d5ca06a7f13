"""Palette PNGs decode (with Pillow) to what was written."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from api.png import encode_png


def test_png_round_trips_through_pillow():
    rng = np.random.default_rng(7)
    palette = [(0, 0, 0, 0), (217, 184, 15, 255), (63, 136, 209, 128), (1, 2, 3, 255)]
    indices = rng.integers(0, len(palette), size=(40, 70))
    image = Image.open(io.BytesIO(encode_png(indices, palette)))
    assert image.mode == "P" and image.size == (70, 40)
    assert np.array_equal(np.asarray(image.convert("RGBA")), np.asarray(palette)[indices])
    opaque = Image.open(io.BytesIO(encode_png(np.zeros((2, 2), int), [(5, 6, 7, 255)])))
    assert np.asarray(opaque.convert("RGBA")).tolist() == [[[5, 6, 7, 255]] * 2] * 2
    with pytest.raises(ValueError):
        encode_png(np.full((2, 2), 3), palette[:2])
