"""fastmlp, reference.py, PyTorch and scikit-learn on the same training and inference work."""

from dataclasses import replace

import numpy as np
import pytest

from fastmlp.bench.cases import CASES
from fastmlp.bench.runners import RUNNERS

IDS = [case.name for case in CASES]


def prepared(runner, case, full_size):
    if not full_size:
        case = case.smaller(300)
    X, Y = case.data()
    try:
        work = RUNNERS[runner](case, X, Y)
    except ImportError as exc:
        pytest.skip(f"{runner} is not installed: {exc}")
    if work is None:
        pytest.skip(f"{runner} cannot express {case.name}")
    return case, work


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("runner", ["fastmlp", "reference", "pytorch", "sklearn"])
def test_speed(benchmark, runner, case, full_size):
    case, work = prepared(runner, case, full_size)
    benchmark.group = case.name
    benchmark.extra_info["samples"] = case.n_samples * case.epochs
    benchmark.pedantic(work, rounds=3 if full_size else 1, iterations=1)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_fastmlp_and_reference_runners_do_the_same_work(case, optimizer):
    # the benchmark compares like with like: the two runners it times, on the same case (in
    # float64, rows in order, so that the results can agree), reach the same parameters or
    # outputs
    case = replace(case.smaller(64).with_optimizer(optimizer), dtype="float64", shuffle=False)
    X, Y = case.data()
    fastmlp_result = RUNNERS["fastmlp"](case, X, Y)()
    reference_result = RUNNERS["reference"](case, X, Y)()
    assert fastmlp_result.shape == reference_result.shape
    np.testing.assert_allclose(fastmlp_result, reference_result, rtol=1e-9, atol=1e-12)
