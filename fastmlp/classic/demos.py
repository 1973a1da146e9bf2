"""The lecture notes' classics, run and printed: ``python -m fastmlp.demos``.

Each demo is a function returning the lines it prints, so the tests check what a reader
sees: the McCulloch-Pitts XOR network, the perceptron failing on XOR while a two-layer
network solves it, the gradient-descent worked examples as the notes print them, and a
saddle point of a small network found and escaped.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["mp_xor", "perceptron_vs_xor", "worked_examples", "saddle", "main"]


def mp_xor() -> list[str]:
    """XOR from McCulloch-Pitts units (boolean_network's disjunctive normal form)."""
    from .neurons import boolean_network

    table = {x: x[0] ^ x[1] for x in itertools.product((0, 1), repeat=2)}
    network = boolean_network(table)
    lines = ["McCulloch-Pitts XOR: hidden units fire on (0, 1) and (1, 0), an OR unit joins "
             "them", "x1 x2 | XOR"]
    lines += [f" {x[0]}  {x[1]} |  {network(x)}" for x in table]
    return lines


def perceptron_vs_xor() -> list[str]:
    """The perceptron learns AND and OR, cannot learn XOR; a 2-4-1 network can."""
    from ..network import MLP
    from .neurons import Perceptron

    X = np.array(list(itertools.product((0, 1), repeat=2)), float)
    lines = []
    for name, y in (("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1]), ("XOR", [0, 1, 1, 0])):
        p = Perceptron(2)
        result = p.fit(X, y, max_epochs=100)
        verdict = (f"converged after {result.epochs} epochs, weights w0..w2 = "
                   f"{p.weights.tolist()}" if result.converged else
                   f"did not converge in {result.epochs} epochs (no line separates it)")
        lines.append(f"perceptron on {name}: {verdict}")
    net = MLP((2, 4, 1), "tanh", "sigmoid", "binary_cross_entropy", seed=1)
    net.fit(X, np.array([[0], [1], [1], [0]], float), batch_size=None, epochs=3000,
            learning_rate=0.5, optimizer="momentum")
    predicted = (net.predict(X)[:, 0] > 0.5).astype(int).tolist()
    lines.append(f"2-4-1 network on XOR: predicts {predicted} for inputs "
                 f"{[tuple(int(v) for v in x) for x in X]}")
    return lines


def worked_examples() -> list[str]:
    """The notes' gradient descent on f(x) = x^2, printed as the notes print them."""
    from .optimize import minimize

    lines = []
    for x0, step, shown in ((3.0, 0.1, (1, 2)), (-4.0, 0.8, (1, 2, 3, 4, 5, 30))):
        result = minimize(lambda x: x ** 2, x0, grad=lambda x: 2 * x, learning_rate=step,
                          steps=max(shown))
        lines.append(f"f(x) = x^2, step size {step:g}, x(0) = {x0:g}")
        lines += [f"  x({t}) = {result.path[t]:.6g}" for t in shown]
    return lines


def saddle() -> list[str]:
    """A saddle point of a small network's loss, named by diagnose() and escaped along the
    Hessian's eigenvector of negative curvature, after which training goes on."""
    from ..network import MLP

    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 2))
    Y = (X @ [1.0, -0.5] + 0.1 * rng.normal(size=40)).reshape(-1, 1)
    # every weight and hidden bias 0, output bias at mean(Y): tanh(0) = 0 makes the hidden
    # units silent and the residuals average 0, so the gradient vanishes exactly
    net = MLP((2, 2, 1), activation="tanh", output_activation="identity", loss="mse")
    net.params = np.zeros(net.n_params)
    net.biases[-1][:] = Y.mean()
    report = net.diagnose(X, Y)
    lines = [f"2-2-1 tanh network with zero weights: loss {net.loss(X, Y):.6f}, gradient norm "
             f"{np.linalg.norm(net.gradient(X, Y)):.1e}, diagnose(): {report.stationary_point}, "
             f"smallest Hessian eigenvalue {report.smallest_eigenvalue:.4f}"]
    history = net.fit(X, Y, batch_size=None, epochs=20, learning_rate=0.1)
    lines.append(f"plain gradient descent from there: loss {history.loss[-1]:.6f} after 20 "
                 "epochs (stuck: the gradient is zero)")
    net.params = net.params + 0.1 * report.escape_direction
    escaped = net.loss(X, Y)
    history = net.fit(X, Y, batch_size=None, epochs=200, learning_rate=0.1)
    lines.append(f"one step of 0.1 along the escape direction: loss {escaped:.6f}; then 200 "
                 f"epochs of the same descent: loss {history.loss[-1]:.6f}")
    return lines


def main() -> None:
    for demo in (mp_xor, perceptron_vs_xor, worked_examples, saddle):
        print("\n".join(demo()))
        print()


if __name__ == "__main__":
    main()
