"""The lecture notes' classic units: McCulloch-Pitts neurons, feed-forward networks of them
(which compute any Boolean function), and Rosenblatt's perceptron.

McCulloch-Pitts (1943): binary inputs, each excitatory or inhibitory; the unit outputs 0 if
any inhibitory input is on, else 1 when the sum of its inputs reaches the threshold theta.

Rosenblatt (1958): real inputs and weights, with the bias as w_0 = -theta on a constant
input x_0 = 1; the output is 1 if w . x >= 0, else 0, and the learning rule
w <- w + eta (d - y) x is applied after each misclassified row. On linearly separable data it
converges (an epoch without a mistake); on XOR it cannot, and :meth:`Perceptron.fit` says so.

The package holds the notes' other classics too: ``fastmlp.classic.optimize`` (gradient
descent on plain functions with the networks' update rules, documented as
:mod:`fastmlp.optimize`) and ``fastmlp.classic.demos`` (the notes' examples, printed:
``python -m fastmlp.demos``). The units and the perceptron are in
``fastmlp.classic.neurons``, and their names are re-exported here.

>>> from fastmlp.classic import AND, boolean_network
>>> AND(2)((1, 1)), AND(2)((1, 0))
(1, 0)
>>> xor = boolean_network({(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 0})
>>> [xor(x) for x in [(0, 0), (0, 1), (1, 0), (1, 1)]]
[0, 1, 1, 0]
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
