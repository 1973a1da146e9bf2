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
