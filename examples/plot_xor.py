"""
XOR: the perceptron fails, a two-layer network succeeds
=======================================================

Rosenblatt's perceptron draws one straight line through the input plane. It learns OR
(an epoch without a mistake ends the training), but no line puts (0, 1) and (1, 0) on one side
and (0, 0) and (1, 1) on the other, so on XOR it keeps making mistakes for as long as it is
allowed to. A network with one hidden layer of four ``tanh`` units bends the boundary and
separates the four points.
"""

import matplotlib.pyplot as plt
import numpy as np

from fastmlp import MLP
from fastmlp.classic import Perceptron

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
y_or = np.array([0, 1, 1, 1])
y_xor = np.array([0, 1, 1, 0])

# %%
# The perceptron rule, epoch by epoch: misclassified rows per epoch.
perceptron_or = Perceptron(2)
result_or = perceptron_or.fit(X, y_or, max_epochs=20)
perceptron_xor = Perceptron(2)
result_xor = perceptron_xor.fit(X, y_xor, max_epochs=20)
print(f"OR:  converged={result_or.converged} after {result_or.epochs} epochs")
print(f"XOR: converged={result_xor.converged} after {result_xor.epochs} epochs, "
      f"mistakes per epoch {result_xor.errors}")

# %%
# A 2-4-1 network trained by full-batch gradient descent with momentum.
net = MLP((2, 4, 1), activation="tanh", output_activation="sigmoid",
          loss="binary_cross_entropy", seed=1)
history = net.fit(X, y_xor.reshape(-1, 1).astype(float), optimizer="momentum",
                  learning_rate=0.5, batch_size=None, epochs=3000)
print("network's outputs on XOR:", net.predict(X).ravel().round(3))

# %%
# Decision regions on a grid over the unit square.
grid = np.linspace(-0.25, 1.25, 200)
gx, gy = np.meshgrid(grid, grid)
points = np.column_stack([gx.ravel(), gy.ravel()])

fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
ax = axes[0]
ax.plot(np.arange(1, result_or.epochs + 1), result_or.errors, "o-", label="OR")
ax.plot(np.arange(1, result_xor.epochs + 1), result_xor.errors, "s-", label="XOR")
ax.set(xlabel="epoch", ylabel="misclassified rows", title="perceptron rule")
ax.legend()

for ax, title, scores, threshold in (
        (axes[1], "perceptron on XOR (20 epochs)",
         perceptron_xor.decision_function(points), 0.0),
        (axes[2], "2-4-1 tanh network on XOR", net.predict(points)[:, 0], 0.5)):
    ax.contourf(gx, gy, (scores >= threshold).reshape(gx.shape), levels=[-0.5, 0.5, 1.5],
                colors=["#cfe2f3", "#f4cccc"])
    ax.contour(gx, gy, scores.reshape(gx.shape), levels=[threshold], colors="k")
    ax.scatter(X[:, 0], X[:, 1], c=y_xor, cmap="coolwarm", s=120, edgecolors="k", zorder=3)
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
fig.tight_layout()
plt.show()
