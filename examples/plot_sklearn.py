"""
Switching from scikit-learn: same results, less time
====================================================

:mod:`fastmlp.sklearn` has scikit-learn's ``MLPClassifier`` and ``MLPRegressor`` with its
parameters, defaults and training algorithm, on fastmlp's compiled engines. Changing the
import is the whole switch: with the same ``random_state`` the fitted coefficients agree
with scikit-learn's to rounding, and the loss curves lie on top of each other.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLP

from fastmlp import load_digits
from fastmlp.sklearn import MLPClassifier

X, y = load_digits()
X = X / 16.0
warnings.filterwarnings("ignore", category=ConvergenceWarning)  # 30 epochs on purpose

models, seconds = {}, {}
for name, cls in (("scikit-learn", SklearnMLP), ("fastmlp.sklearn", MLPClassifier)):
    cls(max_iter=1, random_state=0).fit(X, y)  # the first fit compiles fastmlp's kernels
    times = []
    for _ in range(3):
        model = cls(hidden_layer_sizes=(100,), max_iter=30, random_state=0)
        began = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - began)
    models[name], seconds[name] = model, min(times)

ours, theirs = models["fastmlp.sklearn"], models["scikit-learn"]
difference = max(np.abs(a - b).max() / np.abs(b).max()
                 for a, b in zip(ours.coefs_, theirs.coefs_))
print(f"largest relative difference of coefs_: {difference:.1e}")
print(f"same predictions: {(ours.predict(X) == theirs.predict(X)).all()}")
speed_up = seconds["scikit-learn"] / seconds["fastmlp.sklearn"]
print(", ".join(f"{name} {s:.3f} s" for name, s in seconds.items())
      + f" (best of 3 on this machine): {speed_up:.1f}x")

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
ax = axes[0]
ax.plot(theirs.loss_curve_, lw=4, alpha=0.4, label="scikit-learn")
ax.plot(ours.loss_curve_, ls="--", color="k", label="fastmlp.sklearn")
ax.set(title="loss_curve_, MLPClassifier(100,) on the digits", xlabel="epoch", ylabel="loss",
       yscale="log")
ax.legend()
ax = axes[1]
ax.bar(list(seconds), list(seconds.values()), color=["C0", "C2"])
ax.set(title="fit time, 30 epochs of Adam (best of 3)", ylabel="seconds")
fig.tight_layout()
plt.show()
