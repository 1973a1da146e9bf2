"""``python -m fastmlp.bench``: the benchmark sweep in one process, printed as a table.

Every case times the same work (same network, data, batches and update rule) in fastmlp,
reference.py and each installed peer (PyTorch, scikit-learn). Compilation is excluded from the
timings: each runner is warmed up first, and fastmlp's warm-up time is reported on its own,
along with a cold start (import + first fit) in a fresh process with an empty Numba cache.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

import numpy as np

from .cases import CASES, CASES_BY_NAME
from .machine import describe, header
from .runners import PEER_MODULES, RUNNERS, best_time, gemm_gflops

STARTUP_SCRIPT = (
    "import time; t = time.perf_counter(); import numpy as np, fastmlp; "
    "X = np.random.default_rng(0).normal(size=(64, 3)); Y = (X[:, :2] > 0).astype(float); "
    "fastmlp.MLP((3, 4, 2)).fit(X, Y, batch_size={batch}, epochs=2); "
    "print(time.perf_counter() - t)"
)


def run_case(case, peers, quick=False):
    """Time fastmlp, reference.py and each peer on ``case``, interleaved: every round calls
    each runner once, until each has run for half a second (its best call is its time) or
    100 times. A shared machine's slow moments then fall on all of them alike."""
    X, Y = case.data()
    row = {"case": case.name, "samples": case.n_samples * (1 if case.mode == "forward"
                                                             else case.epochs)}
    began = time.perf_counter()
    works = {"fastmlp": RUNNERS["fastmlp"](case, X, Y)}
    row["fastmlp_warmup_s"] = time.perf_counter() - began
    for name in ["reference"] + peers:
        try:
            prepared = RUNNERS[name](case, X, Y)
        except ImportError:
            continue
        if prepared is not None:
            works[name] = prepared
    best, cpu = interleaved_best(works, min_total=0.1 if quick else 0.5,
                                 max_repeats=2 if quick else 100)
    for name, seconds in best.items():
        row[f"{name}_samples_per_s"] = row["samples"] / seconds
        # the process's CPU time in that best call (all its threads): on a busy machine, a
        # wall time far above it is time spent waiting for a core
        row[f"{name}_cpu_s"] = cpu[name]
    row["gflops"] = row["fastmlp_samples_per_s"] * case.flops_per_sample / 1e9
    row["ns_per_sample"] = 1e9 / row["fastmlp_samples_per_s"]
    return row


def interleaved_best(works, min_total, max_repeats):
    """Best wall time of each callable in ``works`` (name -> callable), called in rounds, and
    the process CPU time of that best call: two dicts by name."""
    times: dict = {name: [] for name in works}
    while True:
        pending = [name for name, t in times.items()
                   if len(t) < max_repeats and sum(w for w, _ in t) < min_total]
        if not pending:
            best = {name: min(t) for name, t in times.items()}
            return ({name: w for name, (w, _) in best.items()},
                    {name: c for name, (_, c) in best.items()})
        for name in pending:
            began, began_cpu = time.perf_counter(), time.process_time()
            works[name]()
            times[name].append((time.perf_counter() - began, time.process_time() - began_cpu))


def strongest_peer(row, peers):
    """(name, samples/s) of the fastest peer on a row (reference.py is not a peer), or
    None."""
    rates = [(row[f"{p}_samples_per_s"], p) for p in peers if f"{p}_samples_per_s" in row]
    if not rates:
        return None
    rate, name = max(rates)
    return name, rate


def scaling(quick=False):
    """Epoch time of fastmlp against N (mini-batch 64-32-10 / 32): linear means flat
    time-per-sample."""
    base = CASES_BY_NAME["mini-batch 64-32-10 /32"]
    out = []
    for n in ([2_500, 10_000] if quick else [5_000, 20_000, 80_000]):
        case = replace(base, n_samples=n)
        X, Y = case.data()
        work = RUNNERS["fastmlp"](case, X, Y)
        out.append((n, best_time(work, 0.2, 3)))
    return out


def startup():
    """Import + first fit in fresh processes: with an empty Numba cache, then with it filled.
    Each kind of fit gets its own cache, so that neither starts from the other's kernels (the
    functions both use, the shuffle for one, would otherwise be compiled only once)."""
    result = {}
    for batch in (1, 32):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            script = STARTUP_SCRIPT.format(batch=batch)
            label = "per-sample" if batch == 1 else "mini-batch"
            for state in ("cold", "warm"):
                out = subprocess.run([sys.executable, "-c", script], env=env, check=True,
                                     capture_output=True, text=True).stdout
                result[f"{label} {state}"] = float(out.strip().splitlines()[-1])
    return result


def format_table(rows, gemm, peers):
    lines = []
    head = (f"{'case':32} {'fastmlp/s':>11} {'ns/sample':>10} {'x ref':>8}"
            + "".join(f" {'x ' + p:>{max(8, len(p) + 2)}}" for p in peers)
            + f" {'strongest peer':>20} {'GFLOP/s':>8} {'%GEMM':>6} {'warm-up':>8}")
    lines.append(head)
    lines.append("-" * len(head))
    for row in rows:
        fast = row["fastmlp_samples_per_s"]
        ratio = lambda name: (f"{fast / row[name + '_samples_per_s']:.2f}"  # noqa: E731
                              if name + "_samples_per_s" in row else "-")
        strongest = strongest_peer(row, peers)
        top = f"{strongest[0]} {fast / strongest[1]:.2f}" if strongest else "-"
        lines.append(f"{row['case']:32} {fast:>11,.0f} {row['ns_per_sample']:>10.0f} "
                     f"{ratio('reference'):>8}"
                     + "".join(f" {ratio(p):>{max(8, len(p) + 2)}}" for p in peers)
                     + f" {top:>20} {row['gflops']:>8.2f} {100 * row['gflops'] / gemm:>5.1f}%"
                     + f" {row['fastmlp_warmup_s']:>7.2f}s")
    return "\n".join(lines)


def write_png(rows, peers, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["fastmlp", "reference"] + peers
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        values = [row.get(f"{name}_samples_per_s", np.nan) for row in rows]
        ax.bar(np.arange(len(rows)) + k * width, values, width, label=name)
    ax.set_yscale("log")
    ax.set_ylabel("samples / s (log)")
    ax.set_xticks(np.arange(len(rows)) + 0.4 - width / 2)
    ax.set_xticklabels([row["case"] for row in rows], rotation=20, ha="right", fontsize=8)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastmlp.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rows and repeats")
    parser.add_argument("--cases", nargs="*", choices=list(CASES_BY_NAME), metavar="CASE",
                        help="case names, quoted (default: all): "
                             + "; ".join(CASES_BY_NAME))
    parser.add_argument("--peers", nargs="*", default=list(PEER_MODULES),
                        choices=list(PEER_MODULES),
                        help="peers to time (default: all installed: %(default)s)")
    parser.add_argument("--json", help="write the results as JSON to this path")
    parser.add_argument("--png", help="write a bar chart (needs matplotlib) to this path")
    parser.add_argument("--no-startup", action="store_true", help="skip the cold-start runs")
    parser.add_argument("--optimizer", default="sgd",
                        choices=["sgd", "momentum", "nesterov", "adam"],
                        help="the update rule of every training case (default: sgd)")
    args = parser.parse_args(argv)
    if args.png:
        try:  # before the sweep, not after minutes of it
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--png needs matplotlib (pip install matplotlib)")

    peers = []
    for peer in args.peers:
        module = PEER_MODULES[peer]
        try:
            if module is not None:
                __import__(module)
            peers.append(peer)
        except ImportError:
            print(f"({peer} not installed: skipped)")
    cases = [CASES_BY_NAME[c] for c in args.cases] if args.cases else CASES
    if args.quick:
        cases = [c.smaller(2_000) for c in cases]
    cases = [c.with_optimizer(args.optimizer) for c in cases]

    machine = describe()
    if {"c_strict", "c_fast_math"} & set(peers):
        from .cfloor import march

        machine["environment"]["c floors"] = f"-march={march()}"
    print(header(machine))
    print(f"Python {platform.python_version()}, NumPy {np.__version__}")
    versions = {"numpy": np.__version__}
    import numba
    versions["numba"] = numba.__version__
    if "pytorch" in peers or "torch_compile" in peers:
        import torch
        versions["torch"] = torch.__version__
        from .torch_peers import THREADS

        print(f"PyTorch {torch.__version__} with {THREADS} threads, "
              f"CPU capability {torch.backends.cpu.get_cpu_capability()}")
        machine["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
    if "sklearn" in peers:
        import sklearn
        versions["sklearn"] = sklearn.__version__
    if "jax" in peers or "jax_step" in peers:
        import jax
        versions["jax"] = jax.__version__
    gemm_size = 1024 if args.quick else 2048
    gemm = gemm_gflops(gemm_size)
    rows = [run_case(case, peers, args.quick) for case in cases]
    # measured again after the sweep, the best of both: on a shared host one measurement can
    # land in a slow moment and inflate every "%GEMM"
    gemm = max(gemm, gemm_gflops(gemm_size))
    print(f"large-GEMM rate (float32, SciPy BLAS via Numba): {gemm:.1f} GFLOP/s")
    machine["load_average_after"] = describe()["load_average"]
    print(header(machine) + f"; load after the sweep {machine['load_average_after'][0]:.2f}"
          if machine["load_average_after"] else header(machine))
    print(format_table(rows, gemm, peers))
    print("x ref / x peer: how many times more samples/s than that implementation; GFLOP/s "
          "counts 6 flops per weight per sample (forward, delta, gradient) plus updates.")
    result = {"machine": machine, "versions": versions, "gemm_gflops": gemm, "rows": rows}
    scale = scaling(args.quick)
    base_n, base_t = scale[0]
    print("epoch time against N (64-32-10 / 32): " + ", ".join(
        f"N={n}: {t * 1e3:.1f} ms ({t / base_t / (n / base_n):.2f}x linear)" for n, t in scale))
    result["scaling"] = scale
    if not args.no_startup:
        start = startup()
        print("start-up, import + first fit in a new process: " + ", ".join(
            f"{k} {v:.2f} s" for k, v in start.items()))
        result["startup_s"] = start
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
    if args.png:
        write_png(rows, peers, args.png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
