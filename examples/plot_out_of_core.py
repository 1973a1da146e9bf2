"""
Training from a memory map
==========================

Data larger than memory can stay on disk: ``fit`` reads a memory map (``np.load(...,
mmap_mode="r")``) a block at a time, so memory stays flat in the data size. With
``shuffle=False`` it makes exactly the updates an in-memory fit makes; with shuffling it
permutes the blocks and the rows within each block.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from fastmlp import MLP

folder = Path(tempfile.mkdtemp())
rng = np.random.default_rng(0)
X_all = rng.normal(size=(20_000, 8))
Y_all = (X_all[:, 0] * X_all[:, 1] > 0).astype(float).reshape(-1, 1)
np.save(folder / "X.npy", X_all)
np.save(folder / "Y.npy", Y_all)

X = np.load(folder / "X.npy", mmap_mode="r")  # nothing is read yet
Y = np.load(folder / "Y.npy", mmap_mode="r")
options = dict(optimizer="adam", learning_rate=0.01, batch_size=64, epochs=15, shuffle=False)


def make():
    return MLP((8, 16, 1), "tanh", "sigmoid", "binary_cross_entropy", seed=0)


from_disk, in_memory = make(), make()
disk_history = from_disk.fit(X, Y, **options)
memory_history = in_memory.fit(X_all, Y_all, **options)
print("same parameters:", np.array_equal(from_disk.params, in_memory.params))

fig, ax = plt.subplots(figsize=(6, 4))
epochs = np.arange(1, disk_history.epochs_run + 1)
ax.plot(epochs, memory_history.loss, lw=4, alpha=0.4, label="arrays in memory")
ax.plot(epochs, disk_history.loss, "k--", label="memory map, read in blocks")
ax.set(title="8-16-1 network, 20,000 rows from .npy files", xlabel="epoch",
       ylabel="binary cross-entropy")
ax.legend()
fig.tight_layout()
plt.show()
