"""Runtime settings of the API, read from ``GISAUDIT_*`` environment variables.

| variable | meaning | default |
|---|---|---|
| GISAUDIT_DATABASE_URL | SQLAlchemy URL | SQLite file in the data folder |
| GISAUDIT_DATA_DIR | packages, evaluation outputs, secret key | ``$XDG_DATA_HOME/gisaudit`` |
| GISAUDIT_SECRET_KEY | token signing key | generated once into the data folder |
| GISAUDIT_ANONYMOUS_READ | ``1``: anyone may read everything (demo) | off |
| GISAUDIT_TOKEN_MINUTES | lifetime of a sign-in token | 720 |
| GISAUDIT_MAX_UPLOAD_MB | largest package upload (zip) | 512 |
| GISAUDIT_MAX_UNPACKED_MB | largest unpacked package | 4096 |
| GISAUDIT_MAX_ZIP_ENTRIES | most files in an uploaded zip | 5000 |
| GISAUDIT_MAX_ZIP_RATIO | largest compression ratio of a zip entry | 200 |
| GISAUDIT_PACKAGE_ROOTS | folders packages may be registered from (``:``-separated) | any |

Without ``GISAUDIT_ANONYMOUS_READ``, anonymous visitors may read health, version, districts,
tenures, the overview, indicator systems, lead rules, the knowledge base and the OGC landing
page, conformance and districts collection; everything else needs a sign-in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gisaudit.storage.db import database_url, default_database_path

MB = 1024 * 1024


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def default_data_dir() -> Path:
    """The user's data folder (where the default SQLite file also lives)."""
    return default_database_path().parent


@dataclass(frozen=True)
class Settings:
    """Settings of one app instance (sizes in bytes)."""

    database_url: str = field(default_factory=database_url)
    data_dir: Path = field(default_factory=default_data_dir)
    secret_key: str | None = None
    anonymous_read: bool = False
    token_minutes: int = 720
    max_upload_bytes: int = 512 * MB
    max_unpacked_bytes: int = 4096 * MB
    max_zip_entries: int = 5000
    max_zip_ratio: float = 200.0
    package_roots: tuple[Path, ...] = ()
    evaluation_workers: int = 1

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from the environment; keyword arguments win."""
        env = os.environ
        values: dict[str, Any] = {}
        if env.get("GISAUDIT_DATA_DIR"):
            values["data_dir"] = Path(env["GISAUDIT_DATA_DIR"]).expanduser()
        if env.get("GISAUDIT_SECRET_KEY"):
            values["secret_key"] = env["GISAUDIT_SECRET_KEY"]
        values["anonymous_read"] = _flag(env.get("GISAUDIT_ANONYMOUS_READ"))
        for name, key, scale in (
            ("token_minutes", "GISAUDIT_TOKEN_MINUTES", 1),
            ("max_upload_bytes", "GISAUDIT_MAX_UPLOAD_MB", MB),
            ("max_unpacked_bytes", "GISAUDIT_MAX_UNPACKED_MB", MB),
            ("max_zip_entries", "GISAUDIT_MAX_ZIP_ENTRIES", 1),
        ):
            if env.get(key, "").strip().isdigit():
                values[name] = int(env[key]) * scale
        if env.get("GISAUDIT_MAX_ZIP_RATIO"):
            values["max_zip_ratio"] = float(env["GISAUDIT_MAX_ZIP_RATIO"])
        roots = [r for r in env.get("GISAUDIT_PACKAGE_ROOTS", "").split(os.pathsep) if r.strip()]
        values["package_roots"] = tuple(Path(r).expanduser().resolve() for r in roots)
        return replace(cls(**values), **overrides)
