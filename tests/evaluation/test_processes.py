"""Districts on forked worker processes give exactly the one-thread results, in tenure order,
and a result's land use is still there when asked for in this process."""

import pickle
from dataclasses import replace

import pytest

from gisaudit.errors import InputError
from gisaudit.evaluation.parallel import evaluate_tenures
from gisaudit.evaluation.processes import DistrictLanduse, can_fork
from tests.evaluation.test_parallel import SYSTEM, _fingerprint, package  # noqa: F401

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not can_fork(), reason="forked workers need a POSIX system"),
]


def test_processes_give_the_one_thread_results_in_order(package) -> None:  # noqa: F811
    ids = package.tenures["id"].astype(str).tolist()[::-1]
    one = list(evaluate_tenures(package, ids, SYSTEM, threads=1))
    forked = list(evaluate_tenures(package, ids, SYSTEM, processes=2))
    assert [r.tenure_id for r in forked] == ids
    assert [_fingerprint(r) for r in forked] == [_fingerprint(r) for r in one]
    for a, b in zip(one, forked, strict=True):
        assert a.changes.geometry.geom_equals_exact(b.changes.geometry, 0).all()
        assert a.account.equals(b.account)
        # the land use is not sent back but re-derived here, equal to the thread path's
        assert isinstance(b.start_landuse, DistrictLanduse)
        for side in ("start", "end"):
            mine, theirs = a.landuse(side), b.landuse(side)
            assert mine["code"].tolist() == theirs["code"].tolist()
            assert mine.geometry.geom_equals_exact(theirs.geometry, 0).all()
        assert "changeset" not in b.extras and "selection" in b.extras
    assert package.tenures["district_code"].nunique() > 1


def test_results_come_back_without_the_patches(package) -> None:  # noqa: F811
    two = package.tenures.drop_duplicates("district_code")["id"].astype(str).tolist()[:2]
    forked, _ = evaluate_tenures(package, two, SYSTEM, processes=2)
    threaded, _ = evaluate_tenures(package, two, SYSTEM, threads=1)
    assert isinstance(forked.start_landuse, DistrictLanduse)  # it went through a worker
    # the thread path's land use is the district's patches themselves (bound to them)
    sent = len(pickle.dumps(forked))
    assert sent * 3 < len(pickle.dumps(replace(threaded, extras={})))
    assert _fingerprint(forked) == _fingerprint(threaded)


def test_an_unknown_tenure_is_reported_from_processes_too(package) -> None:  # noqa: F811
    ids = [*package.tenures["id"].astype(str).tolist()[:2], "没有这个任期"]
    with pytest.raises(InputError, match="没有这个任期"):
        list(evaluate_tenures(package, ids, SYSTEM, processes=2))


def test_a_reference_to_a_released_package_says_so() -> None:
    from datetime import date

    from gisaudit.errors import AnalysisError

    gone = DistrictLanduse("no-such-token", date(2020, 12, 31), "120110")
    with pytest.raises(AnalysisError, match="数据包已释放"):
        gone()
