"""Cosine decay with linear warmup (in the compiled epochs) and reduce-on-plateau (between
epochs, Keras' semantics), against the NumPy oracle and by hand."""

import math

import numpy as np
import pytest

import fastmlp
from fastmlp import reference
from fastmlp.schedules import ReduceOnPlateau

SIZES = (4, 5, 2)


def data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)), rng.uniform(size=(n, 2))


@pytest.mark.parametrize("batch_size, engine", [(1, "per_sample"), (8, "chunked"),
                                                (None, "chunked")])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_cosine_with_warmup_follows_the_oracle_on_every_engine(batch_size, engine, optimizer):
    X, Y = data()
    net = fastmlp.MLP(SIZES, "tanh", "sigmoid", "mse", seed=0)
    theta0 = net.params.copy()
    options = dict(optimizer=optimizer, learning_rate=0.05, batch_size=batch_size, epochs=4,
                   shuffle=False, schedule="cosine", warmup_steps=3, min_learning_rate=0.001)
    history = net.fit(X, Y, engine=engine, **options)
    per_epoch = 1 if batch_size is None else -(-len(X) // batch_size)
    T = 4 * per_epoch  # decay_steps defaults to the updates the fit plans
    expected, _ = reference.train(theta0, SIZES, ["tanh", "sigmoid"], [0.0, 0.0], "mse", X, Y,
                                  decay_steps=T, **options)
    np.testing.assert_allclose(net.params, expected, rtol=1e-12, atol=1e-13)
    # the step size of each epoch's last update, by the formula
    for epoch, alpha in enumerate(history.learning_rate, start=1):
        t = epoch * per_epoch
        want = (0.05 * t / 3 if t <= 3 else 0.001 if t >= T else 0.001 + 0.049 * 0.5 * (
            1 + math.cos(math.pi * (t - 3) / (T - 3))))
        assert alpha == pytest.approx(want, rel=1e-12)
    assert history.learning_rate[-1] == pytest.approx(0.001)


def test_cosine_decay_steps_given_and_refused():
    X, Y = data()
    net = fastmlp.MLP(SIZES, seed=0)
    h = net.fit(X, Y, batch_size=None, epochs=6, schedule="cosine", decay_steps=3,
                learning_rate=0.1)
    assert list(h.learning_rate[2:]) == [0.0, 0.0, 0.0, 0.0]  # a_min from update T on
    with pytest.raises(ValueError, match=r"decay_steps \(2\) must be larger than warmup_steps"):
        net.fit(X, Y, schedule="cosine", warmup_steps=2, decay_steps=2)
    with pytest.raises(ValueError, match="min_learning_rate .* must not exceed"):
        net.fit(X, Y, schedule="cosine", min_learning_rate=1.0, learning_rate=0.1)
    with pytest.raises(ValueError, match="partial_fit .* needs decay_steps"):
        net.partial_fit(X, Y, schedule="cosine")
    with pytest.raises(ValueError, match="warmup_steps must be a non-negative integer"):
        net.fit(X, Y, schedule="cosine", warmup_steps=-1)


def test_reduce_on_plateau_is_keras_semantics():
    rule = ReduceOnPlateau(1.0, factor=0.5, patience=2, min_delta=0.1, min_learning_rate=0.2)
    changes = [rule.update(loss, None) for loss in
               [1.0, 0.95, 0.93, 0.5, 0.45, 0.44, 0.43, 0.42, 0.41, 0.40, 0.39]]
    # 1.0 best; 0.95, 0.93 not 0.1 better -> halve; 0.5 best; 0.45, 0.44 -> halve; ...
    assert changes == [None, None, 0.5, None, None, 0.25, None, 0.2, None, None, None]
    with_val = ReduceOnPlateau(1.0, 0.5, 1, 0.0, 0.0)
    assert with_val.update(5.0, 1.0) is None and with_val.update(0.1, 2.0) == 0.5  # val rules


def test_plateau_lowers_the_step_between_epochs_on_every_engine():
    X, Y = data()
    for batch_size in (1, 8, None):
        net = fastmlp.MLP(SIZES, seed=0)
        # min_delta so large that no epoch counts as an improvement: halve after each
        # second epoch, not below 0.02
        h = net.fit(X, Y, batch_size=batch_size, epochs=9, learning_rate=0.1,
                    schedule="plateau", plateau_factor=0.5, plateau_patience=2,
                    plateau_min_delta=1e9, min_learning_rate=0.02, seed=0)
        assert list(h.learning_rate) == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025,
                                                     0.02, 0.02])
        assert not np.array_equal(net.params, fastmlp.MLP(SIZES, seed=0).params)
    with pytest.raises(ValueError, match="plateau_factor must be in"):
        net.fit(X, Y, schedule="plateau", plateau_factor=1.0)
    with pytest.raises(ValueError, match="partial_fit makes one pass"):
        net.partial_fit(X, Y, schedule="plateau")
