"""
Learning-rate schedules side by side
====================================

``fit(schedule=...)`` sets the step size of update t (counted from 1):
``"constant"`` keeps a, ``"inverse"`` takes a / (b + t) and ``"inverse_sqrt"`` a / √t --
the notes' diminishing step sizes. With full-batch descent (``batch_size=None``) there is one
update per epoch, so ``History.learning_rate`` is the schedule itself.
"""

import matplotlib.pyplot as plt
import numpy as np

from fastmlp import MLP

rng = np.random.default_rng(0)
X = rng.normal(size=(400, 3))
Y = np.sin(X @ [1.0, -0.5, 0.3]).reshape(-1, 1) + 0.05 * rng.normal(size=(400, 1))

# (learning_rate a, schedule options): the inverse schedule starts at 5 / (10 + 1) = 0.45,
# close to the others' 0.5, so the curves differ by how the step size decays
settings = {
    "constant, a = 0.5": (0.5, dict(schedule="constant")),
    "inverse, a / (b + t), a = 5, b = 10": (5.0, dict(schedule="inverse", schedule_b=10.0)),
    "inverse_sqrt, a / √t, a = 0.5": (0.5, dict(schedule="inverse_sqrt")),
}
histories = {}
for label, (rate, options) in settings.items():
    net = MLP((3, 16, 1), activation="tanh", output_activation="identity", loss="half_mse",
              seed=0)
    histories[label] = net.fit(X, Y, learning_rate=rate, batch_size=None, epochs=150,
                               **options)
    print(f"{label:36s} final loss {histories[label].loss[-1]:.4f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for label, history in histories.items():
    epochs = np.arange(1, history.epochs_run + 1)
    axes[0].plot(epochs, history.learning_rate, label=label)
    axes[1].plot(epochs, history.loss, label=label)
axes[0].set(title="step size of each update", xlabel="update t", ylabel="α_t", yscale="log")
axes[1].set(title="training loss", xlabel="epoch", ylabel="half MSE", yscale="log")
axes[0].legend()
fig.tight_layout()
plt.show()
