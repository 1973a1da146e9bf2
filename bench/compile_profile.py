"""Where a cold first fit's compile time goes, function by function.

    python bench/compile_profile.py            # mini-batch fit (batch 32)
    python bench/compile_profile.py --batch 1  # per-sample fit
    python bench/compile_profile.py --path sklearn  # MLPClassifier fit + predict_proba
    python bench/compile_profile.py --path predict  # a new network's first predict

Runs the start-up benchmark's first fit (3-4-2 network, 64 rows, 2 epochs) in this process
with an empty Numba cache, records Numba's compile events, and prints for every function
compiled its exclusive time (its own, without the functions it made Numba compile) and the
part of it spent in LLVM. Numbers move with the host's load: compare variants alternately.
"""

import argparse
import os
import sys
import tempfile
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--path", choices=("fit", "sklearn", "predict"), default="fit")
    args = parser.parse_args(argv)
    # before Numba reads its config; fastmlp's own variable wins over Numba's
    os.environ["NUMBA_CACHE_DIR"] = os.environ["FASTMLP_CACHE_DIR"] = tempfile.mkdtemp()
    began = time.perf_counter()
    import numpy as np
    from numba.core import event

    import fastmlp

    imported = time.perf_counter()
    X = np.random.default_rng(0).normal(size=(64, 3))
    Y = (X[:, :2] > 0).astype(float)
    with event.install_recorder("numba:compile") as recorder:
        if args.path == "sklearn":
            from fastmlp.sklearn import MLPClassifier
            MLPClassifier((4,), max_iter=2, random_state=0).fit(X, Y[:, 0]).predict_proba(X)
        elif args.path == "predict":
            fastmlp.MLP((3, 4, 2)).predict(X)
        else:
            fastmlp.MLP((3, 4, 2)).fit(X, Y, batch_size=args.batch, epochs=2)
    done = time.perf_counter()
    print(f"import {imported - began:.2f} s, first {args.path} {done - imported:.2f} s")

    # pair the start and end events (they nest) into inclusive times per compilation
    stack, rows = [], []
    for stamp, ev in recorder.buffer:
        if ev.is_start:
            stack.append([ev.data, stamp, 0.0, 0.0])
            continue
        data, start, children, children_llvm = stack.pop()
        dispatcher, signature = data["dispatcher"], tuple(data["args"])
        llvm = 0.0
        for sig, result in dispatcher.overloads.items():
            if tuple(sig) == signature:
                llvm = result.metadata.get("timers", {}).get("llvm_lock", 0.0)
        inclusive = stamp - start
        rows.append((inclusive - children, llvm - children_llvm,
                     dispatcher.py_func.__qualname__))
        if stack:
            stack[-1][2] += inclusive
            stack[-1][3] += llvm
    print(f"{'function':48} {'own s':>6} {'LLVM s':>7}")
    for own, llvm, name in sorted(rows, reverse=True):
        print(f"{name[:48]:48} {own:6.2f} {llvm:7.2f}")
    print(f"{'total':48} {sum(r[0] for r in rows):6.2f} {sum(r[1] for r in rows):7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
