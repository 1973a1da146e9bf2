import numpy as np
import pytest

import fastmlp


def test_thread_count_does_not_change_results_beyond_rounding():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(512, 200))
    Y = fastmlp.one_hot(rng.integers(0, 10, 512), 10)
    results = []
    try:
        for threads in (1, 2):
            fastmlp.set_num_threads(threads)
            assert fastmlp.get_num_threads() == threads
            net = fastmlp.MLP((200, 256, 10), output_activation="softmax",
                              loss="cross_entropy", seed=0)  # BLAS-sized layers
            net.fit(X, Y, batch_size=128, epochs=2, seed=0)
            results.append(net.params.copy())
    finally:
        fastmlp.set_num_threads(None)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_thread_counts(bad):
    with pytest.raises(ValueError, match="positive integer"):
        fastmlp.set_num_threads(bad)
