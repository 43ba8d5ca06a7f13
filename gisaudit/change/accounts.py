"""SEEA-style physical asset accounts per land theme (opening, additions, reductions, closing)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from gisaudit.change.changeset import ChangeSet
from gisaudit.geodesy import to_ha

ACCOUNT_COLUMNS = ["theme", "name", "opening_ha", "additions_ha", "reductions_ha", "closing_ha"]


def asset_account(changes: ChangeSet, themes: Iterable[str] | None = None) -> pd.DataFrame:
    """Asset account of each theme in ha: opening + additions − reductions = closing.

    Additions: area not of the theme at the start and of the theme at the end; reductions:
    the reverse (ridge split included, see ``gisaudit.change.transitions``).
    """
    table = changes.table
    rows = []
    for theme in themes if themes is not None else table.themes:
        rows.append(
            {
                "theme": theme,
                "name": table.theme_names.get(theme, theme),
                "opening_ha": to_ha(changes.theme_area_m2(theme, "from")),
                "additions_ha": to_ha(changes.transition_area_m2(f"not {theme}", theme)),
                "reductions_ha": to_ha(changes.transition_area_m2(theme, f"not {theme}")),
                "closing_ha": to_ha(changes.theme_area_m2(theme, "to")),
            }
        )
    return pd.DataFrame(rows, columns=ACCOUNT_COLUMNS)
