"""PNG encoding of small palette images (the land-use overview tiles), with numpy and zlib.

``encode_png(indices, palette)`` writes an 8-bit palette PNG (colour type 3) with a ``tRNS``
chunk for the palette's alpha: one byte a pixel before compression, so a 256 × 256 tile of a
few colours is a few kilobytes and takes about a millisecond.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
RGBA = tuple[int, int, int, int]


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(indices: np.ndarray, palette: Sequence[RGBA], *, level: int = 6) -> bytes:
    """A palette PNG of ``indices`` (height × width, values index ``palette``, 1–256 RGBA
    colours with components 0–255); ``level``: zlib compression level."""
    indices = np.asarray(indices)
    if indices.ndim != 2 or not 1 <= len(palette) <= 256:
        raise ValueError("indices 应为二维数组，调色板应有 1–256 种颜色。")
    if indices.size and (indices.min() < 0 or indices.max() >= len(palette)):
        raise ValueError("indices 中有调色板之外的颜色序号。")
    height, width = indices.shape
    colours = np.asarray(palette, dtype=np.uint8).reshape(-1, 4)
    rows = np.zeros((height, width + 1), dtype=np.uint8)  # filter type 0 (none) on every row
    rows[:, 1:] = indices
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    alpha = colours[:, 3]
    trns = alpha[: int(np.flatnonzero(alpha < 255).max()) + 1] if (alpha < 255).any() else None
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"PLTE", colours[:, :3].tobytes())
        + (_chunk(b"tRNS", trns.tobytes()) if trns is not None else b"")
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), level))
        + _chunk(b"IEND", b"")
    )
