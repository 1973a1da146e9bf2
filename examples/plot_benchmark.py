"""
The benchmark against its strongest peers, from a stored results file
======================================================================

``python -m fastmlp.bench --json results.json`` writes the whole sweep's numbers; this chart
reads a stored copy, so drawing it needs neither JAX nor PyTorch nor the minutes of the sweep.
The file holds one run of ``bash bench/peers_sweep.sh`` on the host's ISA (see
:doc:`../user_guide/speed`; the machine, its load and the commit are printed below): for each
case, fastmlp's time per sample and every peer's -- JAX (the whole fit in one ``jit`` and a
jitted step loop), PyTorch (eager and ``torch.compile``), scikit-learn and the hand-written C
loops where they cover the case. The right panel is each peer's time over fastmlp's: bars
above 1 are cases where fastmlp is faster than that peer.
"""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

try:
    here = Path(__file__).parent
except NameError:  # run cell by cell in a notebook
    here = Path.cwd()
results = json.loads((here / "data" / "bench_peers.json").read_text())
rows = results["rows"]
machine = results["machine"]
print(f"{machine['cpu_model']} ({machine['cpu_isa']}), {machine['cores']} cores; kernels "
      f"compiled for {machine['numba_cpu_name']} ({machine['numba_isa']}); load "
      f"{machine['load_average'][0]:.2f} -> {machine['load_average_after'][0]:.2f}; "
      f"commit {results.get('commit', 'not recorded')}")

peers = sorted({key[:-len("_samples_per_s")] for row in rows for key in row
                if key.endswith("_samples_per_s")} - {"fastmlp", "reference"})
cases = [row["case"] for row in rows]
for row in rows:
    strongest = max((row[f"{p}_samples_per_s"], p) for p in peers
                    if f"{p}_samples_per_s" in row)
    print(f"{row['case']:32s} fastmlp {row['ns_per_sample']:>9,.0f} ns/sample; strongest "
          f"peer {strongest[1]} {1e9 / strongest[0]:>9,.0f}")

fig, axes = plt.subplots(1, 2, figsize=(13, 5))
ax = axes[0]
ax.barh(cases, [row["ns_per_sample"] for row in rows], color="C2")
ax.set(title="fastmlp: nanoseconds per sample (log)", xscale="log")
ax.invert_yaxis()
ax = axes[1]
positions = np.arange(len(rows))
width = 0.8 / len(peers)
for k, peer in enumerate(peers):
    ratios = [row["fastmlp_samples_per_s"] / row[f"{peer}_samples_per_s"]
              if f"{peer}_samples_per_s" in row else np.nan for row in rows]
    ax.barh(positions + width * k, ratios, width, label=peer)
ax.axvline(1, color="k", lw=0.8)
ax.set(title="the peer's time over fastmlp's (log; above 1: fastmlp faster)", xscale="log",
       yticks=positions + 0.4 - width / 2, yticklabels=cases)
ax.invert_yaxis()
ax.legend(fontsize="small", loc="lower right")
fig.tight_layout()
plt.show()
