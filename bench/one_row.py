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

Same bits before and after a change: ``python bench/one_row.py --save FILE.npz`` writes the
predictions of a set of networks and estimators (every output kind, both dtypes, one row,
a few rows, more than a chunk and more than two threads take; each call made twice, the
second one on the quick path) instead of timing; run it on both versions
(``PYTHONPATH=...``), then ``python bench/one_row.py --compare BEFORE.npz AFTER.npz``
compares them with ``np.array_equal`` (and dtypes and shapes).
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


def predictions() -> dict[str, np.ndarray]:
    """Predictions of networks and estimators of every output kind, both dtypes, named."""
    warnings.simplefilter("ignore")
    out = {}
    X = np.random.default_rng(0).normal(size=(5000, 6))
    nets = [((6, 9, 4), "relu", "softmax", "cross_entropy"),
            ((6, 5, 1), "tanh", "sigmoid", "binary_cross_entropy"),
            ((6, 8, 7, 3), "elu", "sigmoid", "binary_cross_entropy"),
            ((6, 4, 2), "leaky_relu", "identity", "mse"),
            ((6, 5, 2), "softsign", "exp", "poisson"),
            ((6, 100, 100, 3), "sigmoid", "softmax", "cross_entropy")]
    for dtype in ("float64", "float32"):
        Xd = X.astype(dtype)
        for k, (sizes, hidden, output, loss) in enumerate(nets):
            net = fastmlp.MLP(sizes, hidden, output, loss, dtype=dtype, init="normal",
                              init_scale=0.5, seed=3)
            for n in (1, 1, 7, 300, 5000):  # twice one row: the second on the quick path
                out[f"mlp{k}-{dtype}-{n}-predict"] = net.predict(Xd[:n])
                if loss in ("cross_entropy", "binary_cross_entropy"):
                    out[f"mlp{k}-{dtype}-{n}-proba"] = net.predict_proba(Xd[:n])
                    out[f"mlp{k}-{dtype}-{n}-classes"] = net.predict_classes(Xd[:n])
        Xt = X[:300]
        y3 = np.digitize(Xt[:, 0] + Xt[:, 1], [-0.5, 0.5])
        options = dict(hidden_layer_sizes=(7,), max_iter=5, random_state=0, dtype=dtype)
        models = [FastClassifier(**options).fit(Xt, y3),
                  FastClassifier(**options).fit(Xt, np.array(["no", "yes"])[y3 % 2]),
                  FastClassifier(**options).fit(Xt, (Xt[:, :3] > 0).astype(int)),
                  FastRegressor(**options).fit(Xt, Xt[:, 0]),
                  FastRegressor(**options).fit(Xt, Xt[:, :2]),
                  FastRegressor(loss="poisson", **options).fit(Xt, np.exp(Xt[:, 0]))]
        for k, model in enumerate(models):
            for rows_dtype in ("float64", "float32"):
                for n in (1, 1, 7, 300, 5000):
                    rows = X[:n].astype(rows_dtype)
                    name = f"est{k}-{dtype}-{rows_dtype}-{n}"
                    out[f"{name}-predict"] = model.predict(rows)
                    if hasattr(model, "predict_proba"):
                        out[f"{name}-proba"] = model.predict_proba(rows)
                        out[f"{name}-log_proba"] = model.predict_log_proba(rows)
    return out


def compare(before_path: str, after_path: str) -> None:
    before, after = np.load(before_path), np.load(after_path)
    if set(before) != set(after):
        raise SystemExit(f"different predictions saved: {sorted(set(before) ^ set(after))}")
    differing = [k for k in before if not (
        before[k].dtype == after[k].dtype and before[k].shape == after[k].shape
        and np.array_equal(before[k], after[k]))]
    print(f"{len(before)} arrays compared, {len(differing)} differ"
          + (": " + ", ".join(differing) if differing else ""))
    if differing:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--save", metavar="FILE", help="write predictions, do not time")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.save:
        np.savez(args.save, **predictions())
        return
    if args.compare:
        compare(*args.compare)
        return
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
