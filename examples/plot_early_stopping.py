"""
Early stopping and restore-best on the validation curve
=======================================================

A network much larger than its data keeps lowering the training loss while the loss on
held-out rows turns and rises: it is fitting the noise. ``validation_data`` records the
validation loss after every epoch; ``early_stopping=True`` stops once it has not improved by
``tol`` for ``n_iter_no_change`` epochs and puts back the weights of the best epoch
(``History.best_epoch``), however the fit ends.
"""

import matplotlib.pyplot as plt
import numpy as np

from fastmlp import MLP

rng = np.random.default_rng(1)
x = rng.uniform(-3, 3, size=(20, 1))
y = np.sin(x) + 0.3 * rng.normal(size=x.shape)
x_val = rng.uniform(-3, 3, size=(200, 1))
y_val = np.sin(x_val) + 0.3 * rng.normal(size=x_val.shape)


def make():
    return MLP((1, 64, 64, 1), activation="tanh", output_activation="identity", loss="mse",
               seed=0)


full = make()
full_history = full.fit(x, y, optimizer="adam", learning_rate=0.01, batch_size=None,
                        epochs=1000, validation_data=(x_val, y_val))
stopped = make()
stopped_history = stopped.fit(x, y, optimizer="adam", learning_rate=0.01, batch_size=None,
                              epochs=1000, validation_data=(x_val, y_val),
                              early_stopping=True, tol=0.0, n_iter_no_change=100)
best = stopped_history.best_epoch
print(stopped_history)
print(f"validation loss: best epoch {best + 1}: {stopped_history.val_loss[best]:.4f}, "
      f"restored network {stopped.loss(x_val, y_val):.4f}; "
      f"after all 1000 epochs {full.loss(x_val, y_val):.4f}")

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
ax = axes[0]
epochs = np.arange(1, full_history.epochs_run + 1)
ax.plot(epochs, full_history.loss, color="C0", label="training loss")
ax.plot(epochs, full_history.val_loss, color="C1", label="validation loss")
ax.axvline(stopped_history.epochs_run, color="0.4", ls="--", label="early stopping ends")
ax.plot(best + 1, stopped_history.val_loss[best], "k*", ms=12, label="best epoch, restored")
ax.set(title="1-64-64-1 network on 20 noisy points", xlabel="epoch", ylabel="MSE",
       yscale="log")
ax.legend()
ax = axes[1]
grid = np.linspace(-3, 3, 300).reshape(-1, 1)
ax.scatter(x, y, s=12, color="0.3", label="training rows")
ax.plot(grid, np.sin(grid), color="0.6", ls=":", label="sin(x)")
ax.plot(grid, full.predict(grid), color="C0", label="after 1000 epochs")
ax.plot(grid, stopped.predict(grid), color="C2", label="early stopping, best epoch")
ax.set(title="the fitted functions", xlabel="x", ylabel="y")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
