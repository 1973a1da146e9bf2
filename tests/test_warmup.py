"""``fastmlp.warmup`` covers what it promises: after it, in a new process on the same cache,
the paths users take compile nothing (every fastmlp kernel comes from the disk cache) -- and
give the same bits as the same paths run in this process on kernels it compiled or loaded
from its own cache (issue "Cold start": a fit's result never depends on what the cache
held)."""

import json
import os
import subprocess
import sys
import textwrap
import warnings

#: The paths a user takes, in float32 (warmup's compile is per dtype; one is enough to check
#: what it covers), then a digest of every result, and which fastmlp kernels this process
#: compiled and how many it loaded.
PATHS = textwrap.dedent("""
    import gc, hashlib, json, warnings
    import numpy as np
    warnings.simplefilter("ignore")
    import fastmlp
    from fastmlp.sklearn import MLPClassifier, MLPRegressor
    from numba.core.dispatcher import Dispatcher
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)).astype("float32"); Y = (X[:, :2] > 0).astype("float32")
    w = rng.uniform(0.5, 2.0, 200)
    y = (X[:, 0] > 0).astype(int)
    results = hashlib.sha1()
    for optimizer in ("sgd", "momentum", "nesterov", "adam", "adamw"):
        for batch_size in (1, 16, None):
            for extra in ({}, {"sample_weight": w}, {"clip_norm": 1.0}):
                net = fastmlp.MLP((4, 6, 2), "relu", dtype="float32", seed=0)
                net.fit(X, Y, optimizer=optimizer, batch_size=batch_size, epochs=2,
                        learning_rate=0.01, seed=1, **extra)
                results.update(net.params.tobytes())
    net.fit(X, Y, batch_size=16, epochs=2, clip_value=0.5, l2=1e-3, schedule="cosine", seed=1)
    for out in (net.params, net.predict(X), net.loss(X, Y), net.gradient(X, Y)):
        results.update(np.asarray(out).tobytes())
    for out in (
            MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0,
                          dtype="float32").fit(X, y).predict_proba(X),
            MLPRegressor(hidden_layer_sizes=(5,), solver="sgd", max_iter=3, random_state=0,
                         dtype="float32").fit(X, X[:, 1]).predict(X),
            MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=3, random_state=0,
                         dtype="float32").fit(X, X[:, 1]).predict(X)):
        results.update(out.tobytes())
    digest = results.hexdigest()
""")

#: Run as a program: the paths, then which kernels the process compiled and loaded.
PROGRAM = PATHS + textwrap.dedent("""
    kernels = [d for d in gc.get_objects() if isinstance(d, Dispatcher)
               and d.py_func.__module__.startswith("fastmlp")]
    missed = sorted({d.py_func.__qualname__ for d in kernels
                     if sum(d.stats.cache_misses.values())})
    hits = sum(sum(d.stats.cache_hits.values()) for d in kernels)
    print(json.dumps({"missed": missed, "hits": hits, "results": digest}))
""")


def test_after_warmup_the_common_paths_compile_nothing_and_give_this_processs_bits(
        tmp_path, monkeypatch):
    # this process's kernels: compiled here (or by an earlier test) -- not by warmup
    monkeypatch.setenv("FASTMLP_SPECIALIZE", "0")
    here: dict = {}
    with warnings.catch_warnings():
        exec(PATHS, here)
    env = {**os.environ, "FASTMLP_SPECIALIZE": "1", "FASTMLP_CACHE_DIR": str(tmp_path)}
    env.pop("NUMBA_CACHE_DIR", None)
    warm = subprocess.run(
        [sys.executable, "-c", "import fastmlp; fastmlp.warmup(dtypes=('float32',), n_jobs=2)"],
        env=env, capture_output=True, text=True, timeout=1200)
    assert warm.returncode == 0, warm.stderr[-3000:]
    done = subprocess.run([sys.executable, "-c", PROGRAM],
                          env={**env, "FASTMLP_SPECIALIZE": "0"}, capture_output=True,
                          text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["missed"] == []
    # the kernels did come from the cache: at least the four epoch kernels (per-sample and
    # chunked, two optimizer families each; clipping and weights are run-time choices) and
    # the inference and full-data passes
    assert result["hits"] >= 6
    assert result["results"] == here["digest"]

    # a second warmup on the filled folder only loads it: no child processes
    again = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import fastmlp, fastmlp._child as child
        started = []
        start = child.start
        child.start = lambda *args, **options: started.append(args) or start(*args, **options)
        seconds = fastmlp.warmup(dtypes=('float32',), n_jobs=2)
        print(len(started), "compile" in seconds)
    """)], env=env, capture_output=True, text=True, timeout=1200)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.split() == ["0", "False"]
