"""``fastmlp demo`` (and plain ``python -m fastmlp``): train on the shipped UCI digits, report
held-out accuracy and the speed-up over the pure-NumPy reference measured on the same work in
this run."""

from __future__ import annotations

import argparse
import time

import numpy as np

from .. import MLP, load_digits, one_hot, reference


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="fastmlp demo", description=__doc__.replace("``", ""))
    parser.add_argument("--hidden", type=int, default=32, help="hidden units (default 32)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    X, y = load_digits()
    Y = one_hot(y, 10)
    perm = np.random.default_rng(args.seed).permutation(len(X))
    n_test = len(X) // 5
    test, train = perm[:n_test], perm[n_test:]
    print(f"UCI optical digits: {len(train)} training and {n_test} held-out images of 8x8 "
          f"pixels (Alpaydin & Kaynak, CC BY 4.0)")
    net = MLP((64, args.hidden, 10), activation="tanh", output_activation="softmax",
              loss="cross_entropy", dtype=args.dtype, seed=args.seed)
    print(net)
    start_params = net.params.copy()

    began = time.perf_counter()
    history = net.fit(X[train], Y[train], optimizer="momentum",
                      learning_rate=args.learning_rate, batch_size=args.batch_size,
                      epochs=args.epochs, seed=args.seed, verbose=2)
    wall = time.perf_counter() - began
    accuracy = np.mean(net.predict(X[test]).argmax(axis=1) == y[test])
    print(f"held-out accuracy: {accuracy:.4f} ({int(round(accuracy * n_test))}/{n_test})")
    print(f"fit: {wall:.2f} s wall for {history.epochs_run} epochs (first call includes "
          "loading or compiling the kernels)")

    # The same work in reference.py: identical network, data, batches and optimizer.
    n_epochs = 2
    probe = MLP((64, args.hidden, 10), activation="tanh", output_activation="softmax",
                loss="cross_entropy", dtype=args.dtype, seed=args.seed)
    probe.params = start_params
    fast = _best_of(3, lambda: probe.fit(X[train], Y[train], optimizer="momentum",
                                         learning_rate=args.learning_rate,
                                         batch_size=args.batch_size, epochs=n_epochs,
                                         shuffle=False))
    Xt, Yt = X[train].astype(net.dtype), Y[train].astype(net.dtype)
    slow = _best_of(1, lambda: reference.train(
        start_params, list(net.layer_sizes), list(net.activations), list(net.activation_params),
        "cross_entropy", Xt, Yt, optimizer="momentum", learning_rate=args.learning_rate,
        batch_size=args.batch_size, epochs=n_epochs, shuffle=False))
    rows = n_epochs * len(train)
    print(f"speed, {n_epochs} epochs of batch {args.batch_size} {args.dtype}: fastmlp "
          f"{rows / fast:,.0f} samples/s, reference.py {rows / slow:,.0f} samples/s, "
          f"speed-up {slow / fast:.1f}x")
    return 0


def _best_of(repeats: int, work) -> float:
    best = np.inf
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - began)
    return best

