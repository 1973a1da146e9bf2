"""Cold and warm start-up of several source trees, alternately, each with its own empty cache.

    python bench/startup_ab.py --rounds 3 /path/to/old/checkout /path/to/this/checkout

For every tree in turn (``git worktree add /tmp/old <commit>`` makes one), a fresh process
runs ``import fastmlp`` plus a first fit -- the script of ``fastmlp.bench``'s start-up line --
with ``PYTHONPATH`` pointing at the tree and ``NUMBA_CACHE_DIR`` at a new empty folder
("cold"), then again with that folder filled ("warm"); per-sample and mini-batch fits get a
cache each. Alternating the trees round by round spreads the host's slow phases over all.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from fastmlp.bench.__main__ import STARTUP_SCRIPT


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    args.trees = [os.path.abspath(tree) for tree in args.trees]
    results = {tree: {} for tree in args.trees}
    for _ in range(args.rounds):
        for tree in args.trees:
            for batch in (1, 32):
                with tempfile.TemporaryDirectory() as cache:
                    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": tree}
                    for state in ("cold", "warm"):
                        out = subprocess.run(
                            [sys.executable, "-c", STARTUP_SCRIPT.format(batch=batch)],
                            env=env, check=True, capture_output=True, text=True,
                            cwd=tempfile.gettempdir()).stdout
                        key = f"{'per-sample' if batch == 1 else 'mini-batch'} {state}"
                        results[tree].setdefault(key, []).append(
                            round(float(out.split()[-1]), 2))
            print(tree, results[tree], flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
