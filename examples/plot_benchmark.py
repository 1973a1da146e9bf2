"""
The benchmark against its peers, from a stored results file
===========================================================

``python -m fastmlp.bench --json results.json`` writes the whole sweep's numbers; this chart
reads a stored copy, so drawing it needs neither JAX nor the minutes of the sweep. The file
holds the run of :doc:`../user_guide/speed` (commit 3f608e0, 2 vCPUs of an Intel Xeon with
AVX-512): fastmlp's samples per second and how many times more that is than ``reference.py``
(the pure-NumPy twin) and than JAX (the whole epoch compiled with ``lax.scan``). Bars above 1
are cases where fastmlp is faster.
"""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

try:
    here = Path(__file__).parent
except NameError:  # run cell by cell in a notebook
    here = Path.cwd()
results = json.loads((here / "data" / "bench_3f608e0.json").read_text())
rows = results["rows"]
cases = [row["case"] for row in rows]
print(results["machine"])
for row in rows:
    print(f"{row['case']:32s} {row['fastmlp_samples_per_s']:>12,.0f} samples/s")

fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
ax = axes[0]
ax.barh(cases, [row["fastmlp_samples_per_s"] for row in rows], color="C2")
ax.set(title="fastmlp: samples per second (log)", xscale="log")
ax.invert_yaxis()
ax = axes[1]
positions = np.arange(len(rows))
for k, (key, label) in enumerate((("x_reference", "against reference.py (NumPy)"),
                                  ("x_jax", "against JAX"))):
    ax.barh(positions + 0.4 * k, [row[key] for row in rows], 0.4, label=label)
ax.axvline(1, color="k", lw=0.8)
ax.set(title="speed-up (times the peer's samples/s, log)", xscale="log",
       yticks=positions + 0.2, yticklabels=cases)
ax.invert_yaxis()
ax.legend()
fig.tight_layout()
plt.show()
