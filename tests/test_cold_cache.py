"""Many cold processes, one cache: Numba's disk cache has known failures when several
processes compile into it at once (numba issues 4807, 10128). Eight cold processes of
different fits start together on one empty NUMBA_CACHE_DIR, one of them a per-sample fit
that starts the specialization child; every one must finish with the result this process
computes, and the cache must then serve a warm process without compiling (issue 28)."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

FITS = textwrap.dedent("""
    import numpy as np
    import fastmlp

    def data(n, d, k, seed=0):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(n, d))
        return X, np.tanh(X[:, :k] * 1.5 - X[:, -k:])

    def run(name):
        X, Y = data(200, 4, 2)
        if name == "per_sample_specialized":
            from fastmlp.engines import specialize
            net = fastmlp.MLP((4, 7, 2), "tanh", "identity", seed=0)
            with specialize.eagerly():  # ask for the specialized kernel, however short
                net.fit(X, Y, optimizer="momentum", learning_rate=0.01, epochs=2, seed=0)
            assert specialize.wait(900), "the specialization child did not finish"
            assert all(e.kernel is not None for e in specialize._kernels.values()), \\
                "the specialized kernel could not be loaded from the cache"
            net.fit(X, Y, optimizer="momentum", learning_rate=0.01, epochs=2, seed=0)
            return net.params
        if name == "adam_minibatch":
            net = fastmlp.MLP((4, 8, 2), "relu", "identity", seed=1)
            net.fit(X, Y, optimizer="adam", learning_rate=0.01, batch_size=16, epochs=4, seed=0)
            return net.params
        if name == "full_batch":
            net = fastmlp.MLP((4, 5, 2), "sigmoid", "identity", seed=2)
            net.fit(X, Y, optimizer="momentum", batch_size=None, epochs=5, seed=0)
            return net.params
        if name == "nesterov_float32":
            net = fastmlp.MLP((4, 6, 2), "tanh", "identity", dtype="float32", seed=3)
            net.fit(X, Y, optimizer="nesterov", learning_rate=0.01, batch_size=8, epochs=3,
                    seed=0)
            return net.params.astype(np.float64)
        if name == "softmax_labels":
            labels = np.array(["a", "b", "c"])[np.argmax(X[:, :3], axis=1)]
            net = fastmlp.MLP((4, 6, 3), "tanh", "softmax", "cross_entropy", seed=4)
            net.fit(X, labels, optimizer="adam", learning_rate=0.01, batch_size=32, epochs=3,
                    seed=0)
            return net.predict_proba(X[:20]).ravel()
        if name == "weighted_clipped":
            net = fastmlp.MLP((4, 5, 2), "elu", "identity", seed=5)
            net.fit(X, Y, batch_size=4, epochs=3, clip_norm=0.5, l2=1e-3, seed=0,
                    sample_weight=np.linspace(0.5, 2.0, len(X)))
            return net.params
        if name == "chunks":
            net = fastmlp.MLP((4, 6, 2), "softsign", "identity", seed=6)
            chunks = [(X[i:i + 50], Y[i:i + 50]) for i in range(0, 200, 50)]
            net.fit(chunks, batch_size=10, epochs=2, seed=0)
            return net.params
        if name == "inference_and_gradient":
            net = fastmlp.MLP((4, 9, 2), "arctan", "identity", seed=7)
            return np.concatenate([net.predict(X).ravel(), net.gradient(X, Y),
                                   [net.loss(X, Y)]])
        raise ValueError(name)
""")

NAMES = ["per_sample_specialized", "adam_minibatch", "full_batch", "nesterov_float32",
         "softmax_labels", "weighted_clipped", "chunks", "inference_and_gradient"]

CHILD = FITS + textwrap.dedent("""
    import sys
    np.save(sys.argv[2], run(sys.argv[1]))
""")


def start(name, out, env):
    return subprocess.Popen([sys.executable, "-c", CHILD, name, str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def expected():
    """Each fit's result in this process, on the general per-sample kernel: a cold child
    must give these bits whichever tier it ran (the tiers compute the same bits), and this
    process does not compile the specialized kernel the child compiles a second time, into
    its own cache, only to compare."""
    namespace: dict = {}
    exec(FITS, namespace)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FASTMLP_SPECIALIZE", "0")
        return {name: namespace["run"](name) for name in NAMES}


def test_eight_cold_processes_share_one_empty_cache(tmp_path, expected):
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache),
           "PYTHONPATH": os.pathsep.join(p for p in [os.getcwd(),
                                                    os.environ.get("PYTHONPATH")] if p)}
    processes = {name: start(name, tmp_path / f"{name}.npy", env) for name in NAMES}
    for name, process in processes.items():
        _, stderr = process.communicate(timeout=1800)
        assert process.returncode == 0, f"{name}:\n{stderr[-3000:]}"
        np.testing.assert_array_equal(np.load(tmp_path / f"{name}.npy"), expected[name],
                                      err_msg=name)
    assert any(cache.rglob("*.nbc"))

    # a warm process: every kernel comes from the cache (Numba reports loads and no saves;
    # nothing new written into the index), with the same result. (Not the absence of the
    # compile notice: under load, loading can outlast its one second.)
    before = {p: p.stat().st_mtime_ns for p in cache.rglob("*.nbi")}
    warm = start("adam_minibatch", tmp_path / "warm.npy", {**env, "NUMBA_DEBUG_CACHE": "1"})
    stdout, stderr = warm.communicate(timeout=900)
    assert warm.returncode == 0, stderr[-3000:]
    saved = [line for line in stdout.splitlines() if "data saved" in line]
    assert "data loaded" in stdout and not saved, saved
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*.nbi")} == before
    np.testing.assert_array_equal(np.load(tmp_path / "warm.npy"), expected["adam_minibatch"])
