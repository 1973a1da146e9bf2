"""The JAX peers do fastmlp's work: from fastmlp's start, in row order, both forms (the fit
as one scanned call, and a jitted step in a Python loop) reach fastmlp's parameters (its
outputs, for inference) on every benchmark case, to the dtype's rounding (skipped without
jax)."""

from dataclasses import replace

import numpy as np
import pytest

from fastmlp.bench.cases import CASES
from fastmlp.bench.runners import RUNNERS, prepare_fastmlp

pytest.importorskip("jax")

# float32: XLA sums in other orders than fastmlp's kernels (and fuses differently in each
# form); 1e-6 of the largest parameter is a few float32 ulps after one epoch
RTOL = {"float64": 1e-13, "float32": 2e-6}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("runner", ["jax", "jax_step"])
def test_jax_runner_trains_what_fastmlp_trains(runner, case):
    case = replace(case.smaller(500), shuffle=False)
    X, Y = case.data()
    work = RUNNERS[runner](case, X, Y)
    if work is None:
        assert runner == "jax_step" and case.mode == "forward"  # the scan peer's call
        return
    ours, theirs = prepare_fastmlp(case, X, Y)(), work()
    assert theirs.shape == ours.shape
    assert np.max(np.abs(theirs - ours)) <= RTOL[case.dtype] * np.max(np.abs(ours))


def test_jax_runner_is_repeatable():
    # every timed call starts from the same parameters: the call donates its input buffers,
    # so a runner that reused them would fail or drift on the second call
    case = replace(CASES[1].smaller(200), shuffle=False)
    X, Y = case.data()
    work = RUNNERS["jax"](case, X, Y)
    np.testing.assert_array_equal(work(), work())
