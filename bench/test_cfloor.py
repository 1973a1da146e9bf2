"""The C floors do the same work as fastmlp: equal parameters after one epoch from the same
start in the same row order, strict and -ffast-math builds alike, directly and as the sweep's
peers (skipped without a C compiler)."""

from dataclasses import replace

import numpy as np
import pytest

from fastmlp.bench import cfloor
from fastmlp.bench.cases import CASES, CASES_BY_NAME
from fastmlp.bench.runners import RUNNERS, prepare_fastmlp

pytestmark = pytest.mark.skipif(cfloor.compiler() is None, reason="no C compiler")

FLOORS = [cfloor.PerSampleFloor, cfloor.MiniBatchFloor, cfloor.BlockedMiniBatchFloor]


@pytest.mark.parametrize("fast_math", [False, True], ids=["strict", "fast-math"])
@pytest.mark.parametrize("floor", FLOORS, ids=lambda f: f.__name__)
def test_the_c_floor_trains_what_fastmlp_trains(floor, fast_math):
    built = floor(fast_math=fast_math)
    # float64 per sample: strict C is fastmlp's arithmetic to the last bits; fast-math may
    # reassociate the 3- and 4-term sums. float32 mini-batch sums run in other orders.
    rtol = 1e-12 if built.case.dtype == "float64" else 1e-5
    assert cfloor.check_same_work(built, n_rows=500) < rtol


COVERED = ["per-sample SGD 3-4-2", "mini-batch 64-32-10 /32"]


@pytest.mark.parametrize("runner", ["c_strict", "c_fast_math"])
@pytest.mark.parametrize("name", COVERED)
def test_the_sweep_runs_the_c_floor_on_the_cases_it_covers(runner, name):
    case = replace(CASES_BY_NAME[name].smaller(400), shuffle=False, epochs=2)
    X, Y = case.data()
    ours, theirs = prepare_fastmlp(case, X, Y)(), RUNNERS[runner](case, X, Y)()
    rtol = 1e-12 if case.dtype == "float64" else 1e-5
    assert np.max(np.abs(theirs - ours)) <= rtol * np.max(np.abs(ours))


@pytest.mark.parametrize("case", [c for c in CASES if c.name not in COVERED],
                         ids=lambda c: c.name)
def test_the_c_floor_declines_other_cases(case):
    X, Y = case.smaller(50).data()
    assert RUNNERS["c_strict"](case, X, Y) is None
    # the same network with another optimizer is other work too
    per_sample = CASES_BY_NAME["per-sample SGD 3-4-2"].with_optimizer("adam").smaller(50)
    assert RUNNERS["c_fast_math"](per_sample, *per_sample.data()) is None


def test_march_follows_the_cpu_fastmlp_compiles_for(monkeypatch):
    monkeypatch.delenv("FASTMLP_CFLOOR_MARCH", raising=False)
    monkeypatch.setenv("FASTMLP_CPU", "x86-64-v3")
    assert cfloor.march() == "x86-64-v3"
    monkeypatch.delenv("FASTMLP_CPU")
    monkeypatch.setenv("NUMBA_CPU_NAME", "haswell")
    assert "-march=haswell" in cfloor.flags(fast_math=False)
    assert "-ffast-math" in cfloor.flags(fast_math=True)
    monkeypatch.setenv("FASTMLP_CFLOOR_MARCH", "x86-64-v3")
    assert cfloor.march() == "x86-64-v3"
    monkeypatch.delenv("FASTMLP_CFLOOR_MARCH")
    monkeypatch.delenv("NUMBA_CPU_NAME")
    assert cfloor.march() == "native"


def test_loading_a_fast_math_floor_keeps_subnormal_numbers():
    # GCC links crtfastmath.o into a -ffast-math shared library, whose constructor sets
    # flush-to-zero / denormals-are-zero for the whole process; the floors link without it
    tiny = np.array([5e-324, 1e-310])
    cfloor.BlockedMiniBatchFloor(fast_math=True)
    cfloor.PerSampleFloor(fast_math=True)
    np.testing.assert_array_equal(tiny * 1.0, [5e-324, 1e-310])
