"""The CJK font shipped with gisaudit, registered with matplotlib (never a system font).

One place for the font file: report figures (``mpl_rc``) and lead-sheet PDFs
(``gisaudit.leads.fonts``) both draw with it.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Any

from matplotlib import font_manager

_FONT = "data/fonts/wqy-microhei.ttc"
_files = ExitStack()
atexit.register(_files.close)


@functools.cache
def cjk_font_path() -> Path:
    """Path of the shipped WenQuanYi Micro Hei font collection (.ttc)."""
    ref = resources.files("gisaudit").joinpath(_FONT)
    return Path(_files.enter_context(resources.as_file(ref)))


FAMILY = "gisaudit CJK"


@functools.cache
def cjk_font_family() -> str:
    """Register the shipped CJK font with matplotlib under its own family name; return the name.

    The family is unique to gisaudit, so matplotlib always draws with the shipped file even
    where the same font (or another CJK font) is installed on the system.
    """
    path = str(cjk_font_path())
    entry = font_manager.ttfFontProperty(font_manager.get_font(path))
    font_manager.fontManager.ttflist.append(dataclasses.replace(entry, name=FAMILY))
    return FAMILY


def mpl_rc() -> dict[str, Any]:
    """matplotlib settings for report figures: the shipped font, embedded as TrueType in PDF."""
    return {
        "font.family": [cjk_font_family()],
        "font.size": 9,
        "axes.unicode_minus": False,
        "pdf.fonttype": 42,  # embed a TrueType subset: real, extractable Chinese text
        "svg.fonttype": "none",
        "figure.dpi": 100,
    }
