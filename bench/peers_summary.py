"""Median and range of several ``python -m fastmlp.bench --json`` results, per ISA, as
Markdown tables: ``python bench/peers_summary.py RESULTS.json ...``.

Runs are grouped by the ISA fastmlp's kernels were compiled for (the results' ``machine``
header). Each cell is the median ns/sample of the runs with their range; the last column is
fastmlp's speed against the strongest peer of each run (that peer's time / fastmlp's, both
measured in the same run: above 1 means fastmlp is faster), median and range, with the peer
named. reference.py is not a peer. Where the runs recorded CPU time, "fastmlp CPU/wall" is
the process's CPU time over the wall time of fastmlp's best call: about 1 (one thread) to 2
(both cores) when fastmlp had the cores to itself, well below 1 when it waited for them.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import numpy as np

LABELS = {"fastmlp": "fastmlp", "jax": "JAX scan", "jax_step": "JAX step loop",
          "pytorch": "PyTorch eager", "torch_compile": "torch.compile",
          "sklearn": "scikit-learn", "c_strict": "C strict", "c_fast_math": "C fast-math"}
PEERS = [name for name in LABELS if name != "fastmlp"]


def _cell(values, digits: int | None = None) -> str:
    """Median (min–max); ``digits`` after the point, by default by the median's size."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return "-"
    med, low, high = np.median(values), values.min(), values.max()
    if digits is None:
        digits = 0 if med >= 100 else (1 if med >= 1 else 2)
    if len(values) == 1:
        return f"{med:,.{digits}f}"
    return f"{med:,.{digits}f} ({low:,.{digits}f}–{high:,.{digits}f})"


def summarize(results: list[dict]) -> str:
    groups: dict = defaultdict(list)
    for result in results:
        m = result["machine"]
        groups[(m["cpu_model"], m["cpu_isa"], m["numba_cpu_name"], m["numba_isa"])].append(
            result)
    out = []
    for (model, isa, numba_cpu, numba_isa), runs in groups.items():
        loads = [r["machine"]["load_average"][0] for r in runs if r["machine"]["load_average"]]
        loads += [r["machine"].get("load_average_after", [np.nan])[0] for r in runs]
        out.append(f"**{model} ({isa}), fastmlp compiled for {numba_cpu} ({numba_isa})**, "
                   f"{len(runs)} runs, 1-minute load {np.nanmin(loads):.1f}–"
                   f"{np.nanmax(loads):.1f}; environment: "
                   + (", ".join(f"`{k}={v}`" for k, v in
                                runs[0]["machine"]["environment"].items()) or "none"))
        out.append("")
        present = [p for p in PEERS if any(f"{p}_samples_per_s" in row for r in runs
                                           for row in r["rows"])]
        out.append("| case | " + " | ".join(LABELS[n] for n in ["fastmlp", *present])
                   + " | vs strongest peer | fastmlp CPU/wall |")
        out.append("|---" * (len(present) + 4) + "|")
        for case in [row["case"] for row in runs[0]["rows"]]:
            rows = [next(row for row in r["rows"] if row["case"] == case) for r in runs]
            cells = []
            for name in ["fastmlp", *present]:
                key = f"{name}_samples_per_s"
                cells.append(_cell([1e9 / row[key] for row in rows if key in row]))
            ratios, names = [], []
            for row in rows:
                rates = [(row[f"{p}_samples_per_s"], p) for p in present
                         if f"{p}_samples_per_s" in row]
                if rates:
                    rate, name = max(rates)
                    ratios.append(row["fastmlp_samples_per_s"] / rate)
                    names.append(LABELS[name])
            strongest = (f"{_cell(ratios, 2)}x {', '.join(sorted(set(names)))}"
                         if ratios else "-")
            use = [row["fastmlp_cpu_s"] * row["fastmlp_samples_per_s"] / row["samples"]
                   for row in rows if "fastmlp_cpu_s" in row]
            out.append(f"| {case} | " + " | ".join(cells) + f" | {strongest} | "
                       + (_cell(use, 2) if use else "-")
                       + " |")
        out.append("")
    return "\n".join(out)


def main(paths: list[str]) -> int:
    results = []
    for path in paths:
        with open(path) as fh:
            results.append(json.load(fh))
    print(summarize(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
