"""Training controls (schedules, clipping, penalties, stopping, divergence safety) and
diagnostics, each against a literal NumPy transcription."""

import numpy as np
import pytest
from helpers import make_data, make_net, ref_loss_grad, ref_spec

import fastmlp
from fastmlp import reference


def one_full_batch_step(net, X, Y, alpha, clip_value=None, clip_norm=None, l1=0.0, l2=0.0):
    """theta - alpha * g, g the clipped gradient of mean loss + l1 sum|W| + l2/2 sum W^2."""
    _, g = ref_loss_grad(net, X, Y)
    is_weight = np.zeros(net.n_params, bool)
    for l in range(len(net.weights)):
        is_weight[net.layout.weight_slice(l)] = True
    theta = net.params.copy()
    g = g + is_weight * (l2 * theta + l1 * np.sign(theta))
    if clip_value is not None:
        g = np.minimum(np.maximum(g, -clip_value), clip_value)
    if clip_norm is not None and np.sqrt(np.sum(g * g)) > clip_norm:
        g = g * clip_norm / np.sqrt(np.sum(g * g))
    return theta - alpha * g


@pytest.mark.parametrize("control", [dict(clip_value=0.02), dict(clip_norm=0.05),
                                     dict(l2=0.3), dict(l1=0.2),
                                     dict(l1=0.1, l2=0.2, clip_norm=0.05)])
def test_one_full_batch_step_with_control(control):
    net = make_net((3, 5, 2), "tanh", "sigmoid", "mse")
    X, Y = make_data(net, n=10)
    expected = one_full_batch_step(net, X, Y, 0.7, **control)
    net.fit(X, Y, learning_rate=0.7, batch_size=None, epochs=1, shuffle=False, **control)
    np.testing.assert_allclose(net.params, expected, rtol=1e-12, atol=1e-15)


def test_clipping_is_active_in_these_cases():
    # guards the test above: each bound really cuts the gradient of this problem
    net = make_net((3, 5, 2), "tanh", "sigmoid", "mse")
    X, Y = make_data(net, n=10)
    _, g = ref_loss_grad(net, X, Y)
    assert np.abs(g).max() > 0.02 and np.linalg.norm(g) > 0.05


@pytest.mark.parametrize("schedule,b,alpha", [
    ("constant", 2.0, lambda t: 0.5),
    ("inverse", 2.0, lambda t: 0.5 / (2.0 + t)),
    ("inverse", 0.0, lambda t: 0.5 / t),  # the notes allow b >= 0
    ("inverse_sqrt", 2.0, lambda t: 0.5 / np.sqrt(t)),
])
def test_schedule_step_sizes_over_several_updates(schedule, b, alpha):
    net = make_net((3, 4, 2))
    X, Y = make_data(net, n=6)
    theta = net.params.copy()
    for t in range(1, 7):  # per-sample SGD: update t uses row t-1
        _, g = ref_loss_grad(net, X[t - 1 : t], Y[t - 1 : t], theta=theta)
        theta = theta - alpha(t) * g
    history = net.fit(X, Y, learning_rate=0.5, schedule=schedule, schedule_b=b,
                      batch_size=1, epochs=1, shuffle=False)
    np.testing.assert_allclose(net.params, theta, rtol=1e-12)
    assert history.learning_rate[0] == pytest.approx(alpha(6))

    full = make_net((3, 4, 2))
    h = full.fit(X, Y, learning_rate=0.5, schedule=schedule, schedule_b=b, batch_size=None,
                 epochs=4, shuffle=False)
    np.testing.assert_allclose(h.learning_rate, [alpha(t) for t in range(1, 5)], rtol=1e-15)


@pytest.mark.parametrize("schedule", ["inverse", "inverse_sqrt"])
@pytest.mark.parametrize("batch_size", [1, 4, None])
def test_schedules_count_updates_across_epochs(schedule, batch_size):
    # update t of the whole fit (not of the epoch, nor the epoch number) sets alpha_t
    net = make_net((3, 4, 2))
    X, Y = make_data(net, n=10)
    sizes, acts, params = ref_spec(net)
    theta, losses = reference.train(net.params, sizes, acts, params, "mse", X, Y,
                                    learning_rate=0.8, batch_size=batch_size, epochs=3,
                                    shuffle=False, schedule=schedule, schedule_b=1.5)
    history = net.fit(X, Y, learning_rate=0.8, batch_size=batch_size, epochs=3, shuffle=False,
                      schedule=schedule, schedule_b=1.5)
    np.testing.assert_allclose(net.params, theta, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-11)
    updates_per_epoch = {1: 10, 4: 3, None: 1}[batch_size]
    last_updates = updates_per_epoch * np.arange(1, 4)
    np.testing.assert_allclose(history.learning_rate,
                               [reference.step_size(schedule, 0.8, 1.5, t) for t in last_updates],
                               rtol=1e-15)


def test_grad_norms_are_layer_weight_gradient_norms():
    net = make_net((3, 5, 4, 2))
    X, Y = make_data(net, n=9)
    _, g = ref_loss_grad(net, X, Y)
    weights, _ = net.layout.unflatten(g)
    history = net.fit(X, Y, batch_size=None, epochs=1, shuffle=False)
    assert history.grad_norms.shape == (1, 3)
    np.testing.assert_allclose(history.grad_norms[0], [np.linalg.norm(w) for w in weights],
                               rtol=1e-12)


def test_early_stopping_restores_the_best_epochs_weights():
    rng = np.random.default_rng(0)
    X, Xv = rng.normal(size=(40, 5)), rng.normal(size=(40, 5))
    Y, Yv = rng.uniform(size=(40, 1)), rng.uniform(size=(40, 1))  # noise: overfits
    net = fastmlp.MLP((5, 30, 1), activation="tanh", output_activation="identity", seed=0)
    snapshots = []
    history = net.fit(X, Y, learning_rate=0.05, epochs=300, validation_data=(Xv, Yv),
                      early_stopping=True, n_iter_no_change=5, seed=0,
                      callback=lambda epoch, h: snapshots.append(net.params.copy()))
    assert history.stop_reason == "early_stopping"
    assert history.epochs_run < 300
    best = int(np.argmin(history.val_loss))
    assert history.best_epoch == best
    assert history.epochs_run - 1 - best == 5  # five epochs without improvement
    np.testing.assert_array_equal(net.params, snapshots[best])
    assert net.loss(Xv, Yv) == pytest.approx(history.val_loss[best], rel=1e-12)


def test_tol_stops_when_the_loss_stalls():
    net = make_net((3, 4, 2))
    X, Y = make_data(net, n=20)
    history = net.fit(X, Y, learning_rate=0.05, epochs=10_000, tol=1e-3, n_iter_no_change=3)
    assert history.stop_reason == "tol"
    assert 3 < history.epochs_run < 10_000
    loss = history.loss
    n = len(loss)
    # the last three epochs each failed to beat the best before them by tol ...
    assert all(loss[i] > loss[:i].min() - 1e-3 for i in range(n - 3, n))
    # ... and the one before them did (or was the first), which reset the count
    assert n == 4 or loss[n - 4] <= loss[: n - 4].min() - 1e-3


def test_tol_watches_the_training_loss_even_with_validation_data():
    # validation data is only recorded (and picks best_epoch) unless early_stopping is on
    net = make_net((3, 4, 2))
    X, Y = make_data(net, n=20)
    Xv, Yv = make_data(net, n=20, seed=5)
    options = dict(learning_rate=0.05, epochs=10_000, tol=1e-3, n_iter_no_change=3, seed=0)
    without = net.copy().fit(X, Y, **options)
    monitored = net.copy()
    history = monitored.fit(X, Y, validation_data=(Xv, Yv), **options)
    assert history.stop_reason == without.stop_reason == "tol"
    np.testing.assert_array_equal(history.loss, without.loss)
    assert history.best_epoch == int(np.argmin(history.val_loss))


def test_grad_tol_stops_when_the_gradient_vanishes():
    # linear least squares converges: the full-data gradient goes to zero
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    net = fastmlp.MLP((3, 1), output_activation="identity", loss="half_mse", seed=0)
    history = net.fit(X, Y, learning_rate=0.2, batch_size=None, epochs=10_000, grad_tol=1e-6)
    assert history.stop_reason == "grad_tol"
    assert history.epochs_run < 10_000
    assert np.linalg.norm(net.gradient(X, Y)) < 1e-6
    np.testing.assert_allclose(net.weights[0].ravel(), [1.0, -2.0, 0.5], atol=1e-5)


def test_callback_can_stop_training_and_sees_history():
    net = make_net((3, 4, 2))
    X, Y = make_data(net)
    seen = []
    history = net.fit(X, Y, epochs=50, callback=lambda e, h: seen.append(h.epochs_run) or e < 3)
    assert history.stop_reason == "callback" and history.epochs_run == 4
    assert seen == [1, 2, 3, 4]


def test_a_numpy_false_from_the_callback_stops_too():
    """A comparison on NumPy values returns np.False_, not False: it stops as well; None
    (and a truthy value) keeps going."""
    net = make_net((3, 4, 2))
    X, Y = make_data(net)
    history = net.fit(X, Y, epochs=50, callback=lambda e, h: np.int64(e) < 2)
    assert history.stop_reason == "callback" and history.epochs_run == 3
    assert net.fit(X, Y, epochs=4, callback=lambda e, h: None).epochs_run == 4


def test_verbose_1_is_a_progress_bar_with_the_losses(capsys):
    net = make_net((3, 4, 2))
    X, Y = make_data(net)
    net.fit(X, Y, epochs=4, verbose=1, validation_data=(X, Y))
    err = capsys.readouterr().err
    assert "4/4" in err and "loss=" in err and "val_loss=" in err and "epoch" in err
    with pytest.raises(ValueError, match="verbose must be 0, 1 or 2"):
        net.fit(X, Y, epochs=1, verbose=3)


def test_ctrl_c_stops_at_the_end_of_the_epoch_and_keeps_the_history(capsys):
    import os
    import signal

    net = make_net((3, 4, 2))
    X, Y = make_data(net)

    def press_ctrl_c(epoch, history):
        if epoch == 2:
            os.kill(os.getpid(), signal.SIGINT)

    history = net.fit(X, Y, epochs=50, callback=press_ctrl_c)
    assert history.stop_reason == "interrupted" and history.epochs_run == 3
    assert len(history.loss) == 3 and np.isfinite(net.params).all()
    assert "stopping at the end of this epoch" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_verbose_prints_a_line_per_epoch(capsys):
    net = make_net((3, 4, 2))
    X, Y = make_data(net)
    net.fit(X, Y, epochs=3, verbose=2, validation_data=(X, Y))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[2].startswith("epoch 3/3") and "val_loss" in lines[0]


def test_initializers_follow_their_definitions():
    sizes = (300, 200, 100)
    xavier = fastmlp.MLP(sizes, init="xavier", seed=0)
    limit = np.sqrt(6 / (300 + 200))
    assert np.abs(xavier.weights[0]).max() <= limit
    assert np.abs(xavier.weights[0]).max() > 0.99 * limit
    he = fastmlp.MLP(sizes, init="he", seed=0)
    assert he.weights[0].std() == pytest.approx(np.sqrt(2 / 300), rel=0.02)
    assert he.weights[1].std() == pytest.approx(np.sqrt(2 / 200), rel=0.02)
    uniform = fastmlp.MLP(sizes, init="uniform", init_scale=0.3, seed=0)
    assert 0.29 < np.abs(uniform.weights[0]).max() <= 0.3
    normal = fastmlp.MLP(sizes, init="normal", init_scale=0.3, seed=0)
    assert normal.weights[0].std() == pytest.approx(0.3, rel=0.02)
    for net in (xavier, he, uniform, normal):
        assert all(np.all(b == 0) for b in net.biases)
    again = fastmlp.MLP(sizes, init="he", seed=0)
    np.testing.assert_array_equal(again.params, he.params)
    assert fastmlp.MLP((3, 2), bias_init=0.1, seed=0).biases[0].tolist() == [0.1, 0.1]


# ----------------------------------------------------------------------------- divergence
def test_enormous_learning_rate_raises_and_restores_the_starting_parameters():
    # loss path: after one update the outputs are ~1e200, their squares overflow, and
    # training stops before the second update; the first epoch diverged, so the parameters
    # go back to those the fit started from (the finite ~1e200 ones would be useless)
    net = fastmlp.MLP((3, 4, 2), activation="tanh", output_activation="identity", seed=0)
    X, Y = make_data(net, n=8)
    start = net.params.copy()
    with pytest.raises(fastmlp.DivergenceError,
                       match="epoch 1.*after 1 of.*restored to those the fit started from.*"
                             "learning_rate.*clip") as info:
        net.fit(X, Y, learning_rate=1e200, batch_size=1, epochs=3, shuffle=False)
    assert isinstance(info.value, ArithmeticError)
    assert info.value.epoch == 0 and info.value.history.stop_reason == "diverged"
    assert info.value.history.epochs_run == 0
    np.testing.assert_array_equal(net.params, start)


def test_overflowing_update_is_rolled_back_to_the_epochs_start():
    # parameter path: the loss stays finite (sigmoid output), the second update overflows
    # the weight to -inf
    net = fastmlp.MLP((1, 1), output_activation="sigmoid", loss="binary_cross_entropy",
                      init="uniform", init_scale=0.1, seed=0)
    X = np.array([[1e-3], [3.0], [1.0]])
    Y = np.array([[1.0], [0.0], [1.0]])
    start = net.params.copy()
    with pytest.raises(fastmlp.DivergenceError, match="a parameter became NaN or inf after 1"):
        net.fit(X, Y, learning_rate=1e308, epochs=1, shuffle=False)
    np.testing.assert_array_equal(net.params, start)


@pytest.mark.filterwarnings(  # the guard rail sees the units this divergence killed
    "ignore:fastmlp. after training, .* units are dead:UserWarning")
@pytest.mark.parametrize("batch_size,learning_rate", [(1, 0.001), (8, 0.003), (None, 0.05)])
def test_divergence_in_a_later_epoch_restores_the_last_completed_epoch(batch_size,
                                                                        learning_rate):
    # the state History describes: the same fit stopped after the completed epochs
    net = fastmlp.MLP((3, 8, 2), activation="relu", output_activation="identity", seed=0)
    X, Y = make_data(net, n=50)
    Y = Y * 100
    options = dict(learning_rate=learning_rate, momentum=0.99, optimizer="momentum",
                   batch_size=batch_size, seed=3)
    completed = net.copy()
    with pytest.raises(fastmlp.DivergenceError,
                       match=r"restored to those after epoch \d+\.") as info:
        net.fit(X, Y, epochs=500, **options)
    epochs_done = info.value.epoch
    assert epochs_done > 0 and info.value.history.epochs_run == epochs_done
    completed.fit(X, Y, epochs=epochs_done, **options)
    np.testing.assert_array_equal(net.params, completed.params)
    assert np.isfinite(net.params).all()


def test_divergence_with_early_stopping_restores_the_best_validation_epoch():
    net = fastmlp.MLP((3, 8, 2), activation="relu", output_activation="identity", seed=0)
    X, Y = make_data(net, n=50)
    Xv, Yv = make_data(net, n=20, seed=2)
    snapshots = []
    with pytest.raises(fastmlp.DivergenceError, match="the best validation epoch's") as info:
        net.fit(X, Y * 100, learning_rate=0.05, momentum=0.99, optimizer="momentum",
                batch_size=None, epochs=500, validation_data=(Xv, Yv * 100), early_stopping=True,
                n_iter_no_change=1000, callback=lambda e, h: snapshots.append(net.params.copy()))
    history = info.value.history
    best = int(np.argmin(history.val_loss))
    assert history.best_epoch == best and best < history.epochs_run - 1
    np.testing.assert_array_equal(net.params, snapshots[best])


def test_an_exception_from_the_callback_still_leaves_the_best_epoch():
    rng = np.random.default_rng(0)
    X, Xv = rng.normal(size=(40, 5)), rng.normal(size=(40, 5))
    Y, Yv = rng.uniform(size=(40, 1)), rng.uniform(size=(40, 1))  # noise: overfits
    net = fastmlp.MLP((5, 30, 1), activation="tanh", output_activation="identity", seed=0)
    snapshots, seen = [], []

    def interrupt_at_60(epoch, history):
        snapshots.append(net.params.copy())
        seen.append(history)
        if epoch == 60:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        net.fit(X, Y, learning_rate=0.05, epochs=300, validation_data=(Xv, Yv),
                early_stopping=True, n_iter_no_change=1000, seed=0, callback=interrupt_at_60)
    best = int(np.argmin(seen[-1].val_loss))
    assert best < 60  # the test means something only if the best epoch is not the last
    np.testing.assert_array_equal(net.params, snapshots[best])


def test_non_finite_parameters_are_refused_before_training():
    net = make_net((3, 4, 2))
    X, Y = make_data(net)
    net.weights[0][0, 0] = np.nan
    before = net.params.copy()
    with pytest.raises(ValueError, match="parameters hold NaN or inf"):
        net.fit(X, Y)
    np.testing.assert_array_equal(net.params, before)


@pytest.mark.filterwarnings(  # the guard rail sees the units this divergence killed
    "ignore:fastmlp. after training, .* units are dead:UserWarning")
def test_clip_norm_prevents_that_divergence():
    net = fastmlp.MLP((3, 8, 2), activation="relu", output_activation="identity", seed=0)
    X, Y = make_data(net, n=50)
    Y = Y * 100
    history = net.fit(X, Y, learning_rate=0.05, momentum=0.99, optimizer="momentum",
                      epochs=200, clip_norm=1.0)
    assert np.isfinite(history.loss).all() and np.isfinite(net.params).all()
    assert history.loss[-1] < history.loss[0]


# ----------------------------------------------------------------------------- diagnostics
def test_deep_sigmoid_stack_is_reported_vanishing():
    net = fastmlp.MLP((10,) + (16,) * 9 + (1,), activation="sigmoid", seed=0)
    X, Y = make_data(net, n=64, margin=None)
    report = net.diagnose(X, Y)
    assert len(report.grad_norms) == 10
    assert report.vanishing and not report.exploding
    assert "VANISHING" in str(report) and "relu" in str(report)
    shallow = fastmlp.MLP((10, 16, 1), activation="relu", init="he", seed=0).diagnose(X, Y)
    assert not shallow.vanishing and shallow.healthy


def test_relu_layer_with_large_negative_bias_is_reported_dead():
    net = fastmlp.MLP((4, 10, 6, 2), activation="relu", seed=0)
    net.biases[1][:3] = -100.0  # half of layer 2's units can never fire
    X, Y = make_data(net, n=30, margin=None)
    report = net.diagnose(X, Y)
    assert report.dead_units == {1: 0.0, 2: 0.5}
    assert "DEAD UNITS: 50% of layer 2" in str(report) and "leaky_relu" in str(report)


def test_saturated_and_exploding_reports():
    net = fastmlp.MLP((4, 6, 2), activation="tanh", seed=0)
    net.weights[0][...] = 50.0
    X = np.abs(make_data(net, n=20, margin=None)[0]) + 1
    report = net.diagnose(X, np.zeros((20, 2)))
    assert report.saturated_units == {1: 1.0} and "SATURATED" in str(report)
    boom = fastmlp.MLP((4, 6, 6, 2), activation="identity", output_activation="identity",
                       seed=0)
    boom.weights[2][...] *= 1e-5  # tiny last layer: earlier layers' gradients dwarf it
    boom.weights[1][...] *= 1e5
    X, Y = make_data(boom, n=20, margin=None)
    assert boom.diagnose(X, Y).exploding


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
@pytest.mark.parametrize("control", [dict(), dict(clip_norm=0.05), dict(clip_value=0.02),
                                     dict(l2=0.3), dict(l1=0.1, clip_norm=0.05)])
def test_per_sample_epoch_with_controls_equals_transcription(optimizer, control):
    # batch_size=1 without penalties or clip_value runs the fused per-sample kernel, the
    # others the general one: both must follow the same formulas
    net = make_net((3, 5, 2), "tanh", "sigmoid", "mse")
    X, Y = make_data(net, n=8)
    theta, v, gamma, alpha = net.params.copy(), np.zeros(net.n_params), 0.6, 0.7
    is_weight = np.zeros(net.n_params, bool)
    for l in range(len(net.weights)):
        is_weight[net.layout.weight_slice(l)] = True
    norms = []
    for r in range(len(X)):
        point = theta - gamma * v if optimizer == "nesterov" else theta
        _, g = ref_loss_grad(net, X[r : r + 1], Y[r : r + 1], theta=point)
        g = g + is_weight * (control.get("l2", 0) * point + control.get("l1", 0) * np.sign(point))
        norms.append([np.linalg.norm(g[net.layout.weight_slice(l)]) for l in range(2)])
        if "clip_value" in control:
            g = np.clip(g, -control["clip_value"], control["clip_value"])
        if "clip_norm" in control and np.linalg.norm(g) > control["clip_norm"]:
            g = g * control["clip_norm"] / np.linalg.norm(g)
        if optimizer == "sgd":
            theta = theta - alpha * g
        else:
            v = gamma * v + alpha * g
            theta = theta - v
    history = net.fit(X, Y, optimizer=optimizer, learning_rate=alpha, momentum=gamma,
                      batch_size=1, epochs=1, shuffle=False, **control)
    np.testing.assert_allclose(net.params, theta, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(history.grad_norms[0], np.mean(norms, axis=0), rtol=1e-12)
