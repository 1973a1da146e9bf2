"""Training trajectories against a literal transcription of the update formulas, and the
lecture notes' classic problems (XOR, the 3-J-2 network)."""

import numpy as np
import pytest
from helpers import make_data, make_net, ref_loss_grad

import fastmlp
from fastmlp import reference


def transcribed_training(net, X, Y, optimizer, alpha, gamma, batch, epochs):
    """The notes' update rules written out literally, rows in the given order.

    sgd:      theta <- theta - alpha g
    momentum: v <- gamma v + alpha g;               theta <- theta - v
    nesterov: v <- gamma v + alpha grad E(theta - gamma v);  theta <- theta - v
    """
    theta = net.params.astype(np.float64).copy()
    v = np.zeros_like(theta)
    n = len(X)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for start in range(0, n, batch):
            rows = slice(start, start + batch)
            if optimizer == "nesterov":
                value, g = ref_loss_grad(net, X[rows], Y[rows], theta=theta - gamma * v)
            else:
                value, g = ref_loss_grad(net, X[rows], Y[rows], theta=theta)
            if optimizer == "sgd":
                theta = theta - alpha * g
            else:
                v = gamma * v + alpha * g
                theta = theta - v
            total += value * len(X[rows])
        losses.append(total / n)
    return theta, np.array(losses)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
@pytest.mark.parametrize("batch_size", [1, 5, None])
def test_three_epoch_trajectory_equals_transcribed_formulas(optimizer, batch_size):
    net = make_net((3, 4, 2), "tanh", "sigmoid", "mse")
    X, Y = make_data(net, n=12)
    batch = len(X) if batch_size is None else batch_size
    expected, expected_losses = transcribed_training(net, X, Y, optimizer, 0.3, 0.8, batch, 3)

    history = net.fit(X, Y, optimizer=optimizer, learning_rate=0.3, momentum=0.8,
                      batch_size=batch_size, epochs=3, shuffle=False)
    np.testing.assert_allclose(net.params, expected, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(history.loss, expected_losses, rtol=1e-11)
    assert history.epochs_run == 3 and history.stop_reason == "max_epochs"


@pytest.mark.parametrize("optimizer", ["sgd", "nesterov"])
def test_reference_train_matches_kernel_with_softmax_and_batches(optimizer):
    net = make_net((4, 6, 3), "relu", "softmax", "cross_entropy")
    X, Y = make_data(net, n=23)
    sizes = list(net.layer_sizes)
    params = list(net.activation_params)
    theta, losses = reference.train(net.params, sizes, list(net.activations), params,
                                    "cross_entropy", X, Y, optimizer=optimizer,
                                    learning_rate=0.2, momentum=0.7, batch_size=4, epochs=4,
                                    shuffle=False)
    history = net.fit(X, Y, optimizer=optimizer, learning_rate=0.2, momentum=0.7,
                      batch_size=4, epochs=4, shuffle=False)
    np.testing.assert_allclose(net.params, theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-10)


def test_float32_training_stays_float32_and_tracks_float64():
    net64 = make_net((3, 5, 2), "sigmoid", "sigmoid", "mse")
    net32 = make_net((3, 5, 2), "sigmoid", "sigmoid", "mse", dtype="float32")
    X, Y = make_data(net64, n=20)
    h64 = net64.fit(X, Y, learning_rate=0.5, batch_size=4, epochs=5, shuffle=False)
    h32 = net32.fit(X, Y, learning_rate=0.5, batch_size=4, epochs=5, shuffle=False)
    assert net32.params.dtype == np.float32
    assert net32.forward(X).dtype == np.float32
    np.testing.assert_allclose(net32.params, net64.params, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h32.loss, h64.loss, rtol=1e-4)


def test_shuffled_training_is_reproducible_from_seed_and_visits_every_row():
    X, Y = make_data(make_net((3, 4, 2)), n=30)
    runs = []
    for seed in (7, 7, 8):
        net = make_net((3, 4, 2))
        net.fit(X, Y, epochs=3, seed=seed)
        runs.append(net.params.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])
    # a shuffled full batch visits every row once: same update as the unshuffled one
    a, b = make_net((3, 4, 2)), make_net((3, 4, 2))
    a.fit(X, Y, batch_size=None, epochs=2, seed=3)
    b.fit(X, Y, batch_size=None, epochs=2, shuffle=False)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)


@pytest.mark.parametrize("batch_size", [1, 4])
def test_each_epoch_visits_the_rows_in_a_new_order(batch_size):
    # the orders fit uses: one permutation of 0..n-1, reshuffled in place at the start of
    # every epoch by the kernel's shuffle, seeded from the fit's generator
    from fastmlp.kernels.rng import shuffle_rows

    net = make_net((3, 4, 2))
    X, Y = make_data(net, n=12)
    rng = np.random.default_rng(5)
    order = np.arange(12)
    orders = []
    for _ in range(3):
        shuffle_rows(order, int(rng.integers(0, 2**32 - 1)))
        orders.append(order.copy())
    assert not np.array_equal(orders[0], orders[1])
    assert not np.array_equal(orders[1], orders[2])
    theta = net.params.copy()
    sizes, acts, params = list(net.layer_sizes), list(net.activations), list(net.activation_params)
    for epoch_order in orders:  # plain sgd: epochs can be replayed one at a time
        theta, _ = reference.train(theta, sizes, acts, params, "mse", X[epoch_order],
                                   Y[epoch_order], learning_rate=0.3, batch_size=batch_size,
                                   epochs=1, shuffle=False)
    net.fit(X, Y, learning_rate=0.3, batch_size=batch_size, epochs=3, seed=5)
    np.testing.assert_allclose(net.params, theta, rtol=1e-11, atol=1e-13)


def test_training_uses_weights_written_through_views():
    net = make_net((2, 3, 1))
    net.weights[0][...] = 0.25
    net.biases[1][...] = -0.5
    assert np.all(net.params[:6] == 0.25) and net.params[-1] == -0.5
    X, Y = make_data(net, n=5)
    expected, _ = transcribed_training(net, X, Y, "sgd", 0.1, 0.0, 5, 1)
    net.fit(X, Y, batch_size=5, epochs=1, shuffle=False)
    np.testing.assert_allclose(net.params, expected, rtol=1e-12)


XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=float)


@pytest.mark.parametrize("hidden", [2, 4])
def test_xor_is_learned_by_a_small_sigmoid_network(hidden):
    net = fastmlp.MLP((2, hidden, 1), activation="sigmoid", output_activation="sigmoid",
                      loss="mse", seed=1)
    history = net.fit(XOR_X, XOR_Y, learning_rate=2.0, epochs=3000, seed=0)
    assert np.array_equal(net.predict(XOR_X) > 0.5, XOR_Y > 0.5)
    assert history.loss[-1] < 0.05 < history.loss[0]


def test_xor_defeats_a_single_perceptron_that_learns_and_or():
    # no hidden layer: one linear threshold separates AND and OR (and training finds it),
    # but not XOR, where at most 3 of the 4 points can be right
    AND_Y = np.array([[0], [0], [0], [1]], dtype=float)
    OR_Y = np.array([[0], [1], [1], [1]], dtype=float)
    for seed in range(5):
        for Y, learnable in ((AND_Y, True), (OR_Y, True), (XOR_Y, False)):
            net = fastmlp.MLP((2, 1), output_activation="sigmoid", loss="mse", seed=seed)
            net.fit(XOR_X, Y, learning_rate=2.0, epochs=2000, seed=seed)
            accuracy = np.mean((net.predict(XOR_X) > 0.5) == (Y > 0.5))
            assert accuracy == 1.0 if learnable else accuracy <= 0.75


def test_lecture_3_J_2_network_trains_and_its_loss_falls(rng):
    # f: R^3 -> R^2 with sigmoid hidden and output units, E = (1/N) sum_n sum_k (o - d)^2
    X = rng.uniform(-1, 1, size=(200, 3))
    Y = np.column_stack([X[:, 0] * X[:, 1] > 0, X.sum(axis=1) > 0]).astype(float)
    net = fastmlp.MLP((3, 8, 2), activation="sigmoid", output_activation="sigmoid",
                      loss="mse", seed=0)
    initial = net.loss(X, Y)
    history = net.fit(X, Y, learning_rate=0.5, epochs=60, seed=0)
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert net.loss(X, Y) < 0.5 * initial
    assert np.all(np.diff(history.loss[::10]) < 0)


def test_digits_reach_high_held_out_accuracy():
    X, y = fastmlp.load_digits()
    Y = fastmlp.one_hot(y, 10)
    perm = np.random.default_rng(0).permutation(len(X))
    train, test = perm[:1400], perm[1400:]
    net = fastmlp.MLP((64, 32, 10), activation="tanh", output_activation="softmax",
                      loss="cross_entropy", seed=0)
    net.fit(X[train], Y[train], optimizer="momentum", learning_rate=0.05, batch_size=16,
            epochs=20, seed=0)
    accuracy = np.mean(net.predict(X[test]).argmax(axis=1) == y[test])
    assert accuracy > 0.93


@pytest.mark.parametrize("optimizer", ["sgd", "nesterov"])
def test_per_sample_engine_equals_chunked_engine_across_blocks(optimizer):
    # 5000 shuffled rows cross the per-sample engine's 4096-row copy blocks; the chunked
    # engine runs the same fit through the general kernel
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(5000, 4)), rng.uniform(size=(5000, 2))
    fused, general = make_net((4, 6, 2)), make_net((4, 6, 2))
    h1 = fused.fit(X, Y, optimizer=optimizer, learning_rate=0.05, epochs=2, seed=11,
                   engine="per_sample")
    h2 = general.fit(X, Y, optimizer=optimizer, learning_rate=0.05, epochs=2, seed=11,
                     engine="chunked")
    np.testing.assert_allclose(fused.params, general.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(h1.loss, h2.loss, rtol=1e-10)
    np.testing.assert_allclose(h1.grad_norms, h2.grad_norms, rtol=1e-9)


@pytest.mark.parametrize("activation", ["identity", "sigmoid", "tanh", "arctan", "softsign",
                                        "relu", "leaky_relu", "elu"])
@pytest.mark.parametrize("output_activation,loss", [("sigmoid", "mse"), ("tanh", "half_mse"),
                                                    ("identity", "mse"),
                                                    ("sigmoid", "binary_cross_entropy"),
                                                    ("softmax", "cross_entropy")])
def test_per_sample_engine_equals_chunked_engine_for_each_activation(
        activation, output_activation, loss):
    # the per-sample kernel computes each unit's f and f' one value at a time, the general
    # kernel (checked against reference.py elsewhere) a whole layer at a time
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 3))
    Y = np.eye(2)[rng.integers(0, 2, 300)] if loss.endswith("entropy") else rng.uniform(
        size=(300, 2))
    nets = [fastmlp.MLP((3, 5, 4, 2), activation=activation,
                        output_activation=output_activation, loss=loss, seed=2)
            for _ in range(2)]
    h1 = nets[0].fit(X, Y, learning_rate=0.05, epochs=2, seed=4, engine="per_sample")
    h2 = nets[1].fit(X, Y, learning_rate=0.05, epochs=2, seed=4, engine="chunked")
    np.testing.assert_allclose(nets[0].params, nets[1].params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(h1.loss, h2.loss, rtol=1e-10)
    np.testing.assert_allclose(h1.grad_norms, h2.grad_norms, rtol=1e-9)


def test_epoch_shuffle_is_a_seeded_uniform_permutation():
    from itertools import permutations

    from fastmlp.kernels.rng import shuffle_rows

    order = np.arange(10_000)
    shuffle_rows(order, 7)
    assert np.array_equal(np.sort(order), np.arange(10_000))
    again = np.arange(10_000)
    shuffle_rows(again, 7)
    assert np.array_equal(order, again)  # the seed fixes the order
    other = np.arange(10_000)
    shuffle_rows(other, 8)
    assert not np.array_equal(order, other)
    unshuffled = np.arange(10)
    shuffle_rows(unshuffled, -1)
    assert np.array_equal(unshuffled, np.arange(10))
    # all 24 orders of 4 rows equally likely: chi-square over 48,000 seeded shuffles,
    # 23 degrees of freedom, 60 is beyond the 1e-5 tail
    index = {p: k for k, p in enumerate(permutations(range(4)))}
    counts = np.zeros(24)
    for seed in range(48_000):
        rows = np.arange(4)
        shuffle_rows(rows, seed)
        counts[index[tuple(rows)]] += 1
    chi2 = np.sum((counts - 2000.0) ** 2 / 2000.0)
    assert chi2 < 60
