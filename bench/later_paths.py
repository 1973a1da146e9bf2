"""What each later path compiles after a first fit, with an empty cache, in one process.

    python bench/later_paths.py --rounds 2 /path/to/old/checkout /path/to/this/checkout

For each tree (as in bench/startup_ab.py), a fresh process with an empty Numba cache times
import plus a first mini-batch fit, then the first ``predict``, ``loss`` and ``diagnose``, a
first float32 fit and a first per-sample fit: each line's figures are the seconds that call
took, its compilation included.
"""

import argparse
import os
import subprocess
import sys
import tempfile

SCRIPT = r'''
import time; began = time.perf_counter(); import numpy as np, fastmlp
X = np.random.default_rng(0).normal(size=(64, 3)); Y = (X[:, :2] > 0).astype(float)
net = fastmlp.MLP((3, 4, 2)); took = {}
net.fit(X, Y, batch_size=32, epochs=2); took["import+fit"] = time.perf_counter() - began
def timed(name, call):
    t = time.perf_counter(); call(); took[name] = time.perf_counter() - t
timed("predict", lambda: net.predict(X))
timed("loss", lambda: net.loss(X, Y))
timed("diagnose", lambda: net.diagnose(X, Y))
timed("float32 fit", lambda: fastmlp.MLP((3, 4, 2), dtype="float32").fit(
    X, Y, batch_size=32, epochs=2))
timed("per-sample fit", lambda: net.fit(X, Y, batch_size=1, epochs=2))
print(" ".join(f"{k}={v:.2f}" for k, v in took.items()))
'''


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    args.trees = [os.path.abspath(tree) for tree in args.trees]
    for _ in range(args.rounds):
        for tree in args.trees:
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": tree}
                out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True,
                                     capture_output=True, text=True,
                                     cwd=tempfile.gettempdir()).stdout
                print(tree, out.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
