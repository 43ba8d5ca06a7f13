"""Areas from overlay pieces: ridge (KCXS) split, theme areas, "X→Y" areas and the matrix.

Ridge deduction (田坎扣除, spec §3)
-----------------------------------
A piece's area counts (1 − k) for its own code and k for 1203 田坎, with k the KCXS of the
patch it comes from: k₁ (start patch) on the "from" side, k₂ (end patch) on the "to" side.
Each piece is split into at most four sub-flows whose from-side and to-side sums are exactly
those shares (so every matrix row and column, and the whole matrix, still sums to the
district's area). The split is the *monotone* coupling of the two shares, not the product
(1 − k₁)(1 − k₂)… one: the ridge share is taken as the same strip of the patch on both
sides, so

- code₁ → code₂ : min(1 − k₁, 1 − k₂)
- code₁ → 1203  : max(0, k₂ − k₁)
- 1203 → code₂  : max(0, k₁ − k₂)
- 1203 → 1203   : min(k₁, k₂)

Why: with the product split an *unchanged* farmland patch with KCXS 0.1 would show 9 % of
its area as farmland → 田坎 and another 9 % as 田坎 → farmland, i.e. spurious gross losses
of farmland (and of 永久基本农田, a veto item). The monotone split shows no flow at all for an
unchanged patch and exactly the net ridge change where only the coefficient changed.

Selectors: a theme id (``"farmland"``) or its complement (``"not farmland"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gisaudit.geodesy import to_ha
from gisaudit.layers.classes import LandClassTable

RIDGE_CODE = "1203"


def ridge_split(pieces: pd.DataFrame) -> pd.DataFrame:
    """Split each piece into its ridge sub-flows (see module docstring).

    Returns columns ``piece`` (row position in ``pieces``), ``from_code``, ``to_code``
    (categoricals), ``share`` (fraction of the piece's area, > 0); the shares of a piece sum
    to 1.
    """
    k1 = np.clip(pieces["kcxs_from"].to_numpy(dtype=float), 0.0, 1.0)
    k2 = np.clip(pieces["kcxs_to"].to_numpy(dtype=float), 0.0, 1.0)
    # codes as categoricals (one small list of classes, integer codes): the split has four
    # rows per piece, and strings at that count cost more than the split itself
    n_pieces = len(pieces)
    both, classes = pd.factorize(
        np.concatenate([pieces["from_code"].to_numpy(dtype=object),
                        pieces["to_code"].to_numpy(dtype=object), [RIDGE_CODE]]),
        use_na_sentinel=False,
    )  # fmt: skip
    fc, tc, ridge = both[:n_pieces], both[n_pieces:-1], np.full(n_pieces, both[-1])
    n = np.arange(n_pieces)
    parts = [
        (n, fc, tc, np.minimum(1 - k1, 1 - k2)),
        (n, fc, ridge, np.maximum(0.0, k2 - k1)),
        (n, ridge, tc, np.maximum(0.0, k1 - k2)),
        (n, ridge, ridge, np.minimum(k1, k2)),
    ]
    categories = pd.Index(classes.astype(object), dtype=object)

    def codes(i: int) -> pd.Categorical:
        return pd.Categorical.from_codes(np.concatenate([p[i] for p in parts]), categories)

    frame = pd.DataFrame(
        {
            "piece": np.concatenate([p[0] for p in parts]),
            "from_code": codes(1),
            "to_code": codes(2),
            "share": np.concatenate([p[3] for p in parts]),
        }
    )
    # a piece with k1 = k2 = 1 is impossible (KCXS < 1) but keep at least the first flow
    return frame[frame["share"] > 0].reset_index(drop=True)


def parse_selector(selector: str) -> tuple[bool, str]:
    """``"not farmland"`` -> (True, "farmland"); ``"farmland"`` -> (False, "farmland")."""
    text = selector.strip()
    if text.startswith("not "):
        return True, text[4:].strip()
    return False, text


def selector_mask(codes: pd.Series, selector: str, table: LandClassTable) -> np.ndarray:
    """Boolean array: which codes match a theme selector (``"X"`` or ``"not X"``)."""
    negate, theme = parse_selector(selector)
    mask = table.theme_mask(codes, theme)
    return ~mask if negate else mask


def flow_areas_m2(split: pd.DataFrame, base_m2: np.ndarray) -> np.ndarray:
    """Area in m² of each split row, given the area of each piece to count (``base_m2``)."""
    return split["share"].to_numpy() * base_m2[split["piece"].to_numpy()]


def theme_area_m2(
    split: pd.DataFrame, base_m2: np.ndarray, selector: str, side: str, table: LandClassTable
) -> float:
    """Area in m² of a theme on one side (``"from"`` = start, ``"to"`` = end)."""
    codes = split[f"{side}_code"]
    mask = selector_mask(codes, selector, table)
    return float(flow_areas_m2(split, base_m2)[mask].sum())


def transition_area_m2(
    split: pd.DataFrame,
    base_m2: np.ndarray,
    from_selector: str,
    to_selector: str,
    table: LandClassTable,
) -> float:
    """Area in m² that is ``from_selector`` at the start and ``to_selector`` at the end."""
    mask = selector_mask(split["from_code"], from_selector, table) & selector_mask(
        split["to_code"], to_selector, table
    )
    return float(flow_areas_m2(split, base_m2)[mask].sum())


def transition_matrix(
    split: pd.DataFrame, base_m2: np.ndarray, table: LandClassTable
) -> pd.DataFrame:
    """Group transition matrix: every non-zero cell, diagonal included.

    Columns ``from_group``, ``to_group``, ``area_ha``, in the class table's group order.
    """
    area = flow_areas_m2(split, base_m2)
    frame = pd.DataFrame(
        {
            "from_group": table.groups_of(split["from_code"]).to_numpy(),
            "to_group": table.groups_of(split["to_code"]).to_numpy(),
            "area_m2": area,
        }
    )
    cells = frame.groupby(["from_group", "to_group"], as_index=False, sort=False)["area_m2"].sum()
    cells = cells[cells["area_m2"] > 0]
    order = {g: i for i, g in enumerate(table.group_ids)}
    cells = cells.assign(
        _f=cells["from_group"].map(order), _t=cells["to_group"].map(order)
    ).sort_values(["_f", "_t"])
    return pd.DataFrame(
        {
            "from_group": cells["from_group"].astype(str).to_numpy(),
            "to_group": cells["to_group"].astype(str).to_numpy(),
            "area_ha": to_ha(cells["area_m2"].to_numpy(dtype=float)),
        }
    )


def matrix_table(matrix: pd.DataFrame, table: LandClassTable) -> pd.DataFrame:
    """The matrix as a square table (rows from, columns to, ha), all groups, zeros included."""
    groups = table.group_ids
    square = matrix.pivot_table(
        index="from_group", columns="to_group", values="area_ha", aggfunc="sum", fill_value=0.0
    )
    return square.reindex(index=groups, columns=groups, fill_value=0.0)
