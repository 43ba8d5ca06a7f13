"""Progress reporting for long work: a plain callback the CLI turns into a progress bar."""

from __future__ import annotations

from collections.abc import Callable

# (what is being done, in Chinese; steps done; steps in total, 0 when unknown)
ProgressFn = Callable[[str, int, int], None]


def no_progress(message: str, done: int, total: int) -> None:
    """A ProgressFn that reports nothing."""
