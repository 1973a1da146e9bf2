"""Step-size schedules that act between epochs. The per-update schedules (constant,
inverse, inverse_sqrt, cosine with warmup) run inside the compiled epochs
(``kernels.optimizers.step_size``); reduce-on-plateau watches each epoch's loss, so the
epoch loop applies it."""

from __future__ import annotations

import math


class ReduceOnPlateau:
    """Keras' ``ReduceLROnPlateau`` (without cooldown): after ``patience`` epochs in a row
    whose monitored loss did not fall below its best by more than ``min_delta``, the base
    step size is multiplied by ``factor``, but not below ``min_learning_rate``.

    The monitored loss is the validation loss when there is one, else the training loss.
    """

    def __init__(self, learning_rate: float, factor: float, patience: int, min_delta: float,
                 min_learning_rate: float):
        self.learning_rate = learning_rate
        self.factor, self.patience, self.min_delta = factor, patience, min_delta
        self.min_learning_rate = min_learning_rate
        self.best = math.inf
        self.wait = 0

    @classmethod
    def for_config(cls, config) -> "ReduceOnPlateau | None":
        """The schedule of ``config`` (a FitConfig), or None unless it asks for "plateau"."""
        if config.schedule != "plateau":
            return None
        return cls(config.learning_rate, config.plateau_factor, config.plateau_patience,
                   config.plateau_min_delta, config.min_learning_rate)

    def update(self, loss: float, val_loss: float | None) -> float | None:
        """Record an epoch; the new base step size when it changes, else None."""
        monitored = val_loss if val_loss is not None else loss
        if monitored < self.best - self.min_delta:
            self.best = monitored
            self.wait = 0
            return None
        self.wait += 1
        if self.wait < self.patience:
            return None
        self.wait = 0
        lowered = max(self.learning_rate * self.factor, self.min_learning_rate)
        if lowered >= self.learning_rate:
            return None
        self.learning_rate = lowered
        return lowered

    def state(self) -> dict:
        """What a checkpoint keeps (:mod:`fastmlp.checkpoint`)."""
        return {"learning_rate": self.learning_rate, "best": self.best, "wait": self.wait}

    def restore(self, state: dict) -> None:
        self.learning_rate = float(state["learning_rate"])
        self.best = float(state["best"])
        self.wait = int(state["wait"])
