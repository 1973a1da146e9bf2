"""A network's parameters as the user sees them: per-layer views into the flat parameter
vector, and the check every assignment into them passes (real numbers, the right shape,
finite in the network's dtype), so a network never detaches from what it trains and
predicts with."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def checked_values(values, shape, dtype, name: str) -> np.ndarray:
    """``values`` as real numbers of ``shape`` that stay finite in ``dtype`` (checked after
    the cast, so 1e39 is refused for float32), or a ValueError / TypeError naming ``name``."""
    values = np.asarray(values)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {values.dtype}")
    if values.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {values.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        cast = values.astype(dtype)
    if not np.isfinite(cast).all():
        raise ValueError(f"{name} contains NaN or inf, or values beyond {np.dtype(dtype).name}'s "
                         "range")
    return cast


class LayerArrays(Sequence):
    """Per-layer views into a network's parameter vector (``net.weights``, ``net.biases``).

    Indexing returns the layer's view (write into it freely: ``net.weights[0][:] = W``);
    assigning ``net.weights[l] = W`` copies W into the view after checking its shape and
    finiteness, so the network never detaches from what it trains and predicts with.
    """

    def __init__(self, views, name: str, dtype):
        self._views = list(views)
        self._name = name
        self._dtype = dtype

    def __getitem__(self, index):
        return self._views[index]

    def __setitem__(self, index: int, value) -> None:
        view = self._views[index]
        view[...] = checked_values(value, view.shape, self._dtype, f"{self._name}[{index}]")

    def __len__(self) -> int:
        return len(self._views)

    def __add__(self, other):
        return list(self) + list(other)

    def __repr__(self) -> str:
        return f"{self._name}: {[v.shape for v in self._views]}"
