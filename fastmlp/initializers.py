"""Weight initialization schemes, writing into the flat parameter vector."""

from __future__ import annotations

import numpy as np

from .layout import Layout

INITS = ("xavier", "he", "uniform", "normal")


def initialize(params: np.ndarray, layout: Layout, init: str, rng: np.random.Generator,
               init_scale: float = 0.1, bias_init: float = 0.0) -> None:
    """Fill ``params`` in place.

    Weights of a layer with fan_in inputs and fan_out outputs are drawn from

    * ``"xavier"``: uniform on +-sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010);
    * ``"he"``: normal with std sqrt(2 / fan_in) (He et al., 2015), suited to ReLU layers;
    * ``"uniform"``: uniform on +-init_scale;
    * ``"normal"``: normal with std init_scale.

    Biases are set to ``bias_init``. Draws are made in float64 and then cast, so a float32
    and a float64 network with the same seed start from the same values (up to rounding).
    """
    weights, biases = layout.unflatten(params)
    for W, b in zip(weights, biases):
        fan_in, fan_out = W.shape
        if init == "xavier":
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            W[...] = rng.uniform(-limit, limit, W.shape)
        elif init == "he":
            W[...] = rng.normal(0.0, np.sqrt(2.0 / fan_in), W.shape)
        elif init == "uniform":
            W[...] = rng.uniform(-init_scale, init_scale, W.shape)
        elif init == "normal":
            W[...] = rng.normal(0.0, init_scale, W.shape)
        else:
            raise ValueError(f"unknown init {init!r}; choose one of {', '.join(map(repr, INITS))}")
        b[...] = bias_init
