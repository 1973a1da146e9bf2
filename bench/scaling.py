"""Epoch time and memory against the number of rows, up to a million.

    python bench/scaling.py                      # 20k, 80k, 200k and 1M rows, 3 rounds
    python bench/scaling.py --rows 20000 80000 --rounds 2

Each (case, N) runs in a fresh process: the data are made, a one-epoch fit compiles and warms
up, then shuffled one-epoch fits are timed (best of ``--epochs``). The rounds visit every N in
turn, so a slow phase of the shared host lands on all sizes alike; the table gives the best
round per N. "x linear" is time per sample over the smallest N's time per sample (1.00 is
linear). "extra MB" is the peak resident memory of the process (VmHWM) minus its resident
memory just after the data were made (the peak reset there): what training adds on top of X
and Y. Per-sample fits run on the general kernel (``FASTMLP_SPECIALIZE=0``) unless
``--specialized``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CASES = {
    "per-sample SGD 3-4-2": dict(sizes=(3, 4, 2), activation="sigmoid", output="sigmoid",
                                 loss="mse", batch=1, dtype="float64"),
    "mini-batch 64-32-10 /32": dict(sizes=(64, 32, 10), activation="sigmoid",
                                    output="softmax", loss="cross_entropy", batch=32,
                                    dtype="float32"),
}

CHILD = r"""
import json, sys, time
import numpy as np
import fastmlp

spec, n, epochs = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def status(field):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field)) / 1024

rng = np.random.default_rng(0)
sizes = spec["sizes"]
X = rng.normal(size=(n, sizes[0])).astype(spec["dtype"])
labels = rng.integers(0, sizes[-1], n)
Y = np.eye(sizes[-1], dtype=spec["dtype"])[labels]
# start the peak afresh (Linux's clear_refs "5"): making the data passed through a float64
# copy of X, which is not training's memory
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")
data_mb = status("VmRSS")
net = fastmlp.MLP(sizes, spec["activation"], spec["output"], spec["loss"],
                  dtype=spec["dtype"], seed=0)
options = dict(batch_size=spec["batch"], epochs=1, learning_rate=0.05, shuffle=True, seed=0,
               verbose=0)
net.fit(X, Y, **options)  # compiles (or loads) the kernels and warms the caches
times = []
for _ in range(epochs):
    began = time.perf_counter()
    net.fit(X, Y, **options)
    times.append(time.perf_counter() - began)
print(json.dumps({"ns_per_sample": min(times) / n * 1e9,
                  "extra_mb": status("VmHWM") - data_mb}))
"""


def measure(spec: dict, n: int, epochs: int, specialized: bool = False) -> dict:
    # per-sample fits of 10^6 rows would take a specialized kernel from the disk cache if one
    # is there: the general kernel unless asked, so that the figures do not depend on it
    env = {**os.environ, "FASTMLP_SPECIALIZE": "1" if specialized else "0"}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(spec), str(n), str(epochs)],
                         check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+",
                        default=[20_000, 80_000, 200_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per process")
    parser.add_argument("--json", help="write every measurement to this path")
    parser.add_argument("--specialized", action="store_true",
                        help="let per-sample fits take a specialized kernel from the cache")
    args = parser.parse_args(argv)
    rows = sorted(args.rows)
    runs: dict[str, dict[int, list[dict]]] = {name: {n: [] for n in rows} for name in CASES}
    for _ in range(args.rounds):
        for name, spec in CASES.items():
            for n in rows:
                runs[name][n].append(measure(spec, n, args.epochs, args.specialized))
    print(f"{'case':26} {'rows':>9} {'ns/sample':>10} {'x linear':>9} {'extra MB':>9}")
    for name in CASES:
        base = min(r["ns_per_sample"] for r in runs[name][rows[0]])
        for n in rows:
            best = min(r["ns_per_sample"] for r in runs[name][n])
            extra = max(r["extra_mb"] for r in runs[name][n])
            print(f"{name:26} {n:>9,} {best:>10.0f} {best / base:>9.2f} {extra:>9.1f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(runs, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
