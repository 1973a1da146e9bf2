"""Cold wall time of a tree with and without the background compile of the inference kernel
(``FASTMLP_PREFETCH=1``), beside an older tree, alternately.

    python bench/prefetch_ab.py --rounds 2 OLD_TREE NEW_TREE

The paths are ``bench/cold_paths.py``'s: a scikit-learn fit + predict_proba, a mini-batch fit
and a grid search, each in a new process with an empty kernel cache.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

from cold_paths import PATHS


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--paths", default="sklearn,mini_batch_f64,grid_search")
    args = parser.parse_args(argv)
    variants = [("old", os.path.abspath(args.old), {}),
                ("new, prefetch", os.path.abspath(args.new), {"FASTMLP_PREFETCH": "1"}),
                ("new", os.path.abspath(args.new), {"FASTMLP_PREFETCH": "0"})]
    for _ in range(args.rounds):
        for path in args.paths.split(","):
            for label, tree, extra in variants:
                with tempfile.TemporaryDirectory() as cache:
                    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "FASTMLP_CACHE_DIR": cache,
                           "PYTHONPATH": tree, **extra}
                    began = time.perf_counter()
                    subprocess.run([sys.executable, "-c", "import warnings; "
                                    "warnings.simplefilter('ignore')\n" + PATHS[path]],
                                   env=env, check=True, capture_output=True,
                                   cwd=tempfile.gettempdir())
                    print(f"{label:14} {path:16} cold {time.perf_counter() - began:6.2f}",
                          flush=True)


if __name__ == "__main__":
    main()
