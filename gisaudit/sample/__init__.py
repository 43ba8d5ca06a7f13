"""The deterministic 10-district sample data package (``gisaudit sample DIR``)."""

from gisaudit.sample.build import DEFAULT_PATCHES, build_sample_package

__all__ = ["DEFAULT_PATCHES", "build_sample_package"]
