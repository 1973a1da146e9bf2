"""Dropout (``MLP(dropout=)``): inverted dropout of the hidden layers during training.

Oracles: reference.py trained with the same masks (drawn by its own NumPy twin of the
kernels' draws, :func:`fastmlp.reference.dropout_masks`) on every engine; five-point finite
differences of the masked loss with the masks held fixed; the same network without dropout
(off at inference, rate 0); the masks' binomial statistics.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers import (
    finite_difference_gradient,
    make_data,
    make_net,
    max_rel_err,
    ref_spec,
)

import fastmlp
from fastmlp import reference
from fastmlp.engines import per_sample, specialize
from fastmlp.epochs import draw_mask_seed
from fastmlp.full_data import FullDataPass
from fastmlp.kernels.structs import Data
from fastmlp.parallel import MIN_ROWS_PER_THREAD
from fastmlp.workspace import Workspace

SIZES = (3, 6, 5, 2)
RATES = (0.3, 0.5)
# the batch sizes each engine runs (None: full batch)
ENGINE_BATCHES = [("per_sample", 1), ("chunked", 1), ("chunked", 5), ("chunked", None),
                  ("row_parallel", None)]


@pytest.fixture
def two_threads():
    fastmlp.set_num_threads(2)
    yield
    fastmlp.set_num_threads(None)


def case(engine, rates=RATES, hidden="tanh", output="sigmoid", loss="mse", seed=1, n=None):
    net = make_net(SIZES, hidden, output, loss, dropout=rates)
    if n is None:
        n = 2 * MIN_ROWS_PER_THREAD + 10 if engine == "row_parallel" else 24
    X, Y = make_data(net, n=n, seed=seed, margin=None)
    return net, X, Y


def mask_seeds(seed, epochs):
    """The mask seeds a fit with ``seed`` and shuffle=False draws, one per epoch."""
    rng = np.random.default_rng(seed)
    return [draw_mask_seed(rng) for _ in range(epochs)]


def reference_train(net, X, Y, seed, epochs, **options):
    sizes, acts, params = ref_spec(net)
    return reference.train(net.params, sizes, acts, params, net.loss_name, X, Y,
                           epochs=epochs, shuffle=False, dropout=net.dropout,
                           dropout_seeds=mask_seeds(seed, epochs), **options)


# ----------------------------------------------------------------------------- engines
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
@pytest.mark.parametrize("engine,batch_size", ENGINE_BATCHES)
def test_every_engine_trains_like_the_reference_with_the_same_masks(engine, batch_size,
                                                                    optimizer, two_threads):
    net, X, Y = case(engine)
    options = dict(optimizer=optimizer, learning_rate=0.01 if optimizer == "adam" else 0.3,
                   momentum=0.7, batch_size=batch_size)
    theta, losses = reference_train(net, X, Y, seed=7, epochs=3, **options)
    start = net.params.copy()
    history = net.fit(X, Y, epochs=3, shuffle=False, seed=7, engine=engine, **options)
    np.testing.assert_allclose(net.params, theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-10)
    # the masks mattered: without them the reference ends elsewhere
    sizes, acts, params = ref_spec(net)
    plain, _ = reference.train(start, sizes, acts, params, net.loss_name, X, Y, epochs=3,
                               shuffle=False, **options)
    assert np.abs(plain - theta).max() > 1e-3


@pytest.mark.parametrize("engine", ["per_sample", "chunked"])
def test_clipped_and_weighted_fits_with_dropout_like_the_reference(engine):
    # clip_norm takes the per-sample kernel's other backward path (every delta first)
    net, X, Y = case(engine, rates=(0.0, 0.4), hidden=["relu", "sigmoid"])
    w = np.random.default_rng(3).uniform(0.5, 2.0, X.shape[0])
    options = dict(optimizer="momentum", learning_rate=0.2, batch_size=1, clip_norm=0.3)
    theta, losses = reference_train(net, X, Y, seed=2, epochs=2, sample_weight=w, **options)
    history = net.fit(X, Y, epochs=2, shuffle=False, seed=2, engine=engine, sample_weight=w,
                      **options)
    np.testing.assert_allclose(net.params, theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-10)


def test_engines_draw_the_same_masks_whatever_the_order_and_threads(two_threads):
    # masks are keyed by (epoch seed, row, unit): a shuffled full batch on one thread and
    # the row-parallel split over two give the same fit to rounding, as do the per-sample
    # and chunked engines visiting the same shuffled order
    net, X, Y = case("row_parallel")
    options = dict(learning_rate=0.5, batch_size=None, epochs=3, seed=4)
    parallel, chunked = net.copy(), net.copy()
    parallel.fit(X, Y, engine="row_parallel", **options)
    chunked.fit(X, Y, engine="chunked", **options)
    np.testing.assert_allclose(parallel.params, chunked.params, rtol=1e-12, atol=1e-13)
    assert max_rel_err(parallel.params, net.params) > 1e-3
    net, X, Y = case("chunked", n=60)
    fused, chunked = net.copy(), net.copy()
    fused.fit(X, Y, batch_size=1, epochs=2, seed=5, engine="per_sample")
    chunked.fit(X, Y, batch_size=1, epochs=2, seed=5, engine="chunked")
    np.testing.assert_allclose(fused.params, chunked.params, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("engine,batch_size", ENGINE_BATCHES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_same_seed_gives_the_same_bits_and_another_seed_another_fit(engine, batch_size,
                                                                        dtype, two_threads):
    net, X, Y = case(engine)
    net = make_net(SIZES, "relu", "sigmoid", "mse", dtype=dtype, dropout=0.4)
    results = []
    for seed in (11, 11, 12):
        copy = net.copy()
        history = copy.fit(X, Y, batch_size=batch_size, epochs=2, seed=seed, engine=engine,
                           learning_rate=0.2)
        results.append((copy.params.copy(), np.array(history.loss)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert not np.array_equal(results[0][0], results[2][0])


def test_streamed_fits_with_dropout_repeat_bit_for_bit(tmp_path, small_blocks):
    rng = np.random.default_rng(0)
    X = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", shape=(500, 6))
    Y = np.lib.format.open_memmap(tmp_path / "Y.npy", mode="w+", shape=(500, 2))
    X[:] = rng.normal(size=X.shape)
    Y[:] = rng.uniform(size=Y.shape)
    fits = []
    for _ in range(2):
        net = fastmlp.MLP((6, 8, 2), "tanh", seed=0, dropout=0.25)
        net.fit(X, Y, batch_size=4, epochs=2, seed=3)
        fits.append(net.params.copy())
    np.testing.assert_array_equal(fits[0], fits[1])
    plain = fastmlp.MLP((6, 8, 2), "tanh", seed=0)
    plain.fit(X, Y, batch_size=4, epochs=2, seed=3)
    assert not np.array_equal(plain.params, fits[0])


@pytest.fixture
def fresh_tiers(monkeypatch, children_at_normal_priority):
    """Every per-sample fit asks for its specialized kernel at once (test_specialize.py)."""
    monkeypatch.setattr(specialize, "_updates", {})
    monkeypatch.setattr(specialize, "_kernels", {})
    monkeypatch.setattr(specialize, "SPECIALIZE_UPDATES", 0)
    monkeypatch.delenv("FASTMLP_SPECIALIZE", raising=False)
    if not specialize.enabled():
        pytest.skip("no writable kernel cache: nothing is specialized")
    return monkeypatch


def test_the_specialized_per_sample_kernel_masks_like_the_general_one(fresh_tiers):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(300, 3)), rng.uniform(size=(300, 2))

    def fit():
        net = fastmlp.MLP((3, 5, 4, 2), "tanh", seed=3, dropout=(0.2, 0.5))
        history = net.fit(X, Y, batch_size=1, epochs=3, seed=5, engine="per_sample",
                          learning_rate=0.05)
        return net.params.copy(), np.array(history.loss)

    general = fit()  # asks for the specialized kernel, runs the general one meanwhile
    assert specialize.wait(timeout=600)
    (entry,) = specialize._kernels.values()
    assert entry.kernel is not None and not entry.failed

    def refuse(*args):
        raise AssertionError("the general kernel ran")

    fresh_tiers.setattr(per_sample, "_train_epoch", refuse)
    specialized = fit()
    np.testing.assert_array_equal(specialized[0], general[0])
    np.testing.assert_array_equal(specialized[1], general[1])


# ----------------------------------------------------------------------- gradient
def masked_pass(net, X, Y, mask_seed):
    """The compiled loss and gradient of ``net`` on (X, Y) with the masks of ``mask_seed``
    (what the row-parallel engine trains on), as functions of the parameters."""
    data = Data(np.ascontiguousarray(X, net.dtype), np.ascontiguousarray(Y, net.dtype),
                np.empty(0, net.dtype))
    full = FullDataPass(Workspace(net.network, net.dtype), data, net.dropout)

    def loss_and_gradient(theta):
        value, grad, _ = full.loss_and_gradient(np.asarray(theta, net.dtype),
                                                mask_seed=mask_seed)
        return value, grad.copy()
    return loss_and_gradient


@pytest.mark.parametrize("hidden,output,loss", [
    (["tanh", "sigmoid"], "sigmoid", "mse"),
    (["elu", "softsign"], "identity", "half_mse"),
    (["leaky_relu", "arctan"], "softmax", "cross_entropy"),
    (["relu", "tanh"], "sigmoid", "binary_cross_entropy"),
])
def test_gradient_with_the_mask_held_fixed(hidden, output, loss):
    net = make_net(SIZES, hidden, output, loss, dropout=(0.4, 0.25))
    sizes, acts, params = ref_spec(net)
    # a mask seed that drops units of each layer, but never all of a row's (a layer whose
    # inputs are all dropped has z = b = 0: at the kinks below)
    for mask_seed in range(100):
        masks = reference.dropout_masks(mask_seed, np.arange(9), SIZES, net.dropout)
        if all((m == 0).any() and (m != 0).any(axis=1).all() for m in masks):
            break
    # inputs whose masked pre-activations keep away from the kinks at 0 (make_data's
    # margin is the unmasked network's): differences across a kink measure the kink
    for seed in range(2, 2000):
        X, Y = make_data(net, n=9, seed=seed, margin=None)
        zs, _ = reference.forward(net.params, sizes, acts, params, X, masks)
        if min(np.abs(z).min() for z in zs) >= 1e-2:
            break
    else:
        raise RuntimeError("no inputs away from the kinks")
    compiled = masked_pass(net, X, Y, mask_seed)
    value, grad = compiled(net.params)
    ref_value, ref_grad = reference.loss_and_gradient(net.params, sizes, acts, params, loss,
                                                      X, Y, masks=masks)
    # the kernels' masks are the reference's: the same loss and gradient to rounding
    assert value == pytest.approx(ref_value, rel=1e-12)
    assert max_rel_err(grad, ref_grad) < 1e-12
    # and the gradient is the masked loss's: finite differences, masks fixed by the seed
    numeric = finite_difference_gradient(lambda th: compiled(th)[0], net.params)
    assert max_rel_err(grad, numeric) < 1e-8
    ref_numeric = finite_difference_gradient(
        lambda th: reference.loss_and_gradient(th, sizes, acts, params, loss, X, Y,
                                               masks=masks)[0], net.params)
    assert max_rel_err(ref_grad, ref_numeric) < 1e-8
    # dropped units pass no gradient: the weights out of a unit dropped in every row get none
    always_dropped = np.flatnonzero((masks[0] == 0).all(axis=0))
    weights, _ = net.layout.unflatten(grad)
    for j in always_dropped:
        assert np.all(weights[1][j] == 0)


def test_the_masks_drop_each_unit_with_probability_p_and_scale_the_kept_ones():
    sizes = (4, 300, 200, 1)
    rows = np.arange(400)
    for rates in [(0.1, 0.5), (0.75, 0.0)]:
        masks = reference.dropout_masks(99, rows, sizes, rates)
        for mask, p in zip(masks, rates):
            n = mask.size
            dropped = (mask == 0).mean()
            # 5 standard deviations of a binomial proportion
            assert abs(dropped - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12
            assert set(np.unique(mask)) <= {0.0, 1.0 / (1.0 - p)}
        # rows and units are not correlated: neighbouring units' masks agree no more often
        # than independent draws would
        drop = masks[0] == 0
        same = (drop[:, 1:] == drop[:, :-1]).mean()
        expected = rates[0] ** 2 + (1 - rates[0]) ** 2
        assert abs(same - expected) < 0.01
    other = reference.dropout_masks(100, rows, sizes, (0.5, 0.5))
    assert not np.array_equal(other[0], reference.dropout_masks(99, rows, sizes, (0.5, 0.5))[0])


# ----------------------------------------------------------------------- off
def test_dropout_is_off_at_inference():
    net, X, Y = case("chunked", rates=(0.5, 0.5))
    plain = make_net(SIZES, "tanh", "sigmoid", "mse")
    history = net.fit(X, Y, epochs=3, batch_size=4, seed=0, validation_data=(X, Y))
    plain.params = net.params
    np.testing.assert_array_equal(net.predict(X), plain.predict(X))
    assert net.loss(X, Y) == plain.loss(X, Y)
    np.testing.assert_array_equal(net.gradient(X, Y), plain.gradient(X, Y))
    # the validation loss is the whole network's; the training loss the masked one's
    assert history.val_loss[-1] == net.loss(X, Y)
    assert history.loss[-1] != history.val_loss[-1]


def test_rate_zero_is_no_dropout_bit_for_bit():
    net, X, Y = case("chunked", rates=0.0)
    assert net.dropout == (0.0, 0.0)
    for batch_size in (1, 5, None):
        with_zero, without = net.copy(), make_net(SIZES, "tanh", "sigmoid", "mse")
        with_zero.fit(X, Y, epochs=2, batch_size=batch_size, seed=3)
        without.fit(X, Y, epochs=2, batch_size=batch_size, seed=3)
        np.testing.assert_array_equal(with_zero.params, without.params)


def test_fits_without_dropout_compile_no_masking_code(tmp_path):
    # in a process of its own with an empty kernel cache (a kernel loaded from the cache
    # lists no compiled callees): the dropout kernel is never compiled, and the epoch
    # kernels' dropout argument is None (its branches pruned before typing)
    script = textwrap.dedent("""
        import numpy as np, fastmlp
        from numba import types
        from fastmlp.kernels import dropout, passes
        from fastmlp.engines import chunked, per_sample
        X = np.random.default_rng(0).normal(size=(40, 3)); Y = X[:, :2] ** 2
        for batch_size in (1, 8):
            fastmlp.MLP((3, 5, 2), seed=0).fit(X, Y, batch_size=batch_size, epochs=1)
        assert dropout.inplace_dropout.signatures == [], dropout.inplace_dropout.signatures
        for kernel in (chunked._train_epoch, per_sample._train_epoch):
            assert kernel.signatures and all(s[-1] == types.none for s in kernel.signatures)
        # with dropout: one masking kernel per dtype, shared by the engines
        for batch_size in (1, 8):
            fastmlp.MLP((3, 5, 2), seed=0, dropout=0.5).fit(X, Y, batch_size=batch_size,
                                                            epochs=1)
        assert len(dropout.inplace_dropout.signatures) == 1, dropout.inplace_dropout.signatures
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "FASTMLP_SPECIALIZE": "0",
                               "FASTMLP_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# ----------------------------------------------------------------------- the argument
@pytest.mark.parametrize("value,error,match", [
    (-0.1, ValueError, r"dropout rates must be real numbers in \[0, 1\)"),
    (1.0, ValueError, r"dropout rates must be real numbers in \[0, 1\)"),
    (float("nan"), ValueError, r"dropout rates must be real numbers in \[0, 1\)"),
    (True, TypeError, r"dropout must be a rate in \[0, 1\) or a sequence"),
    ([0.1], ValueError, r"dropout must be one rate or 2 rates \(one per hidden layer\), got 1"),
    ([0.1, "0.2"], ValueError, r"dropout rates must be real numbers"),
    ("0.5", TypeError, r"dropout must be a rate in \[0, 1\) or a sequence of 2 rates"),
    (None, TypeError, r"dropout must be a rate"),
])
def test_bad_rates_are_refused_naming_the_argument(value, error, match):
    with pytest.raises(error, match=match):
        fastmlp.MLP(SIZES, dropout=value)


def test_a_rate_needs_hidden_layers():
    with pytest.raises(ValueError, match=r"dropout=0.5 needs hidden layers"):
        fastmlp.MLP((3, 2), dropout=0.5)
    assert fastmlp.MLP((3, 2), dropout=0.0).dropout == ()


def test_rates_per_layer_and_a_rate_changed_after_construction():
    net = fastmlp.MLP(SIZES, dropout=np.array([0.1, 0.0]))
    assert net.dropout == (0.1, 0.0) and net.config()["dropout"] == [0.1, 0.0]
    assert fastmlp.MLP(SIZES, dropout=0.2).config()["dropout"] == 0.2
    net.dropout = 1.5  # checked again by the fit, before anything changes
    X, Y = make_data(net, n=5, margin=None)
    before = net.params.copy()
    with pytest.raises(ValueError, match=r"dropout rates must be real numbers in \[0, 1\)"):
        net.fit(X, Y)
    np.testing.assert_array_equal(net.params, before)


# ----------------------------------------------------------------------- files
def test_save_and_load_keep_the_rates(tmp_path):
    for rates in (0.3, [0.25, 0.0]):
        net = fastmlp.MLP(SIZES, dropout=rates, seed=1)
        net.save(tmp_path / "net.npz")
        loaded = fastmlp.MLP.load(tmp_path / "net.npz")
        assert loaded.dropout == net.dropout and loaded.config() == net.config()
        X, Y = make_data(net, n=12, margin=None)
        # and it trains the same: the same masks from the same seed
        net.fit(X, Y, epochs=2, seed=0)
        loaded.fit(X, Y, epochs=2, seed=0)
        np.testing.assert_array_equal(loaded.params, net.params)


def test_files_written_before_dropout_load_without_it():
    folder = os.path.join(os.path.dirname(__file__), "data", "v0_1_0")
    net = fastmlp.MLP.load(os.path.join(folder, "deep.npz"))
    assert set(net.dropout) == {0.0} and len(net.dropout) == len(net.layer_sizes) - 2


# ----------------------------------------------------------------------- scikit-learn
def test_estimators_take_dropout_and_default_to_scikit_learns_fit():
    import warnings

    from sklearn.base import clone
    from sklearn.neural_network import MLPClassifier as SklearnClassifier

    from fastmlp.sklearn import MLPClassifier, MLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    options = dict(hidden_layer_sizes=(8, 6), max_iter=4, random_state=0,
                   learning_rate_init=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        theirs = SklearnClassifier(**options).fit(X, y)
        ours = MLPClassifier(**options).fit(X, y)
        assert ours.get_params()["dropout"] == 0.0
        for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        fits = [clone(MLPClassifier(dropout=[0.3, 0.1], **options)).fit(X, y)
                for _ in range(2)]
        for a, b in zip(fits[0].coefs_, fits[1].coefs_):
            np.testing.assert_array_equal(a, b)  # random_state decides the masks
        assert not np.array_equal(fits[0].coefs_[0], ours.coefs_[0])
        # predict uses the whole network: the same as a dropout-free copy of the weights
        plain = clone(fits[0]).set_params(dropout=0.0)
        plain.__dict__.update({k: v for k, v in fits[0].__dict__.items() if k.endswith("_")
                               or k.startswith("_")})
        np.testing.assert_array_equal(plain.predict_proba(X), fits[0].predict_proba(X))
        reg = MLPRegressor(dropout=0.2, solver="sgd", **options).fit(X, X[:, 0])
        assert reg.get_params()["dropout"] == 0.2 and np.isfinite(reg.loss_)
    with pytest.raises(ValueError, match=r"dropout=0.2 needs a stochastic solver"):
        MLPRegressor(dropout=0.2, solver="lbfgs", **options).fit(X, X[:, 0])
    with pytest.raises(ValueError, match=r"'dropout' parameter"):
        MLPClassifier(dropout=1.0, **options).fit(X, y)
    with pytest.raises(ValueError, match=r"dropout must be one rate or 2 rates"):
        MLPClassifier(dropout=[0.1], **options).fit(X, y)


# ----------------------------------------------------------------------- command line
def test_the_command_line_trains_with_dropout_and_saves_the_rate(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    lines = ["a,b,c,y"] + [f"{a:.4f},{b:.4f},{c:.4f},{int(a + b > 0)}" for a, b, c in X]
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "fastmlp", "train", "data.csv",
                               "--target", "y", "--out", "m.npz", "--epochs", "2", "--quiet",
                               "--hidden", "6,4", *args], cwd=tmp_path, capture_output=True,
                              text=True)

    done = run("--dropout", "0.25")
    assert done.returncode == 0, done.stderr
    assert fastmlp.MLP.load(tmp_path / "m.npz").dropout == (0.25, 0.25)
    refused = run("--dropout", "1.5")
    assert refused.returncode == 2
    assert "--dropout must be in [0, 1), got 1.5" in refused.stderr
