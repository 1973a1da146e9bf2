"""The PyTorch peers do fastmlp's work: from fastmlp's start, in row order, eager mode and the
``torch.compile``d functional step reach fastmlp's parameters (its outputs, for inference) on
every benchmark case, to the dtype's rounding (skipped without torch)."""

from dataclasses import replace

import numpy as np
import pytest

from fastmlp.bench.cases import CASES
from fastmlp.bench.runners import RUNNERS, prepare_fastmlp

pytest.importorskip("torch")

RTOL = {"float64": 1e-13, "float32": 2e-6}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("runner", ["pytorch", "torch_compile"])
def test_torch_runner_trains_what_fastmlp_trains(runner, case):
    case = replace(case.smaller(500), shuffle=False)
    X, Y = case.data()
    work = RUNNERS[runner](case, X, Y)
    if work is None:  # torch.compile failed here (it says why on stdout)
        assert runner == "torch_compile"
        pytest.skip("torch.compile does not work on this machine")
    ours, theirs = prepare_fastmlp(case, X, Y)(), work()
    assert theirs.shape == ours.shape
    assert np.max(np.abs(theirs - ours)) <= RTOL[case.dtype] * np.max(np.abs(ours))


def test_eager_runner_uses_two_threads():
    import torch

    RUNNERS["pytorch"](CASES[1].smaller(64), *CASES[1].smaller(64).data())
    assert torch.get_num_threads() == 2
