"""
The confusion matrix and the .632 bootstrap
===========================================

Two of the notes' evaluation tools on the digits. The confusion matrix counts, for every
actual class (row), how the held-out rows were classified (column); the diagonal is what the
network got right. The .632 bootstrap estimates the score of a model trained on all the
data: each bootstrap model trains on n rows drawn with replacement -- about 63.2% of the
distinct rows -- and is scored on the rows it never saw (pessimistic), the model trained on
everything is scored on its own training rows (optimistic), and the estimate blends them,
0.632 · out-of-bag + 0.368 · resubstitution.
"""

import matplotlib.pyplot as plt
import numpy as np

from fastmlp import MLP, load_digits
from fastmlp.metrics import accuracy, confusion_matrix
from fastmlp.model_selection import bootstrap_632, holdout_split

X, y = load_digits()
X = X / 16.0


def make():
    return MLP((64, 32, 10), activation="tanh", output_activation="softmax",
               loss="cross_entropy", seed=0)


fit_params = dict(optimizer="adam", batch_size=16, epochs=10, learning_rate=0.01, seed=0)
((train, test),) = holdout_split(len(X), test_size=0.3, stratify=y, seed=0)
net = make()
net.fit(X[train], y[train], **fit_params)
predicted = net.predict_classes(X[test])
matrix = confusion_matrix(y[test], predicted)
print(f"held-out accuracy {accuracy(y[test], predicted):.3f}")

# %%
# The .632 bootstrap of the accuracy, 20 bootstrap samples of a 600-row subset.
subset = np.random.default_rng(0).choice(len(X), 600, replace=False)
result = bootstrap_632(make, X[subset], y[subset], n_samples=20, metric="accuracy", seed=0,
                       fit_params=fit_params)
print(result)

fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
ax = axes[0]
image = ax.imshow(matrix, cmap="Blues")
for (i, j), count in np.ndenumerate(matrix):
    ax.text(j, i, count, ha="center", va="center", fontsize=8,
            color="white" if count > matrix.max() / 2 else "black")
ax.set(title="confusion matrix, 30% held out", xlabel="predicted", ylabel="actual",
       xticks=range(10), yticks=range(10))
fig.colorbar(image, ax=ax, shrink=0.8)
ax = axes[1]
ax.hist(result.oob_scores, bins=10, color="C0", alpha=0.7, label="out-of-bag accuracy")
ax.axvline(result.resubstitution_score, color="C3", label="resubstitution")
ax.axvline(result.estimate, color="k", ls="--", label=".632 estimate")
ax.set(title="the .632 bootstrap (20 samples, 600 rows)", xlabel="accuracy",
       ylabel="bootstrap samples")
ax.legend()
fig.tight_layout()
plt.show()
