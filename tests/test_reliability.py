"""Locked-down and concurrent use: no writable kernel cache, a corrupted cache, and many
threads calling predict / forward / loss while the thread count changes."""

import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import fastmlp

FIT_AND_PREDICT = """
import warnings
warnings.simplefilter("always")
import numpy as np
import fastmlp
net = fastmlp.MLP((3, 4, 2), seed=0)
X = np.random.default_rng(0).normal(size=(32, 3))
print("outputs", net.predict(X).shape)
"""


def run_python(code: str, env_update: dict | None = None, timeout: int = 600):
    import os

    env = dict(os.environ, **(env_update or {}))
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, env=env, timeout=timeout)


def test_import_and_training_work_without_a_writable_cache():
    """Every cache location refused (as on a read-only install with an unwritable HOME and
    NUMBA_CACHE_DIR): fastmlp imports, says once that it compiles without the cache, and
    works."""
    code = """
    import numba.core.caching as caching
    def refuse(self):
        raise PermissionError("read-only file system (simulated)")
    caching._CacheLocator.ensure_cache_path = refuse
    """
    run = run_python(textwrap.dedent(code) + FIT_AND_PREDICT)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "outputs (32, 2)" in run.stdout
    assert run.stderr.count("no writable location for Numba's kernel cache") == 1


def test_a_corrupted_cache_is_recompiled(tmp_path):
    """Overwrite every cache file with garbage: the next process warns, recompiles and
    rewrites them; the one after loads them silently."""
    env = {"NUMBA_CACHE_DIR": str(tmp_path)}
    first = run_python(FIT_AND_PREDICT, env)
    assert first.returncode == 0, first.stderr[-2000:]
    files = [p for p in tmp_path.rglob("*") if p.suffix in (".nbi", ".nbc")]
    assert files
    for path in files:
        path.write_bytes(b"not a pickle")
    second = run_python(FIT_AND_PREDICT, env)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "outputs (32, 2)" in second.stdout
    assert "is unreadable" in second.stderr and "compiled again" in second.stderr
    third = run_python(FIT_AND_PREDICT, env)
    assert third.returncode == 0 and "unreadable" not in third.stderr


def test_concurrent_inference_while_the_thread_count_changes():
    """15 threads calling predict / forward / loss at once on inputs of different sizes --
    each first use of a larger split grows the shared pool -- while another thread keeps
    changing the thread count: every call returns the single-threaded answer. Five rounds,
    each from an empty pool."""
    from fastmlp import parallel
    from fastmlp.threads import get_blas_threads

    blas_before = get_blas_threads()
    net = fastmlp.MLP((8, 16, 3), "tanh", "softmax", "cross_entropy", seed=0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2048 * 16, 8))
    Y = fastmlp.one_hot(rng.integers(0, 3, len(X)), 3)
    fastmlp.set_num_threads(1)
    expected = {k: net.predict(X[:2048 * k]) for k in range(1, 16)}
    expected_loss = net.loss(X, Y)
    errors = []
    stop = threading.Event()

    def churn():
        counts = [2, 16, 4, 8, 1, 12]
        i = 0
        while not stop.is_set():
            fastmlp.set_num_threads(counts[i % len(counts)])
            i += 1

    def call(k, start):
        try:
            start.wait()
            np.testing.assert_allclose(net.predict(X[:2048 * k]), expected[k],
                                       rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(net.forward(X[:2048 * k]), expected[k],
                                       rtol=1e-12, atol=1e-14)
            assert net.loss(X, Y) == pytest.approx(expected_loss, rel=1e-12)
        except Exception as error:  # collected: a thread's exception would be lost
            errors.append(error)

    try:
        for round_ in range(5):
            parallel._pool, parallel._pool_workers = None, 0  # first use again
            fastmlp.set_num_threads(16)
            stop.clear()
            churner = threading.Thread(target=churn) if round_ % 2 else None
            start = threading.Barrier(15)
            threads = [threading.Thread(target=call, args=(k, start)) for k in range(1, 16)]
            for t in threads:
                t.start()
            if churner is not None:
                churner.start()
            for t in threads:
                t.join()
            stop.set()
            if churner is not None:
                churner.join()
    finally:
        fastmlp.set_num_threads(None)
    assert not errors, errors[:3]
    # and the BLAS thread count is back where it was (it used to stay at 16 after the
    # churn, making every later small BLAS product in the process dozens of times slower)
    assert get_blas_threads() == blas_before


# ------------------------------------------------------- parameters that never go NaN


@pytest.mark.parametrize("kwargs, dtype", [
    (dict(bias_init=float("inf")), "float64"),
    (dict(bias_init=1e300), "float32"),
    (dict(init="uniform", init_scale=1e300), "float32"),
    (dict(init="normal", init_scale=1e308), "float64"),
])
def test_initialization_beyond_the_dtype_is_refused(kwargs, dtype):
    with pytest.raises(ValueError, match="bias_init|init_scale"):
        fastmlp.MLP((3, 4, 2), dtype=dtype, **kwargs)


def test_params_are_checked_after_the_cast_and_for_their_type():
    net = fastmlp.MLP((3, 4, 2), dtype="float32", seed=0)
    before = net.params.copy()
    with pytest.raises(ValueError, match="beyond float32's range"):
        net.params = np.full(net.n_params, 1e39)
    with pytest.raises(TypeError, match="params must hold real numbers, got dtype complex"):
        net.params = before + 1j
    with pytest.raises(TypeError, match="params must hold real numbers"):
        net.params = np.array(["1"] * net.n_params)
    np.testing.assert_array_equal(net.params, before)


def test_a_callback_writing_nan_is_caught_and_undone():
    net = fastmlp.MLP((3, 4, 2), seed=0)
    X = np.random.default_rng(0).normal(size=(20, 3))
    Y = (X[:, :2] > 0).astype(float)

    def poison(epoch, history):
        if epoch == 1:
            net.params[0] = np.nan

    with pytest.raises(ValueError, match="callback wrote NaN or inf .* after epoch 2"):
        net.fit(X, Y, epochs=5, callback=poison)
    assert np.isfinite(net.params).all()


def test_assigning_a_layer_copies_into_the_network():
    net = fastmlp.MLP((3, 4, 2), seed=0)
    X = np.random.default_rng(0).normal(size=(5, 3))
    W = np.full((3, 4), 0.5)
    net.weights[0] = W
    np.testing.assert_array_equal(net.params[:12], W.ravel())  # the network sees it
    assert np.shares_memory(net.weights[0], net.params)
    before = net.predict(X)
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(3, 4\)"):
        net.weights[0] = np.ones((7, 7))
    with pytest.raises(ValueError, match="NaN or inf"):
        net.biases[1] = [np.inf, 0.0]
    np.testing.assert_array_equal(net.predict(X), before)


def test_activation_arguments_are_checked_by_type():
    for bad in (None, 5, b"relu", {"relu": 1}):
        with pytest.raises((TypeError, ValueError), match="activation"):
            fastmlp.MLP((3, 4, 2), activation=bad)


# ------------------------------------------------------------------- save and load


def save_npy(path, array):
    with open(path, "wb") as f:
        np.save(f, array)


def saved_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_load_refuses_hostile_files_with_one_clear_error(tmp_path):
    import json

    good = fastmlp.MLP((3, 4, 2), seed=0)
    good.save(tmp_path / "good.npz")
    config = json.dumps(good.config())
    params = good.params
    cases = {
        "empty": lambda p: p.write_bytes(b""),
        "truncated": lambda p: p.write_bytes((tmp_path / "good.npz").read_bytes()[:100]),
        "npy": lambda p: save_npy(p, params),
        "csv": lambda p: p.write_text("a,b\n1,2\n"),
        "bad json": lambda p: saved_npz(p, params=params, config="{", format_version=1),
        "deep json": lambda p: saved_npz(p, params=params, config="[" * 100000 + "]" * 100000,
                                         format_version=1),
        "not a mapping": lambda p: saved_npz(p, params=params, config="[1, 2]",
                                             format_version=1),
        "extra key": lambda p: saved_npz(p, params=params, config=json.dumps(
            {**good.config(), "evil": 1}), format_version=1),
        "missing key": lambda p: saved_npz(p, params=params, config=json.dumps(
            {k: v for k, v in good.config().items() if k != "loss"}), format_version=1),
        "version": lambda p: saved_npz(p, params=params, config=config, format_version=7),
        "huge declared": lambda p: saved_npz(p, params=params, config=json.dumps(
            {**good.config(), "layer_sizes": [30000, 30000]}), format_version=1),
        "inf params": lambda p: saved_npz(p, params=params + np.inf, config=config,
                                          format_version=1),
    }
    for name, write in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.npz"
        write(path)
        with pytest.raises(ValueError, match="is not a file written by MLP.save") as error:
            fastmlp.MLP.load(path)
        assert str(path) in str(error.value), name
        assert "allow_pickle" not in str(error.value), name
    with pytest.raises(FileNotFoundError):
        fastmlp.MLP.load(tmp_path / "absent.npz")


def test_save_refuses_what_load_would_refuse_and_respects_the_target(tmp_path):
    import os
    import stat

    net = fastmlp.MLP((3, 4, 2), seed=0)
    with pytest.raises(ValueError, match="path must name a file"):
        net.save("")
    with pytest.raises(ValueError, match="path must name a file"):
        net.save(tmp_path)
    target = tmp_path / "model.npz"
    net.save(target)
    os.chmod(target, 0o640)
    net.save(target)  # replaces, keeping the mode
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    os.chmod(target, 0o444)
    with pytest.raises(PermissionError, match="read-only"):
        net.save(target)
    with pytest.raises(OSError, match=f"cannot write '{tmp_path / 'missing'}"):
        net.save(tmp_path / "missing" / "model.npz")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files
    net.params[0] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        net.save(tmp_path / "nan.npz")
    assert not (tmp_path / "nan.npz").exists()


def test_validation_data_errors_name_their_part():
    net = fastmlp.MLP((3, 4, 2), seed=0)
    X = np.zeros((10, 3))
    Y = np.zeros((10, 2))
    with pytest.raises(ValueError, match=r"validation_data\[1\] has 4 rows but "
                                         r"validation_data\[0\] has 5"):
        net.fit(X, Y, epochs=1, validation_data=(X[:5], Y[:4]))


def test_fits_of_different_networks_from_several_threads_equal_sequential_fits():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    Y = (X[:, :2] > 0).astype(float)
    options = [dict(batch_size=1), dict(batch_size=16, optimizer="adam", learning_rate=0.01),
               dict(batch_size=None, optimizer="momentum"), dict(batch_size=7, l2=1e-3)]

    def trained(k):
        net = fastmlp.MLP((4, 6, 2), seed=k)
        net.fit(X, Y, epochs=5, seed=k, **options[k % 4])
        return net.params

    sequential = [trained(k) for k in range(8)]
    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(trained, range(8)))
    for a, b in zip(concurrent, sequential):
        np.testing.assert_array_equal(a, b)
