"""Change analysis: vintages, overlay, transition matrices, accounts, coastline, rasters."""

from gisaudit.change.accounts import asset_account
from gisaudit.change.changeset import ChangeSet, build_changeset
from gisaudit.change.coastline import coastline_lengths_km, natural_rate
from gisaudit.change.overlay import clip_to_district, overlay_district, overlay_tessellations
from gisaudit.change.vintages import VintageSelection, select_vintages

__all__ = [
    "ChangeSet",
    "VintageSelection",
    "asset_account",
    "build_changeset",
    "clip_to_district",
    "coastline_lengths_km",
    "natural_rate",
    "overlay_district",
    "overlay_tessellations",
    "select_vintages",
]
