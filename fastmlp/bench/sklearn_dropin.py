"""``python -m fastmlp.bench.sklearn_dropin``: fit time of :mod:`fastmlp.sklearn` against
scikit-learn's own ``MLPClassifier`` with identical parameters, in one process.

Each case fits both estimators with the same parameters, seed and data, alternately, a few
rounds; it reports the best time of each, their ratio, and the largest relative difference of
the fitted ``coefs_`` / ``intercepts_`` (the check that both did the same work). fastmlp's
kernels are compiled by a warm-up fit first (compilation is reported by the start-up figures
of ``python -m fastmlp.bench``, not here).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class DropInCase:
    name: str
    data: str  # "digits" or "synthetic"
    params: dict = field(default_factory=dict)


SMALL = (16,)
CASES = [
    *(DropInCase(f"digits {solver} {label}", "digits",
                 dict(solver=solver, hidden_layer_sizes=hidden,
                      max_iter=100 if solver == "lbfgs" else 30))
      for solver in ("adam", "sgd", "lbfgs")
      for label, hidden in (("(100,)", (100,)), ("(16,)", SMALL))),
    *(DropInCase(f"50k x 100 {solver} {label}", "synthetic",
                 dict(solver=solver, hidden_layer_sizes=hidden,
                      max_iter=30 if solver == "lbfgs" else 3))
      for solver in ("adam", "sgd", "lbfgs")
      for label, hidden in (("(100,)", (100,)), ("(16,)", SMALL))),
]


def load(name: str):
    from sklearn.datasets import load_digits, make_classification
    from sklearn.preprocessing import StandardScaler

    if name == "digits":
        X, y = load_digits(return_X_y=True)
    else:
        X, y = make_classification(n_samples=50_000, n_features=100, n_informative=40,
                                   n_classes=5, random_state=0)
    return StandardScaler().fit_transform(X), y


def relative_difference(a, b) -> float:
    return max(float(np.max(np.abs(x - y)) / np.max(np.abs(y)))
               for x, y in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_))


def run_case(case: DropInCase, data, rounds: int) -> dict:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier as Theirs

    from fastmlp.sklearn import MLPClassifier as Ours

    X, y = data
    params: dict[str, Any] = dict(random_state=0, **case.params)
    times: dict[str, list[float]] = {"fastmlp": [], "sklearn": []}
    fitted = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        Ours(**params).fit(X[:200], y[:200])  # compile (or load) the kernels
        for _ in range(rounds):
            for name, cls in (("fastmlp", Ours), ("sklearn", Theirs)):
                began = time.perf_counter()
                fitted[name] = cls(**params).fit(X, y)
                times[name].append(time.perf_counter() - began)
    ours, theirs = min(times["fastmlp"]), min(times["sklearn"])
    return {"case": case.name, "fastmlp_s": ours, "sklearn_s": theirs,
            "speedup": theirs / ours, "n_iter": fitted["fastmlp"].n_iter_,
            "same_n_iter": fitted["fastmlp"].n_iter_ == fitted["sklearn"].n_iter_,
            "max_rel_diff": relative_difference(fitted["fastmlp"], fitted["sklearn"]),
            "fastmlp_all_s": times["fastmlp"], "sklearn_all_s": times["sklearn"]}


def dgemm_ceiling(rounds: int = 2000) -> dict[int, float]:
    """NumPy's DGEMM rate (GFLOP/s) on the default network's batch product, 200 x 100 x 100,
    with 1 and 2 BLAS threads: the ceiling of any implementation on that case."""
    from threadpoolctl import threadpool_limits

    a, b = np.random.rand(200, 100), np.random.rand(100, 100)
    rates = {}
    for threads in (1, 2):
        with threadpool_limits(threads, user_api="blas"):
            a @ b
            began = time.perf_counter()
            for _ in range(rounds):
                a @ b
            rates[threads] = 2 * 200 * 100 * 100 * rounds / (time.perf_counter() - began) / 1e9
    return rates


AGREEMENT_SOLVERS: dict[str, dict[str, Any]] = {
    "adam": dict(solver="adam"),
    "sgd (Nesterov)": dict(solver="sgd"),
    "sgd (momentum)": dict(solver="sgd", nesterovs_momentum=False),
    "sgd invscaling": dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.5),
    "sgd adaptive": dict(solver="sgd", learning_rate="adaptive", n_iter_no_change=1, tol=0.05),
    "lbfgs": dict(solver="lbfgs"),
}


def agreement_table(max_iter: int = 10) -> list[dict]:
    """Largest relative difference of coefs_ / intercepts_ between fastmlp.sklearn and
    scikit-learn after ``max_iter`` epochs (lbfgs: iterations), digits, hidden (20, 10),
    random_state 0: classifier (10 classes) and regressor (one target)."""
    from sklearn import neural_network as theirs
    from sklearn.exceptions import ConvergenceWarning

    from fastmlp import sklearn as ours

    X, y = load("digits")
    targets = {"MLPClassifier": y, "MLPRegressor": X[:, :5].sum(axis=1) + 0.1 * y}
    rows = []
    for label, solver in AGREEMENT_SOLVERS.items():
        row: dict[str, Any] = {"solver": label}
        for name, target in targets.items():
            params: dict[str, Any] = dict(hidden_layer_sizes=(20, 10), max_iter=max_iter,
                                          random_state=0, **solver)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                a = getattr(ours, name)(**params).fit(X, target)
                b = getattr(theirs, name)(**params).fit(X, target)
            row[name] = relative_difference(a, b)
            row[name + " n_iter"] = (a.n_iter_, b.n_iter_)
        rows.append(row)
    return rows


def main(argv=None) -> list[dict]:
    import sklearn

    import fastmlp

    parser = argparse.ArgumentParser(prog="python -m fastmlp.bench.sklearn_dropin",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="fits of each per case")
    parser.add_argument("--cases", nargs="*", help="substrings of case names to run")
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--agreement", type=int, metavar="EPOCHS",
                        help="print the coefs_ agreement with scikit-learn after EPOCHS "
                             "epochs for each solver instead of timing")
    args = parser.parse_args(argv)
    if args.agreement:
        print(f"max relative difference of coefs_/intercepts_ after {args.agreement} epochs "
              "(digits, hidden (20, 10)); n_iter_ fastmlp/scikit-learn")
        rows = agreement_table(args.agreement)
        for row in rows:
            print(f"{row['solver']:<16} classifier {row['MLPClassifier']:.1e} "
                  f"{row['MLPClassifier n_iter']}   regressor {row['MLPRegressor']:.1e} "
                  f"{row['MLPRegressor n_iter']}")
        return rows
    cases = [c for c in CASES if not args.cases or any(s in c.name for s in args.cases)]
    print(f"fastmlp {fastmlp.__version__}, scikit-learn {sklearn.__version__}; "
          f"best of {args.rounds} fits each, alternating")
    ceiling = dgemm_ceiling()
    print("NumPy DGEMM 200x100x100: " + ", ".join(f"{rate:.0f} GFLOP/s on {n} thread(s)"
                                                    for n, rate in ceiling.items()))
    print(f"{'case':<28} {'fastmlp s':>10} {'sklearn s':>10} {'speed-up':>9} "
          f"{'n_iter':>7} {'coefs rel diff':>15}")
    loaded, rows = {}, []
    for case in cases:
        if case.data not in loaded:
            loaded[case.data] = load(case.data)
        row = run_case(case, loaded[case.data], args.rounds)
        rows.append(row)
        flag = "" if row["same_n_iter"] else "  (n_iter differs)"
        print(f"{row['case']:<28} {row['fastmlp_s']:>10.4f} {row['sklearn_s']:>10.4f} "
              f"{row['speedup']:>8.1f}x {row['n_iter']:>7} {row['max_rel_diff']:>15.1e}{flag}",
              flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return rows


if __name__ == "__main__":
    main()
