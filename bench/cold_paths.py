"""Each user-facing path's first call in a fresh process: cold (empty Numba cache) and warm.

    python bench/cold_paths.py --rounds 2 [--paths per_sample,predict] TREE [TREE ...]

For every tree in turn (``git worktree add /tmp/old <commit>`` makes one) and every path, a new
process runs interpreter start-up, ``import`` and the path's first call with ``PYTHONPATH``
pointing at the tree and ``NUMBA_CACHE_DIR`` at a new empty folder ("cold"), then the same
program again on the filled folder ("warm"). Trees alternate round by round, so the host's
slow phases spread over all of them. Times are wall-clock seconds of the whole process (what
a user waits), measured from outside, with the CPU seconds the process and the processes it
waited for used.

Each run sets ``FASTMLP_CACHE_DIR`` and ``NUMBA_CACHE_DIR`` to the same new folder: trees from
before fastmlp's own cache locator read the second, later ones the first.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

DATA = ("import numpy as np; rng = np.random.default_rng(0); "
        "X = rng.normal(size=(2000, 8)); Y = (X[:, :3] > 0).astype(float); "
        "y = (X[:, 0] + X[:, 1] > 0).astype(int)\n")

PATHS = {
    "per_sample": DATA + "import fastmlp\nfastmlp.MLP((8, 16, 3), seed=0).fit("
                  "X, Y, optimizer='momentum', batch_size=1, epochs=2, seed=0)",
    "mini_batch_f64": DATA + "import fastmlp\nfastmlp.MLP((8, 16, 3), seed=0).fit("
                      "X, Y, optimizer='sgd', batch_size=32, epochs=2, seed=0)",
    "adam_f32": DATA + "import fastmlp\nfastmlp.MLP((8, 16, 3), dtype='float32', seed=0).fit("
                "X, Y, optimizer='adam', learning_rate=0.01, batch_size=32, epochs=2, seed=0)",
    "full_batch": DATA + "import fastmlp\nfastmlp.MLP((8, 16, 3), seed=0).fit("
                  "X, Y, batch_size=None, epochs=5)",
    "predict": DATA + "import fastmlp\nfastmlp.MLP((8, 16, 3), seed=0).predict(X)",
    "sklearn": DATA + "from fastmlp.sklearn import MLPClassifier\n"
               "MLPClassifier((16,), max_iter=5, random_state=0).fit(X, y).predict_proba(X)",
    "cli_train": DATA + "import subprocess, sys, os, tempfile\n"
                 "d = tempfile.mkdtemp(); p = os.path.join(d, 't.csv')\n"
                 "np.savetxt(p, np.c_[X[:300], y[:300]], delimiter=',', "
                 "header=','.join([f'x{i}' for i in range(8)] + ['label']), comments='')\n"
                 "subprocess.run([sys.executable, '-m', 'fastmlp', 'train', p, '--target', "
                 "'label', '--epochs', '5', '--out', os.path.join(d, 'm.npz')], check=True, "
                 "capture_output=True)",
    "grid_search": "import numpy as np\nfrom sklearn.datasets import load_breast_cancer\n"
                   "from sklearn.model_selection import GridSearchCV\n"
                   "from sklearn.pipeline import make_pipeline\n"
                   "from sklearn.preprocessing import StandardScaler\n"
                   "from fastmlp.sklearn import MLPClassifier\n"
                   "X, y = load_breast_cancer(return_X_y=True)\n"
                   "GridSearchCV(make_pipeline(StandardScaler(), MLPClassifier(max_iter=50, "
                   "random_state=0)), {'mlpclassifier__hidden_layer_sizes': [(16,), (32,)], "
                   "'mlpclassifier__alpha': [1e-4, 1e-2]}, cv=3).fit(X, y)",
}
#: scikit-learn's own estimator on the grid search, for the comparison the issue asks for
PATHS["grid_search_sklearn"] = PATHS["grid_search"].replace(
    "from fastmlp.sklearn import", "from sklearn.neural_network import")


def run(script, env):
    """Wall-clock seconds of the process, and the CPU seconds (user + system) of it and of
    the processes it waited for (a busy host stretches the first, hardly the second)."""
    began = time.perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", "import warnings; warnings.simplefilter('ignore')\n"
                    + script], env=env, check=True, capture_output=True,
                   cwd=tempfile.gettempdir())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    return time.perf_counter() - began, used


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--warm-runs", type=int, default=1,
                        help="warm runs after each cold one (the warm figure is noisier)")
    args = parser.parse_args(argv)
    trees = [os.path.abspath(tree) for tree in args.trees]
    results = {tree: {} for tree in trees}
    for _ in range(args.rounds):
        for path in args.paths.split(","):
            for tree in trees:
                with tempfile.TemporaryDirectory() as cache:
                    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "FASTMLP_CACHE_DIR": cache,
                           "PYTHONPATH": tree}
                    for state in ["cold"] + ["warm"] * args.warm_runs:
                        seconds, cpu = run(PATHS[path], env)
                        results[tree].setdefault(f"{path} {state}", []).append(
                            [round(seconds, 2), round(cpu, 2)])
                        print(f"{os.path.basename(tree):12} {path:20} {state} {seconds:6.2f} s"
                              f" (CPU {cpu:6.2f} s)", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
