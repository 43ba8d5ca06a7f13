"""Subsets of the shipped Chinese font (``gisaudit.fonts``) for lead-sheet PDFs.

Embedding glyphs from the 5 MB WenQuanYi collection costs ~0.4 s per PDF (fontTools reloads
the whole font for every file). We therefore subset the font once (~2 s, fontTools, a
TrueType .ttf in a temporary folder, cached for the process) to the characters the sheets
use, and every PDF embeds from that small font in a few milliseconds, still as TrueType
(real, searchable Chinese text).
"""

from __future__ import annotations

import atexit
import tempfile
from contextlib import ExitStack
from pathlib import Path

from matplotlib.font_manager import FontProperties

from gisaudit.fonts import cjk_font_family, cjk_font_path

_files = ExitStack()
atexit.register(_files.close)


_subsets: list[tuple[frozenset[str], FontProperties]] = []
_ASCII = frozenset(chr(c) for c in range(32, 127)) | {"□", "…", "—", "→", "°", "′", "″", "²"}


def pdf_font(text: str, base: str = "") -> FontProperties:
    """FontProperties of a TrueType subset of the shipped font covering ``text``.

    Subsets are cached for the process: a later call whose characters are covered by an
    earlier subset reuses it. Pass in ``base`` the text likely to recur (knowledge base,
    class and district names) so one subset serves many batches.
    """
    need = frozenset(text)
    for chars, props in _subsets:
        if need <= chars:
            return props
    chars = need | frozenset(base) | _ASCII
    cjk_font_family()
    try:
        from fontTools import subset
        from fontTools.ttLib import TTFont

        folder = Path(_files.enter_context(tempfile.TemporaryDirectory(prefix="gisaudit-font-")))
        path = folder / "wqy-subset.ttf"
        font = TTFont(str(cjk_font_path()), fontNumber=0)
        options = subset.Options()
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.drop_tables += ["FFTM"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="".join(sorted(chars)))
        subsetter.subset(font)
        font.save(str(path))
        props = FontProperties(fname=str(path))
    except Exception:  # any fontTools failure: embed from the full font (slower, same look)
        props = FontProperties(fname=str(cjk_font_path()))
    _subsets.append((chars, props))
    return props
