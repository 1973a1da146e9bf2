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


SMALL = dict(layer_sizes=(6, 8, 3), activation="tanh", output_activation="softmax",
             loss="cross_entropy")


def _data(n=4500, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 6)), fastmlp.one_hot(rng.integers(0, 3, n), 3)


def _with_threads(threads, work):
    try:
        fastmlp.set_num_threads(threads)
        return work()
    finally:
        fastmlp.set_num_threads(None)


def test_rows_are_split_only_when_each_thread_gets_enough_and_threads_allow():
    from fastmlp import parallel

    enough = 2 * parallel.MIN_ROWS_PER_THREAD
    assert _with_threads(2, lambda: parallel.threads_for(enough)) == 2
    assert _with_threads(2, lambda: parallel.threads_for(enough - 1)) == 1
    assert _with_threads(3, lambda: parallel.threads_for(enough)) == 2
    assert _with_threads(1, lambda: parallel.threads_for(100_000)) == 1
    assert parallel.row_bounds(1001, 3) == [(0, 334), (334, 667), (667, 1001)]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
@pytest.mark.parametrize("controls", [{}, {"l2": 0.01, "clip_norm": 0.5},
                                      {"l1": 0.001, "clip_value": 0.05}])
def test_full_batch_training_on_two_threads_equals_one_thread(optimizer, controls):
    X, Y = _data()
    Xv, Yv = _data(5000, seed=1)  # split too
    runs = []
    for threads in (1, 2):
        net = fastmlp.MLP(**SMALL, seed=3)
        history = _with_threads(threads, lambda: net.fit(
            X, Y, optimizer=optimizer, batch_size=None, learning_rate=0.5, epochs=5,
            validation_data=(Xv, Yv), grad_tol=1e-9, seed=0, **controls))
        runs.append((net.params.copy(), history))
    (p1, h1), (p2, h2) = runs
    np.testing.assert_allclose(p2, p1, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(h2.loss, h1.loss, rtol=1e-12)
    np.testing.assert_allclose(h2.val_loss, h1.val_loss, rtol=1e-12)
    np.testing.assert_allclose(h2.grad_norms, h1.grad_norms, rtol=1e-10)


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-12), ("float32", 1e-5)])
def test_forward_loss_gradient_on_two_threads_equal_one_thread(dtype, rtol):
    X, Y = _data(5000)
    net = fastmlp.MLP(**SMALL, dtype=dtype, seed=4)
    one = _with_threads(1, lambda: (net.forward(X), net.loss(X, Y, l2=0.1),
                                    net.gradient(X, Y, l1=0.01)))
    two = _with_threads(2, lambda: (net.forward(X), net.loss(X, Y, l2=0.1),
                                    net.gradient(X, Y, l1=0.01)))
    np.testing.assert_allclose(two[0], one[0], rtol=rtol)  # per row: no sums involved
    np.testing.assert_allclose(two[1], one[1], rtol=rtol)
    np.testing.assert_allclose(two[2], one[2], rtol=rtol * 10, atol=rtol * 1e-3)


def test_full_batch_divergence_on_two_threads_restores_the_last_finite_state():
    X, Y = _data()
    net = fastmlp.MLP(**{**SMALL, "output_activation": "identity", "loss": "mse"}, seed=5)
    start = net.params.copy()
    with pytest.raises(fastmlp.DivergenceError):
        _with_threads(2, lambda: net.fit(X, Y * 1e300, batch_size=None, learning_rate=1e300,
                                         epochs=3))
    assert np.all(np.isfinite(net.params))
    # the failing update was the first: nothing was applied
    np.testing.assert_array_equal(net.params, start)


def test_row_parallel_calls_from_several_threads_at_once_restore_blas_threads():
    from concurrent.futures import ThreadPoolExecutor

    X, Y = _data(5000)
    nets = [fastmlp.MLP(**SMALL, seed=s) for s in range(4)]
    expected = [net.gradient(X, Y) for net in nets]
    before = fastmlp.threads.get_blas_threads()
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda net: net.gradient(X, Y), nets * 5))
    for k, g in enumerate(got):
        np.testing.assert_allclose(g, expected[k % 4], rtol=1e-12)
    assert fastmlp.threads.get_blas_threads() == before
