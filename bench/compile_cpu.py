"""Compile CPU seconds of a program's first calls, one process per tree, empty caches.

    python bench/compile_cpu.py --steps mb,loss,adam --rounds 2 TREE [TREE ...]

Each step is one call (``mb`` a mini-batch fit, ``adam`` an Adam one, ``full`` full batch,
``ps`` per-sample, ``loss`` ``net.loss``, ``pred`` ``net.predict``; ``mbd`` and ``psd`` a
mini-batch and a per-sample fit of a network with ``dropout=0.2``) on an (8, 16, 3) network and
2,000 rows, made in this order in one new process with ``PYTHONPATH`` at the tree and an empty
kernel cache; the figure is ``time.process_time()`` around the call -- the compiles it waits
for, and little else, less sensitive to the host's load than wall time. Background compiles
are off (``FASTMLP_SPECIALIZE=0``). Trees alternate round by round.
"""

import argparse
import os
import subprocess
import sys
import tempfile

CHILD = r'''
import sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np, fastmlp
rng = np.random.default_rng(0)
X = rng.normal(size=(2000, 8)); Y = (X[:, :3] > 0).astype(float)
net = fastmlp.MLP((8, 16, 3), seed=0)
calls = {"mb": lambda: net.fit(X, Y, batch_size=32, epochs=2, seed=0),
         "adam": lambda: net.fit(X, Y, optimizer="adam", batch_size=32, epochs=2, seed=0),
         "full": lambda: net.fit(X, Y, batch_size=None, epochs=2, seed=0),
         "ps": lambda: net.fit(X, Y, batch_size=1, epochs=2, seed=0),
         "loss": lambda: net.loss(X, Y), "pred": lambda: net.predict(X),
         # with dropout (trees that have MLP(dropout=))
         "mbd": lambda: fastmlp.MLP((8, 16, 3), seed=0, dropout=0.2).fit(
             X, Y, batch_size=32, epochs=2, seed=0),
         "psd": lambda: fastmlp.MLP((8, 16, 3), seed=0, dropout=0.2).fit(
             X, Y, batch_size=1, epochs=2, seed=0)}
out = []
for step in sys.argv[1].split(","):
    t = time.process_time(); calls[step](); out.append(f"{step} {time.process_time() - t:.2f}")
print(" ".join(out))
'''


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--steps", default="mb,loss")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    for _ in range(args.rounds):
        for tree in map(os.path.abspath, args.trees):
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "PYTHONPATH": tree, "NUMBA_CACHE_DIR": cache,
                       "FASTMLP_CACHE_DIR": cache, "FASTMLP_SPECIALIZE": "0"}
                out = subprocess.run([sys.executable, "-c", CHILD, args.steps], env=env,
                                     check=True, capture_output=True, text=True,
                                     cwd=tempfile.gettempdir()).stdout
                print(f"{os.path.basename(tree):12} {out.strip()}", flush=True)


if __name__ == "__main__":
    main()
