"""fastmlp, reference.py, PyTorch and scikit-learn on the same training and inference work."""

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


@pytest.mark.parametrize("case", [c for c in CASES if c.mode == "train"][:2],
                         ids=IDS[:2])
def test_fastmlp_and_reference_do_the_same_work(case):
    # the benchmark compares like with like: both runners reach the same parameters
    case = case.smaller(64)
    X, Y = case.data()
    import fastmlp
    from fastmlp import reference

    net = fastmlp.MLP(case.layer_sizes, case.activation, case.output_activation, case.loss,
                      dtype="float64", seed=0)
    start = net.params.copy()
    net.fit(X, Y, learning_rate=case.learning_rate, batch_size=case.batch_size,
            epochs=case.epochs, shuffle=False)
    params = list(net.activation_params)
    theta, _ = reference.train(start, list(case.layer_sizes), list(net.activations), params,
                               case.loss, X.astype(float), Y.astype(float),
                               learning_rate=case.learning_rate, batch_size=case.batch_size,
                               epochs=case.epochs, shuffle=False)
    np.testing.assert_allclose(net.params, theta, rtol=1e-9, atol=1e-12)
