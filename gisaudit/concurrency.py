"""How many threads gisaudit uses for work that splits by vintage or by district.

GEOS (shapely), PROJ (pyproj) and GDAL (pyogrio, rasterio) release Python's lock while they
work, so threads of one process use every core on the heavy steps without copying data.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

MAX_DEFAULT_THREADS = 8
T = TypeVar("T")
R = TypeVar("R")


def default_threads() -> int:
    """Threads to use by default: ``GISAUDIT_THREADS`` if set, else the CPU count (≤ 8)."""
    configured = os.environ.get("GISAUDIT_THREADS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_THREADS))


def map_in_threads(
    func: Callable[[T], R], items: Iterable[T], threads: int | None = None
) -> Iterator[R]:
    """``func`` over ``items`` on up to ``threads`` threads; results in the items' order.

    The first error is raised when its result is reached; items not yet started are skipped.
    """
    items = list(items)
    threads = default_threads() if threads is None else max(1, int(threads))
    if threads == 1 or len(items) < 2:
        for item in items:
            yield func(item)
        return
    pool = ThreadPoolExecutor(max_workers=min(threads, len(items)), thread_name_prefix="gisaudit")
    try:
        futures = [pool.submit(func, item) for item in items]
        for future in futures:
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
