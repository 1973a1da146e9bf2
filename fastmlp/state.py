"""Optimizer state: the slots of an update rule and its update count, kept between the calls
of :meth:`fastmlp.MLP.partial_fit`."""

from __future__ import annotations

import numpy as np

from .rules import slot_shape


class OptimizerState:
    """The state of one optimizer for one network.

    Attributes
    ----------
    optimizer : str
        The rule the state belongs to.
    slots : ndarray (n_slots, n_params)
        Rows in the parameters' layout: none for sgd, the velocity for momentum and
        Nesterov, the first and second moments for Adam and AdamW (:mod:`fastmlp.rules`).
    t : int
        Updates made so far: the schedules' and Adam's step count (the next update is t+1).
    """

    def __init__(self, optimizer: str, slots: np.ndarray, t: int = 0):
        self.optimizer = optimizer
        self.slots = slots
        self.t = t

    @classmethod
    def fresh(cls, optimizer: str, n_params: int, dtype) -> "OptimizerState":
        """Zero slots and t = 0: the state a fit starts from."""
        return cls(optimizer, np.zeros(slot_shape(optimizer, n_params), dtype))

    def fits(self, optimizer: str, n_params: int, dtype) -> bool:
        """Whether this state can continue a fit with ``optimizer`` on such parameters."""
        return (self.optimizer == optimizer and self.slots.dtype == np.dtype(dtype)
                and self.slots.shape == slot_shape(optimizer, n_params))

    def copy(self) -> "OptimizerState":
        return OptimizerState(self.optimizer, self.slots.copy(), self.t)

    def restore(self, other: "OptimizerState") -> None:
        """Take ``other``'s values, in place."""
        np.copyto(self.slots, other.slots)
        self.t = other.t

    def __repr__(self) -> str:
        return f"OptimizerState({self.optimizer!r}, t={self.t}, n_values={self.slots.size})"
