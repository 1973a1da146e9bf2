"""The JAX runner does fastmlp's work: equal parameters (outputs, for inference) on every
benchmark case in row order, to the dtype's rounding (skipped without jax)."""

from dataclasses import replace

import numpy as np
import pytest

from fastmlp.bench.cases import CASES
from fastmlp.bench.runners import prepare_fastmlp, prepare_jax

pytest.importorskip("jax")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_jax_runner_trains_what_fastmlp_trains(case):
    case = replace(case.smaller(500), shuffle=False)
    X, Y = case.data()
    ours, theirs = prepare_fastmlp(case, X, Y)(), prepare_jax(case, X, Y)()
    rtol = 1e-13 if case.dtype == "float64" else 2e-6
    assert np.max(np.abs(np.asarray(theirs) - ours)) <= rtol * np.max(np.abs(ours))
