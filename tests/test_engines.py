"""Every engine against reference.py, one by one (no option chosen to steer the selection);
Adam against a literal transcription of Kingma & Ba's Algorithm 1; partial_fit; sample
weights; engine selection."""

import numpy as np
import pytest
from helpers import make_data, make_net, ref_spec

import fastmlp
from fastmlp import reference
from fastmlp.config import FitConfig
from fastmlp.engines import ENGINES, ENGINES_BY_NAME, select_engine
from fastmlp.parallel import MIN_ROWS_PER_THREAD

OPTIMIZERS = ["sgd", "momentum", "nesterov", "adam"]
SCHEDULES = [dict(schedule="constant"), dict(schedule="inverse", schedule_b=3.0),
             dict(schedule="inverse_sqrt")]
# the batch sizes each engine runs (None: full batch)
ENGINE_BATCHES = {"per_sample": [1], "chunked": [1, 5, None], "row_parallel": [None]}


@pytest.fixture
def two_threads():
    fastmlp.set_num_threads(2)
    yield
    fastmlp.set_num_threads(None)


def engine_case(engine, batch_size, seed=1):
    """A network and data the engine can run: the row-parallel engine needs enough rows for
    two threads."""
    n = 2 * MIN_ROWS_PER_THREAD + 10 if engine == "row_parallel" else 24
    net = make_net((3, 5, 4, 2), "tanh", "sigmoid", "mse")
    X, Y = make_data(net, n=n, seed=seed, margin=None)
    return net, X, Y


def reference_train(net, X, Y, **options):
    sizes, acts, params = ref_spec(net)
    return reference.train(net.params, sizes, acts, params, net.loss_name, X, Y, **options)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s["schedule"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("engine,batch_size", [(e, b) for e, bs in ENGINE_BATCHES.items()
                                               for b in bs])
def test_engine_trains_like_reference(engine, batch_size, optimizer, schedule, two_threads):
    net, X, Y = engine_case(engine, batch_size)
    rate = 0.01 if optimizer == "adam" else 0.3
    options = dict(optimizer=optimizer, learning_rate=rate, momentum=0.7,
                   batch_size=batch_size, epochs=3, shuffle=False, **schedule)
    theta, losses = reference_train(net, X, Y, **options)
    history = net.fit(X, Y, engine=engine, **options)
    np.testing.assert_allclose(net.params, theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-10)
    assert not np.allclose(theta, make_net((3, 5, 4, 2)).params)  # it did train


@pytest.mark.parametrize("engine", ["per_sample", "chunked"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_engines_agree_with_clip_norm_and_shuffling(engine, optimizer):
    # shuffled rows (the kernels' own shuffle: the same order on both engines) and clipping
    # that binds: the per-sample engine's outer-product norms against the chunked gradient
    net, X, Y = engine_case("chunked", 1)
    other = net.copy()
    options = dict(optimizer=optimizer, learning_rate=0.2 if optimizer != "adam" else 0.02,
                   clip_norm=0.05, epochs=3, seed=4)
    h1 = net.fit(X, Y, engine=engine, **options)
    h2 = other.fit(X, Y, engine="chunked", **options)
    np.testing.assert_allclose(net.params, other.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h1.grad_norms, h2.grad_norms, rtol=1e-10)
    assert h1.grad_norms.mean() > 0.05  # the bound binds


# ---------------------------------------------------------------------------- Adam

def adam_algorithm_1(f_grad, theta0, alpha, beta_1, beta_2, epsilon, steps):
    """Kingma & Ba (2015), Algorithm 1, transcribed line by line: the stochastic gradient
    at step t is ``f_grad(theta, t)``."""
    m = np.zeros_like(theta0)  # Initialize 1st moment vector
    v = np.zeros_like(theta0)  # Initialize 2nd moment vector
    t = 0  # Initialize timestep
    theta = theta0.copy()
    while t < steps:
        t = t + 1
        g = f_grad(theta, t)  # Get gradients w.r.t. stochastic objective at timestep t
        m = beta_1 * m + (1 - beta_1) * g  # Update biased first moment estimate
        v = beta_2 * v + (1 - beta_2) * g**2  # Update biased second raw moment estimate
        m_hat = m / (1 - beta_1**t)  # Compute bias-corrected first moment estimate
        v_hat = v / (1 - beta_2**t)  # Compute bias-corrected second raw moment estimate
        theta = theta - alpha * m_hat / (np.sqrt(v_hat) + epsilon)  # Update parameters
    return theta


@pytest.mark.parametrize("engine,batch_size", [("per_sample", 1), ("chunked", 1),
                                               ("chunked", 4), ("chunked", None),
                                               ("row_parallel", None)])
def test_adam_is_kingma_and_ba_algorithm_1(engine, batch_size, two_threads):
    net, X, Y = engine_case(engine, batch_size)
    sizes, acts, params = ref_spec(net)
    n = X.shape[0]
    batch = n if batch_size is None else batch_size
    starts = list(range(0, n, batch))
    epochs = 2

    def minibatch_gradient(theta, t):
        first = starts[(t - 1) % len(starts)]
        rows = slice(first, first + batch)
        return reference.loss_and_gradient(theta, sizes, acts, params, net.loss_name,
                                           X[rows], Y[rows])[1]

    expected = adam_algorithm_1(minibatch_gradient, net.params, alpha=0.01, beta_1=0.8,
                                beta_2=0.99, epsilon=1e-6, steps=epochs * len(starts))
    net.fit(X, Y, optimizer="adam", learning_rate=0.01, beta_1=0.8, beta_2=0.99,
            epsilon=1e-6, batch_size=batch_size, epochs=epochs, shuffle=False, engine=engine)
    np.testing.assert_allclose(net.params, expected, rtol=1e-10, atol=1e-12)


def test_adam_defaults_are_the_papers():
    config = FitConfig.from_options(optimizer="adam")
    assert (config.beta_1, config.beta_2, config.epsilon) == (0.9, 0.999, 1e-8)


def test_adam_in_float32_stays_close_to_float64():
    net64, X, Y = engine_case("chunked", 4)
    net32 = fastmlp.MLP(net64.layer_sizes, "tanh", "sigmoid", dtype="float32")
    net32.params = net64.params
    for net in (net64, net32):
        net.fit(X, Y, optimizer="adam", learning_rate=0.01, batch_size=4, epochs=3,
                shuffle=False)
    assert net32.params.dtype == np.float32
    np.testing.assert_allclose(net32.params, net64.params, rtol=1e-3, atol=1e-4)


# ---------------------------------------------------------------------------- partial_fit

@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s["schedule"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("batch_size", [1, 4])
def test_partial_fit_on_chunks_equals_one_epoch(batch_size, optimizer, schedule):
    net, X, Y = engine_case("chunked", batch_size)
    X, Y = X[:24], Y[:24]
    whole = net.copy()
    options = dict(optimizer=optimizer, learning_rate=0.02 if optimizer == "adam" else 0.3,
                   momentum=0.6, batch_size=batch_size, shuffle=False, **schedule)
    for first in (0, 8, 12, 20):  # chunk boundaries on batch boundaries (multiples of 4)
        last = {0: 8, 8: 12, 12: 20, 20: 24}[first]
        net.partial_fit(X[first:last], Y[first:last], **options)
    whole.fit(X, Y, epochs=1, **options)
    np.testing.assert_allclose(net.params, whole.params, rtol=1e-12, atol=1e-14)
    assert net._optimizer_state.t == whole._optimizer_state.t == 24 // batch_size


def test_partial_fit_state_continues_and_fit_starts_fresh():
    net, X, Y = engine_case("chunked", 1)
    fresh = net.copy()
    net.partial_fit(X, Y, optimizer="momentum")
    velocity = net._optimizer_state.slots.copy()
    assert np.abs(velocity).max() > 0
    # fit starts from zero velocity and t = 0 whatever partial_fit left
    start = net.params.copy()
    fresh.params = start
    h1 = net.fit(X, Y, optimizer="momentum", schedule="inverse", epochs=2, shuffle=False)
    h2 = fresh.fit(X, Y, optimizer="momentum", schedule="inverse", epochs=2, shuffle=False)
    np.testing.assert_array_equal(net.params, fresh.params)
    np.testing.assert_array_equal(h1.learning_rate, h2.learning_rate)
    # a partial_fit with another optimizer starts fresh too; reset forgets the state
    again = net.copy()
    net.partial_fit(X, Y, optimizer="adam", learning_rate=0.01, shuffle=False)
    again._optimizer_state = None
    again.partial_fit(X, Y, optimizer="adam", learning_rate=0.01, shuffle=False)
    np.testing.assert_array_equal(net.params, again.params)
    assert net.reset(0)._optimizer_state is None


def test_partial_fit_restores_parameters_and_state_when_it_diverges():
    net, X, Y = engine_case("chunked", 1)
    net.partial_fit(X, Y, optimizer="momentum", learning_rate=0.1)
    params, state = net.params.copy(), net._optimizer_state.copy()
    with pytest.raises(fastmlp.DivergenceError):
        net.partial_fit(X * 1e200, Y, optimizer="momentum", learning_rate=1e200)
    np.testing.assert_array_equal(net.params, params)
    np.testing.assert_array_equal(net._optimizer_state.slots, state.slots)
    assert net._optimizer_state.t == state.t


def test_copies_and_pickles_keep_their_own_optimizer_state():
    import pickle

    net, X, Y = engine_case("chunked", 1)
    net.partial_fit(X, Y, optimizer="adam", learning_rate=0.01)
    for other in (net.copy(), pickle.loads(pickle.dumps(net))):
        assert other._optimizer_state.slots is not net._optimizer_state.slots
        other.partial_fit(X, Y, optimizer="adam", learning_rate=0.01, shuffle=False)
        mine = net.copy()
        mine.partial_fit(X, Y, optimizer="adam", learning_rate=0.01, shuffle=False)
        np.testing.assert_array_equal(other.params, mine.params)


# ---------------------------------------------------------------------------- sample weights

@pytest.mark.parametrize("engine", ["chunked", "row_parallel"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_integer_weights_equal_repeated_rows_for_full_batch(engine, optimizer, two_threads):
    net, X, Y = engine_case(engine, None)
    weights = np.random.default_rng(0).integers(0, 4, X.shape[0])
    repeated = net.copy()
    options = dict(optimizer=optimizer, learning_rate=0.05, batch_size=None, epochs=3,
                   shuffle=False, engine=engine)
    h1 = net.fit(X, Y, sample_weight=weights, **options)
    rows = np.repeat(np.arange(X.shape[0]), weights)
    h2 = repeated.fit(X[rows], Y[rows], **{**options, "engine": "chunked"})
    np.testing.assert_allclose(net.params, repeated.params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h1.loss, h2.loss, rtol=1e-12)
    np.testing.assert_allclose(net.loss(X, Y, sample_weight=weights),
                               net.loss(X[rows], Y[rows]), rtol=1e-12)
    np.testing.assert_allclose(net.gradient(X, Y, sample_weight=weights),
                               net.gradient(X[rows], Y[rows]), rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("engine,batch_size", [(e, b) for e, bs in ENGINE_BATCHES.items()
                                               for b in bs])
def test_weights_of_one_equal_no_weights_bit_for_bit(engine, batch_size, two_threads):
    net, X, Y = engine_case(engine, batch_size)
    other = net.copy()
    options = dict(optimizer="nesterov", learning_rate=0.1, batch_size=batch_size,
                   epochs=2, seed=3, engine=engine, l2=0.0 if engine == "per_sample" else 0.01)
    h1 = net.fit(X, Y, **options)
    h2 = other.fit(X, Y, sample_weight=np.ones(X.shape[0]), **options)
    # the trained parameters and their gradients: the same bits
    np.testing.assert_array_equal(net.params, other.params)
    np.testing.assert_array_equal(h1.grad_norms, h2.grad_norms)
    np.testing.assert_array_equal(net.gradient(X, Y),
                                  net.gradient(X, Y, sample_weight=np.ones(len(X))))
    # the loss values to the last bits: unweighted, LLVM may fuse each (o - d)^2 into the
    # running sum (one rounding, fastmath "contract"); weighted, w (o - d)^2 rounds once more
    np.testing.assert_allclose(h1.loss, h2.loss, rtol=4e-16, atol=0)
    np.testing.assert_allclose(net.loss(X, Y), net.loss(X, Y, sample_weight=np.ones(len(X))),
                               rtol=4e-16, atol=0)


@pytest.mark.parametrize("engine,batch_size", [(e, b) for e, bs in ENGINE_BATCHES.items()
                                               for b in bs])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_weighted_training_like_reference(engine, batch_size, optimizer, two_threads):
    net, X, Y = engine_case(engine, batch_size)
    weights = np.random.default_rng(2).uniform(0, 3, X.shape[0])
    weights[[1, 2, 6]] = 0.0  # whole zero-weight batches for batch_size 1 (skipped)
    options = dict(optimizer=optimizer, learning_rate=0.01 if optimizer == "adam" else 0.2,
                   batch_size=batch_size, epochs=2, shuffle=False)
    theta, losses = reference_train(net, X, Y, sample_weight=weights, **options)
    history = net.fit(X, Y, sample_weight=weights, engine=engine, **options)
    np.testing.assert_allclose(net.params, theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-10)


def test_weighted_loss_and_gradient_like_reference_and_finite_differences():
    from helpers import finite_difference_gradient

    net = make_net((3, 5, 2), "tanh", "softmax", "cross_entropy")
    X, Y = make_data(net, n=9)
    w = np.random.default_rng(4).uniform(0, 2, 9)
    sizes, acts, params = ref_spec(net)
    value, grad = reference.loss_and_gradient(net.params, sizes, acts, params, net.loss_name,
                                              X, Y, 0.1, 0.2, w)
    np.testing.assert_allclose(net.loss(X, Y, 0.1, 0.2, sample_weight=w), value, rtol=1e-12)
    np.testing.assert_allclose(net.gradient(X, Y, 0.1, 0.2, sample_weight=w), grad,
                               rtol=1e-11, atol=1e-14)
    numeric = finite_difference_gradient(
        lambda th: reference.loss_and_gradient(th, sizes, acts, params, net.loss_name, X, Y,
                                               0.0, 0.2, w)[0], net.params)
    np.testing.assert_allclose(net.gradient(X, Y, 0.0, 0.2, sample_weight=w), numeric,
                               rtol=1e-8, atol=1e-10)


def test_validation_weights_decide_the_validation_loss():
    net, X, Y = engine_case("chunked", 1)
    w = np.random.default_rng(0).uniform(0, 1, len(X))
    start = net.params.copy()
    history = net.fit(X, Y, epochs=1, shuffle=False, validation_data=(X, Y, w))
    assert history.val_loss[0] == pytest.approx(net.loss(X, Y, sample_weight=w), rel=1e-12)
    assert not np.array_equal(start, net.params)


@pytest.mark.parametrize("weights,match", [
    (np.ones(5), r"sample_weight must be 1-D with one weight per row \(24\)"),
    (np.ones((24, 1)), "sample_weight must be 1-D"),
    (-np.ones(24), "sample_weight must be non-negative"),
    (np.zeros(24), "sample_weight is all zero"),
    (np.full(24, np.nan), "sample_weight contains NaN"),
    (np.array(["a"] * 24), "sample_weight must hold real numbers"),
])
def test_bad_sample_weights_are_refused_before_training(weights, match):
    net, X, Y = engine_case("chunked", 1)
    before = net.params.copy()
    with pytest.raises((ValueError, TypeError), match=match):
        net.fit(X, Y, sample_weight=weights)
    with pytest.raises((ValueError, TypeError), match=match):
        net.loss(X, Y, sample_weight=weights)
    np.testing.assert_array_equal(net.params, before)


# ---------------------------------------------------------------------------- selection

def test_engine_selection(two_threads):
    big = 2 * MIN_ROWS_PER_THREAD

    def chosen(n=100, threads=2, **options):
        return select_engine(FitConfig.from_options(**options), n, threads).name

    assert chosen(batch_size=1) == "per_sample"
    assert chosen(batch_size=1, optimizer="adam", clip_norm=1.0) == "per_sample"
    assert chosen(batch_size=1, l2=0.1) == "chunked"
    assert chosen(batch_size=1, clip_value=1.0) == "chunked"
    assert chosen(batch_size=8) == "chunked"
    assert chosen(batch_size=None) == "chunked"
    assert chosen(n=big, batch_size=None) == "row_parallel"
    assert chosen(n=big, batch_size=big) == "row_parallel"
    assert chosen(n=big, threads=1, batch_size=None) == "chunked"
    assert [e.name for e in ENGINES] == ["row_parallel", "per_sample", "chunked"]
    assert set(ENGINES_BY_NAME) == set(ENGINE_BATCHES)


def test_asking_for_an_engine_that_cannot_run_the_fit_says_why():
    net, X, Y = engine_case("chunked", 1)
    with pytest.raises(ValueError, match="engine 'per_sample' cannot run this fit: weight "
                                         "penalties"):
        net.fit(X, Y, l2=0.1, engine="per_sample")
    with pytest.raises(ValueError, match="engine 'row_parallel' cannot run this fit"):
        net.fit(X, Y, batch_size=None, engine="row_parallel")
    with pytest.raises(ValueError, match="unknown engine 'gpu'"):
        net.fit(X, Y, engine="gpu")


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("engine,batch_size", [(e, b) for e, bs in ENGINE_BATCHES.items()
                                               for b in bs])
def test_divergence_restores_parameters_and_state_on_every_engine(engine, batch_size,
                                                                  optimizer, two_threads):
    net, X, Y = engine_case(engine, batch_size)
    start = net.params.copy()
    kept = {}

    def explode(epoch, history):
        # after a normal first epoch, inputs that overflow the later updates; the fit trains
        # on X itself (already float64 and C-ordered, it is not copied)
        kept["params"], kept["epochs"] = net.params.copy(), epoch + 1
        with np.errstate(over="ignore"):
            X[...] *= 1e200

    with pytest.raises(fastmlp.DivergenceError) as info:
        net.fit(X, Y, optimizer=optimizer, learning_rate=0.01, batch_size=batch_size,
                epochs=5, engine=engine, callback=explode)
    assert info.value.epoch == kept["epochs"] == info.value.history.epochs_run
    np.testing.assert_array_equal(net.params, kept["params"])  # the last completed epoch's
    assert not np.array_equal(net.params, start)
    state = net._optimizer_state
    updates_per_epoch = len(range(0, len(X), batch_size or len(X)))
    assert np.isfinite(state.slots).all() and state.t == kept["epochs"] * updates_per_epoch
