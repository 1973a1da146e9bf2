"""The lecture notes' classics, beside the multilayer perceptron they lead up to.

- :mod:`fastmlp.classic.neurons`: McCulloch-Pitts units and networks of them, Rosenblatt's
  perceptron (their names are re-exported here: ``from fastmlp.classic import Perceptron``)
- :mod:`fastmlp.classic.optimize`: gradient descent on plain functions with the networks'
  update rules, gradients, Hessians, stationary points, convexity (documented as
  :mod:`fastmlp.optimize`)
- :mod:`fastmlp.classic.demos`: the notes' examples, printed (``python -m fastmlp.demos``)

>>> from fastmlp.classic import AND, boolean_network
>>> AND(2)((1, 1)), AND(2)((1, 0))
(1, 0)
"""

from .neurons import (
    AND,
    NOR,
    NOT,
    OR,
    McCullochPitts,
    MPNetwork,
    Perceptron,
    PerceptronResult,
    boolean_network,
)

__all__ = ["McCullochPitts", "AND", "OR", "NOR", "NOT", "MPNetwork", "boolean_network",
           "Perceptron", "PerceptronResult"]
