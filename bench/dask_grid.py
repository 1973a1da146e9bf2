"""Grid search on a Dask cluster of 1 and of 2 local worker processes:
``python bench/dask_grid.py``.

A GridSearchCV over fastmlp.sklearn.MLPClassifier (8 candidates x 3 folds = 24 fits, on 30000
rows x 20 features) runs through joblib's Dask backend on a LocalCluster with one thread per
worker, alternately with 1 and 2 workers, ``--rounds`` times each; the speed-up is the ratio of
the best times. The cv scores are checked equal between the two.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np


def search(X, y):
    from sklearn.model_selection import GridSearchCV

    from fastmlp.sklearn import MLPClassifier

    grid = {"hidden_layer_sizes": [(64,), (128,)], "alpha": [1e-4, 1e-2],
            "learning_rate_init": [1e-3, 1e-2]}
    return GridSearchCV(MLPClassifier(max_iter=20, random_state=0), grid, cv=3, n_jobs=-1)


def timed_search(n_workers: int, X, y):
    import distributed
    from joblib import parallel_config

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                      processes=True, dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            # warm the workers (load the compiled kernels) before timing
            client.run(_warm_up)
            began = time.perf_counter()
            with parallel_config(backend="dask"):
                fitted = search(X, y).fit(X, y)
            elapsed = time.perf_counter() - began
    return elapsed, fitted.cv_results_["mean_test_score"]


def _warm_up():
    import fastmlp
    from fastmlp.sklearn import MLPClassifier

    fastmlp.set_num_threads(1)  # one core per worker: the cluster provides the parallelism
    X = np.random.default_rng(0).normal(size=(100, 20))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifier((8,), max_iter=2).fit(X, X[:, 0] > 0)


def main(argv=None):
    from sklearn.datasets import make_classification

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    X, y = make_classification(n_samples=30000, n_features=20, n_informative=10, n_classes=3,
                               random_state=0)
    _warm_up()
    times = {1: [], 2: []}
    scores = {}
    for _ in range(args.rounds):
        for n in (1, 2):
            elapsed, scores[n] = timed_search(n, X, y)
            times[n].append(elapsed)
            print(f"{n} worker(s): {elapsed:.2f} s", flush=True)
    np.testing.assert_array_equal(scores[1], scores[2])
    print(f"best: 1 worker {min(times[1]):.2f} s, 2 workers {min(times[2]):.2f} s, "
          f"speed-up {min(times[1]) / min(times[2]):.2f}x (cv scores equal)")


if __name__ == "__main__":
    main()
