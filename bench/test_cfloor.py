"""The C floor does the same work as fastmlp: equal parameters after one epoch from the same
start in the same row order (skipped without a C compiler)."""

import pytest

from fastmlp.bench import cfloor

pytestmark = pytest.mark.skipif(cfloor.compiler() is None, reason="no C compiler")


@pytest.mark.parametrize("floor, rtol", [(cfloor.PerSampleFloor, 1e-12),  # float64
                                         (cfloor.MiniBatchFloor, 1e-5),  # float32, -ffast-math
                                         (cfloor.BlockedMiniBatchFloor, 1e-5)])
def test_the_c_floor_trains_what_fastmlp_trains(floor, rtol):
    assert cfloor.check_same_work(floor(), n_rows=500) < rtol
