"""Thread helpers: the environment sets the default, results keep their order, errors surface."""

import threading
import time

import pytest

from gisaudit.concurrency import default_threads, map_in_threads


def test_default_threads_follows_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("GISAUDIT_THREADS", "3")
    assert default_threads() == 3
    monkeypatch.setenv("GISAUDIT_THREADS", "零")
    assert 1 <= default_threads() <= 8


def test_results_keep_the_items_order_and_use_several_threads() -> None:
    names: set[str] = set()

    def slow_square(n: int) -> int:
        names.add(threading.current_thread().name)
        time.sleep(0.05 if n % 2 else 0.0)  # odd items finish last
        return n * n

    assert list(map_in_threads(slow_square, range(6), threads=3)) == [0, 1, 4, 9, 16, 25]
    assert len(names) > 1


def test_the_first_error_is_raised() -> None:
    def fail_on_three(n: int) -> int:
        if n == 3:
            raise ValueError("三号出错")
        return n

    results = map_in_threads(fail_on_three, range(5), threads=2)
    assert [next(results), next(results), next(results)] == [0, 1, 2]
    with pytest.raises(ValueError, match="三号出错"):
        next(results)
