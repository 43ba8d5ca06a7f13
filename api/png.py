"""PNG encoding of small palette images (the land-use overview tiles), with Pillow.

``encode_png(indices, palette)`` writes an 8-bit palette PNG with the palette's alpha as
transparency: one byte a pixel before compression, so a 256 × 256 tile of a few colours is a
few kilobytes and takes about a millisecond.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

RGBA = tuple[int, int, int, int]


def encode_png(indices: np.ndarray, palette: Sequence[RGBA], *, level: int = 6) -> bytes:
    """A palette PNG of ``indices`` (height × width, values index ``palette``, 1–256 RGBA
    colours with components 0–255); ``level``: zlib compression level."""
    indices = np.asarray(indices)
    if indices.ndim != 2 or not 1 <= len(palette) <= 256:
        raise ValueError("indices 应为二维数组，调色板应有 1–256 种颜色。")
    if indices.size and (indices.min() < 0 or indices.max() >= len(palette)):
        raise ValueError("indices 中有调色板之外的颜色序号。")
    colours = np.asarray(palette, dtype=np.uint8).reshape(-1, 4)
    image = Image.fromarray(indices.astype(np.uint8), mode="P")
    image.putpalette(colours[:, :3].ravel().tolist())
    out = io.BytesIO()
    alpha = colours[:, 3]
    extra = {"transparency": alpha.tobytes()} if (alpha < 255).any() else {}
    image.save(out, format="PNG", compress_level=level, **extra)
    return out.getvalue()
