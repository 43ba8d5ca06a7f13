"""Districts on threads give exactly the results of a one-thread run, in tenure order."""

import json

import pandas as pd
import pytest

from gisaudit.errors import InputError
from gisaudit.evaluation import evaluate_package
from gisaudit.evaluation.parallel import evaluate_tenures
from gisaudit.indicators import load_indicator_system
from gisaudit.layers.package import load_package
from gisaudit.sample.build import build_sample_package

pytestmark = pytest.mark.slow
SYSTEM = load_indicator_system()


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    root = build_sample_package(tmp_path_factory.mktemp("par") / "pkg", patches=400, pixel_m=200)
    return load_package(root)


def _fingerprint(result) -> tuple:
    card = dict(result.scorecard)
    card.pop("generated_at", None)
    leads = sorted(result.leads["id"].astype(str)) if len(result.leads) else []
    return (result.tenure_id, json.dumps(card, sort_keys=True, default=str),
            result.transitions.to_csv(index=False), leads)  # fmt: skip


def test_threads_give_the_one_thread_results_in_order(package) -> None:
    ids = package.tenures["id"].astype(str).tolist()[::-1]  # an order unlike the districts'
    one = [_fingerprint(r) for r in evaluate_tenures(package, ids, SYSTEM, threads=1)]
    three = [_fingerprint(r) for r in evaluate_tenures(package, ids, SYSTEM, threads=3)]
    assert [f[0] for f in three] == ids
    assert three == one
    assert package.tenures["district_code"].nunique() > 1  # threads really had work to share


def test_an_unknown_tenure_is_reported_on_threads_too(package) -> None:
    ids = [*package.tenures["id"].astype(str).tolist()[:2], "没有这个任期"]
    with pytest.raises(InputError, match="没有这个任期"):
        list(evaluate_tenures(package, ids, SYSTEM, threads=2))


def test_evaluate_package_on_threads_writes_the_same_summary(package, tmp_path) -> None:
    evaluate_package(package, tmp_path / "one", writers=(), threads=1)
    evaluate_package(package, tmp_path / "two", writers=(), threads=2)
    one = pd.read_csv(tmp_path / "one" / "summary.csv", dtype=str)
    two = pd.read_csv(tmp_path / "two" / "summary.csv", dtype=str)
    pd.testing.assert_frame_equal(one, two)
    assert len(one) == len(package.tenures)


def test_a_tenure_asked_twice_is_answered_twice(package) -> None:
    first = package.tenures["id"].astype(str).tolist()[0]
    results = list(evaluate_tenures(package, [first, first], SYSTEM, threads=2))
    assert [r.tenure_id for r in results] == [first, first]
    assert _fingerprint(results[0]) == _fingerprint(results[1])
