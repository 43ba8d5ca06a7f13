"""Test-wide settings: the validated-package cache lives in a fresh folder for the run."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _package_cache(tmp_path_factory: pytest.TempPathFactory):
    """Never touch the user's ~/.cache; still exercise the cache as every run would."""
    before = os.environ.get("GISAUDIT_CACHE_DIR")
    os.environ["GISAUDIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("package-cache"))
    yield
    if before is None:
        os.environ.pop("GISAUDIT_CACHE_DIR", None)
    else:
        os.environ["GISAUDIT_CACHE_DIR"] = before
