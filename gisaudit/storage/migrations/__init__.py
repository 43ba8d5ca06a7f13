"""Alembic migrations of the gisaudit database, shipped inside the package."""
