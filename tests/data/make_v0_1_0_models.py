"""Write the model files of fastmlp 0.1.0 that tests/test_model_files.py loads forever.

This script was run once, at commit 79bca8b (fastmlp 0.1.0, model file format 1), before
the persistence code moved to fastmlp/persistence.py:

    PYTHONPATH=/path/to/checkout-at-79bca8b python tests/data/make_v0_1_0_models.py

Its output in tests/data/v0_1_0/ is the record of what that version wrote and predicted; do
not run it again with a later fastmlp (it refuses to overwrite the files). For each model,
``NAME.npz`` is the file ``MLP.save`` wrote and ``NAME.expected.npz`` holds fixed inputs
``X`` and what the network predicted for them: ``predict`` and, for classifiers,
``predict_proba`` and ``predict_classes``, plus ``classes`` when it has them.

The inputs are small (40 rows, layers of at most 12 units) so that inference runs as
compiled loops rather than BLAS, whose rounding depends on the BLAS library.
"""

import os
import sys

import numpy as np

import fastmlp

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "v0_1_0")
ROWS = 40


def inputs(n_in: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(ROWS, n_in))


def regression_float64():
    net = fastmlp.MLP((4, 8, 3), "tanh", "identity", "mse", seed=1)
    X = inputs(4, 10)
    Y = np.column_stack([np.sin(X[:, 0]), X[:, 1] * X[:, 2], np.cos(X[:, 3])])
    net.fit(X, Y, optimizer="adam", learning_rate=0.01, batch_size=8, epochs=20, seed=2)
    return net


def regression_float32():
    net = fastmlp.MLP((5, 6, 2), "logistic", "identity", "half_mse", dtype="float32",
                      init="normal", init_scale=0.3, bias_init=0.05, seed=3)
    X = inputs(5, 11)
    Y = np.column_stack([X[:, 0] - X[:, 1], X[:, 2] * 0.5])
    net.fit(X, Y, optimizer="momentum", learning_rate=0.05, batch_size=1, epochs=5, seed=4)
    return net


def binary_strings_with_metadata():
    # as `fastmlp train` keeps them: feature names and the inputs' scaling in the metadata,
    # the labels as strings (one non-ASCII) in classes_
    net = fastmlp.MLP((3, 7, 1), "relu", "sigmoid", "binary_cross_entropy", init="he",
                      seed=5)
    X = inputs(3, 12)
    labels = np.where(X[:, 0] + X[:, 1] > 0, "spam", "jamón")
    net.metadata = {"format": "fastmlp-cli-1", "features": ["length", "links", "caps"],
                    "target": "kind", "task": "classification",
                    "x_mean": [0.1, -0.2, 0.3], "x_scale": [1.5, 2.0, 0.5],
                    "note": {"nested": [1, 2.5, None, True], "text": "ünïcode"}}
    net.fit(X, labels, learning_rate=0.5, batch_size=4, epochs=30, seed=6)
    return net


def softmax_cross_entropy():
    net = fastmlp.MLP((4, 9, 3), "sigmoid", "softmax", "cross_entropy", seed=7)
    X = inputs(4, 13)
    labels = np.array(["setosa", "versicolor", "virginica"])[
        np.argmax(X[:, :3] + 0.3 * X[:, 3:], axis=1)]
    net.metadata = {"source": "synthetic", "epochs": 25}
    net.fit(X, labels, optimizer="nesterov", learning_rate=0.2, batch_size=None, epochs=25)
    return net


def elu_leaky_relu():
    net = fastmlp.MLP((6, 10, 8, 4), ["leaky_relu", "elu"], "sigmoid", "mse",
                      leaky_relu_slope=0.23, elu_alpha=0.65, seed=8)
    X = inputs(6, 14)
    Y = (X[:, :4] > 0).astype(float)
    net.fit(X, Y, optimizer="sgd", learning_rate=0.3, batch_size=5, epochs=15, seed=9,
            l2=1e-3, clip_norm=5.0)
    return net


def deep():
    sizes = (7, 12, 11, 10, 9, 8, 7, 6, 2)
    acts = ["tanh", "arctan", "softsign", "relu", "elu", "leaky_relu", "sigmoid"]
    net = fastmlp.MLP(sizes, acts, "tanh", "mse", init="uniform", init_scale=0.4, seed=10)
    X = inputs(7, 15)
    Y = np.tanh(X[:, :2])
    net.fit(X, Y, optimizer="adam", learning_rate=0.003, batch_size=10, epochs=10, seed=11)
    return net


def step_untrained():
    # a forward-only network (step cannot be trained), its parameters as initialized
    return fastmlp.MLP((3, 5, 2), "step", "identity", "mse", init="normal", init_scale=0.7,
                       bias_init=-0.1, seed=12)


MODELS = {
    "regression_float64": (regression_float64, 20),
    "regression_float32": (regression_float32, 21),
    "binary_strings_with_metadata": (binary_strings_with_metadata, 22),
    "softmax_cross_entropy": (softmax_cross_entropy, 23),
    "elu_leaky_relu": (elu_leaky_relu, 24),
    "deep": (deep, 25),
    "step_untrained": (step_untrained, 26),
}


def main() -> int:
    if fastmlp.__version__ != "0.1.0":
        print(f"fastmlp {fastmlp.__version__}: these files record what 0.1.0 wrote",
              file=sys.stderr)
        return 1
    os.makedirs(HERE, exist_ok=True)
    if any(name.endswith(".npz") for name in os.listdir(HERE)):
        print(f"{HERE} already holds model files; they are not to be rewritten",
              file=sys.stderr)
        return 1
    for name, (build, seed) in MODELS.items():
        net = build()
        X = inputs(net.layer_sizes[0], seed)
        expected = {"X": X, "predict": net.predict(X)}
        if net.loss_name in ("cross_entropy", "binary_cross_entropy"):
            expected["predict_proba"] = net.predict_proba(X)
            expected["predict_classes"] = net.predict_classes(X)
        if net.classes_ is not None:
            expected["classes"] = net.classes_
        net.save(os.path.join(HERE, f"{name}.npz"))
        np.savez(os.path.join(HERE, f"{name}.expected.npz"), **expected)
        print(name, net)
    return 0


if __name__ == "__main__":
    sys.exit(main())
