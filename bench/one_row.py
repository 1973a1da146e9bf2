"""Latency of one-row predictions, fastmlp against scikit-learn's own estimators, in one run:
``python bench/one_row.py [--runs 3] [--threads 1]``.

Models, trained once on the shipped digits (64 features, 10 classes) or on 20 of its
features as a regression target:

- ``64-32-10`` and ``64-100-10`` (scikit-learn's default ``(100,)``) ReLU / softmax
  classifiers: scikit-learn's ``MLPClassifier`` and fastmlp's, each fitted by itself with
  the same options; a ``fastmlp.MLP`` holding fastmlp's fitted weights (its ``predict``
  answers the probabilities, so it is set beside ``predict_proba``);
- a ``64-32-1`` ReLU regressor, scikit-learn's ``MLPRegressor`` and fastmlp's.

Each way answers one row (a C-contiguous float64 array of shape (1, 64)); a way's time is
the median, over 15 timed loops of about 20 ms, of the microseconds per call. The ways run
interleaved (every way's loop before any way's next), so that a load on the machine
changes them alike, and the whole measurement is repeated ``--runs`` times; printed are each
run's medians, then per way the range over the runs and the range of the ratio
scikit-learn / fastmlp within a run. BLAS under scikit-learn is held to ``--threads``
threads (threadpoolctl; one by default: a one-row product has nothing to split, and on a
shared machine BLAS threads oversubscribe the cores). Prints the CPU model (``lscpu``) and
the versions.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import timeit
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_limits

import fastmlp
from fastmlp.sklearn import MLPClassifier as FastClassifier
from fastmlp.sklearn import MLPRegressor as FastRegressor

LOOPS = 15
LOOP_SECONDS = 0.02


def cpu_model() -> str:
    """The CPU's model name as ``lscpu`` gives it."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return platform.processor() or "unknown"
    return next((line.split(":", 1)[1].strip() for line in out.splitlines()
                 if line.startswith("Model name")), "unknown")


def fitted(X, y, hidden: tuple[int, ...]):
    """scikit-learn's classifier and fastmlp's, each fitted with the same options, and an
    MLP holding fastmlp's weights."""
    options = dict(hidden_layer_sizes=hidden, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = MLPClassifier(**options).fit(X, y)
        ours = FastClassifier(**options).fit(X, y)
    net = fastmlp.MLP((X.shape[1], *hidden, 10), "relu", "softmax", "cross_entropy")
    for l, (W, b) in enumerate(zip(ours.coefs_, ours.intercepts_)):
        net.weights[l] = W
        net.biases[l] = b
    assert np.array_equal(net.predict_proba(X), ours.predict_proba(X))
    assert (ours.predict(X) == theirs.predict(X)).mean() > 0.9
    return theirs, ours, net


def ways(X, y, row) -> list[tuple[str, str, object]]:
    """(case, implementation, call) for every way timed."""
    result = []
    for hidden in ((32,), (100,)):
        theirs, ours, net = fitted(X, y, hidden)
        case = f"64-{hidden[0]}-10"
        result += [
            (f"{case} predict_proba", "scikit-learn", lambda m=theirs: m.predict_proba(row)),
            (f"{case} predict_proba", "fastmlp.sklearn", lambda m=ours: m.predict_proba(row)),
            (f"{case} predict", "scikit-learn", lambda m=theirs: m.predict(row)),
            (f"{case} predict", "fastmlp.sklearn", lambda m=ours: m.predict(row)),
            # MLP.predict answers the same probabilities (the softmax outputs)
            (f"{case} predict_proba", "MLP.predict", lambda m=net: m.predict(row)),
        ]
    target = X[:, :20].sum(axis=1) / 20.0
    options = dict(hidden_layer_sizes=(32,), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = MLPRegressor(**options).fit(X, target)
        ours = FastRegressor(**options).fit(X, target)
    result += [("64-32-1 regressor predict", "scikit-learn", lambda: theirs.predict(row)),
               ("64-32-1 regressor predict", "fastmlp.sklearn", lambda: ours.predict(row))]
    return result


def one_run(calls) -> list[float]:
    """Median microseconds per call of each call, timed interleaved."""
    numbers = []
    for call in calls:
        call()  # warm: compiled kernels, remembered networks
        per_call = timeit.timeit(call, number=50) / 50
        numbers.append(max(1, int(LOOP_SECONDS / max(per_call, 1e-9))))
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(LOOPS):
        for k, call in enumerate(calls):
            times[k].append(timeit.timeit(call, number=numbers[k]) / numbers[k] * 1e6)
    return [float(np.median(t)) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    X, y = fastmlp.datasets.load_digits()
    row = np.ascontiguousarray(X[:1], dtype=np.float64)
    table = ways(X, y, row)
    print(f"CPU: {cpu_model()}; Python {platform.python_version()}, numpy {np.__version__}, "
          f"scikit-learn {sklearn.__version__}, fastmlp {fastmlp.__version__}; BLAS threads "
          f"{args.threads}; one row (1, 64) float64, median us per call")
    runs = []
    with threadpool_limits(args.threads):
        for r in range(args.runs):
            runs.append(one_run([call for _, _, call in table]))
            print(f"run {r + 1}: " + ", ".join(f"{t:.1f}" for t in runs[-1]))
    runs_array = np.array(runs)
    print(f"\n{'case':30s} {'implementation':16s} {'us per call (runs)':>22s} "
          f"{'scikit-learn / this':>22s}")
    for k, (case, who, _) in enumerate(table):
        low, high = runs_array[:, k].min(), runs_array[:, k].max()
        ratio = ""
        peer = next(j for j, (c, w, _) in enumerate(table) if c == case and w == "scikit-learn")
        if peer != k:
            ratios = runs_array[:, peer] / runs_array[:, k]
            ratio = f"{ratios.min():.1f}-{ratios.max():.1f}x"
        print(f"{case:30s} {who:16s} {low:10.1f} - {high:8.1f} {ratio:>22s}")


if __name__ == "__main__":
    main()
