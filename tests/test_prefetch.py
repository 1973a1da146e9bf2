"""With FASTMLP_PREFETCH=1 a first fit compiles the inference kernel in a child process
meanwhile (fastmlp.prefetch): the first predict after it loads it, and gives the same bits;
without it, nothing is started."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

PROGRAM = textwrap.dedent("""
    import json, warnings
    import numpy as np
    warnings.simplefilter("ignore")
    import fastmlp
    from fastmlp import _child
    # the background compile at normal priority, not its usual nice 10: the test waits for
    # it, and beside another test's processes (pytest-xdist's other worker) a nice-10 child
    # can outlast the SETTLE_SECONDS a predict waits for it
    start = _child.start
    _child.start = lambda *args, **options: start(*args, **{**options, "nice": 0})
    from fastmlp.kernels import passes
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 5)); Y = (X[:, :2] > 0).astype(float)
    net = fastmlp.MLP((5, 7, 2), seed=0)
    net.fit(X, Y, batch_size=16, epochs=2, seed=0)
    out = net.predict(X)
    print(json.dumps({"hits": sum(passes.forward.stats.cache_hits.values()),
                      "misses": sum(passes.forward.stats.cache_misses.values()),
                      "loss": net.loss(X, Y), "out": out.tolist()}))
""")


def run(cache, **env):
    env = {**{k: v for k, v in os.environ.items()
              if k not in ("FASTMLP_PREFETCH", "NUMBA_CACHE_DIR")},
           "FASTMLP_CACHE_DIR": str(cache), **env}
    done = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_first_predict_after_a_cold_fit_loads_the_kernel_compiled_beside_it(tmp_path):
    background = run(tmp_path / "a", FASTMLP_PREFETCH="1")
    assert background["misses"] == 0 and background["hits"] == 1
    alone = run(tmp_path / "b")  # the default: no background compile
    assert alone["misses"] == 1 and alone["hits"] == 0
    assert np.array_equal(np.array(background["out"]), np.array(alone["out"]))
    assert background["loss"] == alone["loss"]


def test_no_child_when_the_kernel_is_compiled_already(monkeypatch):
    import fastmlp
    from fastmlp import prefetch
    from fastmlp.kernels import passes

    fastmlp.MLP((3, 2)).predict(np.zeros((4, 3)))  # compiled (or loaded) in this process
    assert passes.forward.overloads and prefetch._cached(passes.forward)
    monkeypatch.setattr(prefetch, "_started", {})
    monkeypatch.setenv("FASTMLP_PREFETCH", "1")
    prefetch.inference_kernels(np.dtype("float64"))
    assert prefetch._started == {"float64": None}  # nothing started
    prefetch.settle(np.dtype("float64"))  # and nothing to wait for
