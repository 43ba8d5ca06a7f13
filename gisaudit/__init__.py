"""gisaudit: GIS platform for the natural-resource asset departure audit (自然资源资产离任审计)."""

__version__ = "0.1.0"
