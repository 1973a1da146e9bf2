"""
A saddle point of a network's loss, found and escaped
=====================================================

A 2-2-1 ``tanh`` network whose weights are all zero (and output bias at the targets' mean)
sits exactly on a stationary point: the hidden units output tanh(0) = 0 and the residuals
average to zero, so every gradient component vanishes. Gradient descent started there never
moves. :meth:`fastmlp.MLP.diagnose` looks at the curvature: the Hessian has a negative
eigenvalue, so this is a saddle, not a minimum, and the eigenvector of that eigenvalue is a
direction along which the loss goes down. One small step along it, and the same descent
trains.
"""

import matplotlib.pyplot as plt
import numpy as np

from fastmlp import MLP

rng = np.random.default_rng(3)
X = rng.normal(size=(40, 2))
Y = (X @ [1.0, -0.5] + 0.1 * rng.normal(size=40)).reshape(-1, 1)

net = MLP((2, 2, 1), activation="tanh", output_activation="identity", loss="mse")
net.params = np.zeros(net.n_params)
net.biases[-1][:] = Y.mean()
saddle = net.params.copy()

report = net.diagnose(X, Y)
print(report)
eigenvalues = np.linalg.eigvalsh(net.hessian(X, Y))
print("Hessian eigenvalues:", eigenvalues.round(3))

# %%
# Plain descent from the saddle, then the same descent after one step along the escape
# direction.
stuck = net.fit(X, Y, batch_size=None, epochs=100, learning_rate=0.1)
direction = report.escape_direction
net.params = saddle + 0.1 * direction
escaped = net.fit(X, Y, batch_size=None, epochs=100, learning_rate=0.1)
print(f"after 100 epochs: from the saddle {stuck.loss[-1]:.4f}, "
      f"after the escape step {escaped.loss[-1]:.4f}")

# %%
# The loss along the escape direction and along a direction of positive curvature.
steps = np.linspace(-1.5, 1.5, 121)
net.params = saddle
_, vectors = np.linalg.eigh(net.hessian(X, Y))
along = {}
for label, v in (("escape direction (negative curvature)", direction),
                 ("eigenvector of the largest eigenvalue", vectors[:, -1])):
    values = []
    for s in steps:
        net.params = saddle + s * v
        values.append(net.loss(X, Y))
    along[label] = values

fig, axes = plt.subplots(1, 3, figsize=(14, 4))
ax = axes[0]
ax.stem(np.arange(1, eigenvalues.size + 1), eigenvalues)
ax.axhline(0, color="0.5", lw=0.8)
ax.set(title="Hessian eigenvalues at the saddle", xlabel="index", ylabel="eigenvalue")
ax = axes[1]
for label, values in along.items():
    ax.plot(steps, values, label=label)
ax.set(title="loss along two eigenvectors", xlabel="step from the saddle", ylabel="MSE")
ax.legend(fontsize=8)
ax = axes[2]
ax.plot(np.arange(1, 101), stuck.loss, label="from the saddle: stuck")
ax.plot(np.arange(1, 101), escaped.loss, label="after one step along the escape direction")
ax.set(title="full-batch descent, step 0.1", xlabel="epoch", ylabel="MSE", yscale="log")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
