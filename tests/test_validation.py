"""Bad input gets a clear exception naming the argument, and never changes the model."""

import numpy as np
import pytest

import fastmlp

X = np.random.default_rng(0).normal(size=(6, 3))
Y = np.random.default_rng(1).uniform(size=(6, 2))


def net(**kw):
    return fastmlp.MLP((3, 4, 2), seed=0, **kw)


@pytest.mark.parametrize("kwargs,match", [
    (dict(layer_sizes=(3,)), "layer_sizes"),
    (dict(layer_sizes=(3, 0, 2)), "layer_sizes"),
    (dict(layer_sizes=(3, 2.5)), "layer_sizes"),
    (dict(layer_sizes=(3, 4, 2), activation="swish"), "unknown activation 'swish'"),
    (dict(layer_sizes=(3, 4, 2), activation=["relu", "tanh"]), "one per hidden layer"),
    (dict(layer_sizes=(3, 4, 2), activation="softmax"), "only available as output"),
    (dict(layer_sizes=(3, 4, 2), output_activation="gelu"), "unknown output_activation"),
    (dict(layer_sizes=(3, 4, 2), loss="hinge"), "unknown loss 'hinge'"),
    (dict(layer_sizes=(3, 4, 2), loss="cross_entropy"), "cross_entropy.*softmax"),
    (dict(layer_sizes=(3, 4, 2), loss="binary_cross_entropy", output_activation="tanh"),
     "binary_cross_entropy.*sigmoid"),
    (dict(layer_sizes=(3, 1), output_activation="softmax"), "at least 2 outputs"),
    (dict(layer_sizes=(3, 4, 2), dtype="float16"), "dtype"),
    (dict(layer_sizes=(3, 4, 2), dtype="int32"), "dtype"),
    (dict(layer_sizes=(3, 4, 2), init="zeros"), "unknown init"),
    (dict(layer_sizes=(3, 4, 2), leaky_relu_slope=-0.1), "leaky_relu_slope"),
    (dict(layer_sizes=(3, 4, 2), elu_alpha=0.0), "elu_alpha"),
])
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fastmlp.MLP(**kwargs)


@pytest.mark.parametrize("X_bad,Y_bad,match", [
    (X[:, :2], Y, "X has 2 columns"),
    (X[0], Y, "X must be 2-D"),
    (X[:0], Y[:0], "X is empty"),
    (np.where(np.arange(18).reshape(6, 3) == 4, np.nan, X), Y, "X contains NaN or inf"),
    (np.where(np.arange(18).reshape(6, 3) == 4, np.inf, X), Y, "X contains NaN or inf"),
    (X, Y[:, :1], r"Y must have shape \(n_samples, 2\)"),
    (X, Y[:5], "Y has 5 rows but X has 6"),
    (X, np.where(np.arange(12).reshape(6, 2) == 3, np.nan, Y), "Y contains NaN or inf"),
    (X, Y[:, 0], "one_hot"),
    (X.astype(str), Y, "X must hold real numbers"),
])
def test_bad_data_for_fit_loss_gradient_forward(X_bad, Y_bad, match):
    model = net()
    before = model.params.copy()
    for call in (lambda: model.fit(X_bad, Y_bad, epochs=1), lambda: model.loss(X_bad, Y_bad),
                 lambda: model.gradient(X_bad, Y_bad)):
        with pytest.raises((ValueError, TypeError), match=match):
            call()
    if match.startswith("X"):
        with pytest.raises((ValueError, TypeError), match=match):
            model.forward(X_bad)
    np.testing.assert_array_equal(model.params, before)


def test_float32_overflow_in_input_is_reported():
    model = net(dtype="float32")
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        model.forward(np.full((2, 3), 1e300))


@pytest.mark.parametrize("kwargs,match", [
    (dict(optimizer="rmsprop"), "unknown optimizer 'rmsprop'"),
    (dict(learning_rate=0.0), "learning_rate must be a positive"),
    (dict(learning_rate=-1.0), "learning_rate must be a positive"),
    (dict(learning_rate=float("nan")), "learning_rate must be a positive"),
    (dict(batch_size=0), "batch_size must be a positive integer"),
    (dict(batch_size=2.5), "batch_size must be a positive integer"),
    (dict(epochs=0), "epochs must be a positive integer"),
    (dict(epochs=-3), "epochs must be a positive integer"),
    (dict(momentum=1.0), "momentum must be in"),
    (dict(momentum=-0.1), "momentum must be a non-negative"),
    (dict(schedule="exponential"), "unknown schedule"),
    (dict(clip_norm=0.0), "clip_norm must be a positive"),
    (dict(clip_value=-1.0), "clip_value must be a positive"),
    (dict(l2=-0.1), "l2 must be a non-negative"),
    (dict(l1=float("inf")), "l1 must be a non-negative"),
    (dict(early_stopping=True), "early_stopping=True needs validation_data"),
    (dict(validation_data=X), "validation_data must be a pair"),
    (dict(validation_data=(X[:, :2], Y)), r"validation_data\[0\] has 2 columns"),
    (dict(callback=3), "callback must be callable"),
    (dict(schedule_b=-1.0), "schedule_b must be a non-negative"),
    (dict(shuffle="no"), "shuffle must be True or False"),
    (dict(verbose=3), "verbose must be 0, 1 or 2"),
    (dict(verbose="yes"), "verbose must be 0, 1 or 2"),
    (dict(early_stopping="yes"), "early_stopping must be True or False"),
])
def test_bad_fit_options(kwargs, match):
    model = net()
    before = model.params.copy()
    with pytest.raises((ValueError, TypeError), match=match):
        model.fit(X, Y, **kwargs)
    np.testing.assert_array_equal(model.params, before)


def test_training_through_step_is_refused():
    model = fastmlp.MLP((3, 4, 2), activation="step", seed=0)
    with pytest.raises(ValueError, match="cannot train through the 'step' activation"):
        model.fit(X, Y)
    out = fastmlp.MLP((3, 2), output_activation="step", seed=0)
    with pytest.raises(ValueError, match="step"):
        out.gradient(X, Y)
    assert set(np.unique(out.forward(X))) <= {0.0, 1.0}


def test_targets_outside_the_loss_domain():
    bce = fastmlp.MLP((3, 2), loss="binary_cross_entropy", seed=0)
    with pytest.raises(ValueError, match=r"Y must lie in \[0, 1\]"):
        bce.fit(X, Y * 3)
    ce = fastmlp.MLP((3, 2), output_activation="softmax", loss="cross_entropy", seed=0)
    with pytest.raises(ValueError, match="Y must be non-negative"):
        ce.loss(X, -Y)


def test_params_setter_checks_shape_and_finiteness():
    model = net()
    with pytest.raises(ValueError, match="params must have shape"):
        model.params = np.zeros(3)
    with pytest.raises(ValueError, match="params contains NaN"):
        model.params = np.full(model.n_params, np.nan)
    assert np.isfinite(model.params).all()


def test_boolean_data_counts_as_zero_and_one():
    as_bool, as_float = net(), net()
    X_bool, Y_bool = X > 0, Y > 0.5
    as_bool.fit(X_bool, Y_bool, epochs=2, seed=0)
    as_float.fit(X_bool.astype(float), Y_bool.astype(float), epochs=2, seed=0)
    np.testing.assert_array_equal(as_bool.params, as_float.params)
    np.testing.assert_array_equal(as_bool.predict(X_bool), as_float.predict(X_bool * 1.0))


def test_read_only_inputs_reuse_the_compiled_kernels(tmp_path):
    # Numba types a read-only array differently: passed through, it would compile every
    # kernel again (seconds each); the boundary copies it instead
    from fastmlp.engines import chunked, per_sample
    from fastmlp.kernels import passes

    model = net()
    model.fit(X, Y, epochs=1, seed=0)
    model.fit(X, Y, epochs=1, batch_size=2, seed=0)
    model.predict(X)
    kernels = (per_sample._train_epoch, chunked._train_epoch, passes.forward)
    compiled = [len(k.signatures) for k in kernels]
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "Y.npy", Y)
    X_map = np.load(tmp_path / "X.npy", mmap_mode="r")
    Y_frozen = Y.copy()
    Y_frozen.setflags(write=False)
    writable = net()
    writable.fit(X, Y, epochs=1, seed=0)
    model = net()
    model.fit(X_map, Y_frozen, epochs=1, seed=0)
    model.fit(X_map, Y_frozen, epochs=1, batch_size=2, seed=0)
    writable.fit(X, Y, epochs=1, batch_size=2, seed=0)
    np.testing.assert_array_equal(model.predict(X_map), writable.predict(X))
    assert [len(k.signatures) for k in kernels] == compiled


# ------------------------------------------------- hostile input (the reliability issue)

def test_timedeltas_sparse_and_complex_inputs_are_refused_by_name():
    import scipy.sparse

    net = fastmlp.MLP((2, 3, 1), seed=0)
    Y = np.zeros((4, 1))
    with pytest.raises(TypeError, match="X holds timedeltas"):
        net.fit(np.arange(8).reshape(4, 2).astype("timedelta64[s]"), Y)
    with pytest.raises(TypeError, match=r"X is a scipy.sparse matrix.*toarray"):
        net.fit(scipy.sparse.csr_matrix(np.ones((4, 2))), Y)
    with pytest.raises(TypeError, match="Y must hold real numbers, got dtype complex"):
        net.fit(np.ones((4, 2)), Y + 1j)


def test_pandas_inputs_with_nullable_dtypes():
    pd = pytest.importorskip("pandas")
    net = fastmlp.MLP((2, 3, 1), seed=0)
    frame = pd.DataFrame({"a": pd.array([1, 2, 3, 4], dtype="Int64"),
                          "b": pd.array([0.5, 1.5, 2.5, 3.5], dtype="Float64")})
    target = pd.Series(pd.array([0.0, 1.0, 0.0, 1.0], dtype="Float64"))
    net.fit(frame, target, epochs=1)  # converted, not "got dtype object"
    frame.loc[2, "a"] = pd.NA
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        net.fit(frame, target, epochs=1)


@pytest.mark.parametrize("seed, error", [("abc", TypeError), (-1, ValueError), (1.5, TypeError),
                                         (True, TypeError)])
def test_bad_fit_seeds_name_the_argument(seed, error):
    net = fastmlp.MLP((2, 3, 1), seed=0)
    with pytest.raises(error, match="seed must be"):
        net.fit(np.ones((4, 2)), np.zeros((4, 1)), seed=seed, epochs=1)


def test_one_hot_takes_any_labels_and_checks_n_classes():
    np.testing.assert_array_equal(fastmlp.one_hot(["cat", "ant", "cat"]),
                                  [[0, 1], [1, 0], [0, 1]])
    np.testing.assert_array_equal(fastmlp.one_hot([2, 0], n_classes=4),
                                  [[0, 0, 1, 0], [1, 0, 0, 0]])
    for bad in (0, -2, 2.5, "3"):
        with pytest.raises(ValueError, match="n_classes must be a positive integer"):
            fastmlp.one_hot([0, 1], n_classes=bad)
    with pytest.raises(ValueError, match="need 3 classes but n_classes=2"):
        fastmlp.one_hot(["a", "b", "c"], n_classes=2)
    with pytest.raises(ValueError, match="non-negative"):
        fastmlp.one_hot([-1, 0])


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_forward_finds_a_bad_value_in_any_rows_slice(threads, bad):
    # forward tests X inside the compiled pass, each thread on its own rows: a bad value in
    # the last chunk of the second slice is found and located like fit's check
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 3))
    model = fastmlp.MLP((3, 4, 2), seed=0)
    expected = model.forward(X)
    X[4999, 2] = bad
    fastmlp.set_num_threads(threads)
    try:
        with pytest.raises(ValueError, match=r"X contains NaN or inf \(first at index "
                                             r"\(4999, 2\)"):
            model.forward(X)
    finally:
        fastmlp.set_num_threads(None)
    X[4999, 2] = 0.0
    np.testing.assert_allclose(model.forward(X[:4999]), expected[:4999], rtol=1e-12)


def test_the_finiteness_check_locates_values_past_its_first_block():
    # require_finite tests FINITE_BLOCK values at a time (memory flat in the rows)
    from fastmlp._validation import FINITE_BLOCK, require_finite

    rows = 3 * FINITE_BLOCK // 4
    A = np.ones((rows, 4))
    A[rows - 1, 3] = np.nan
    with pytest.raises(ValueError, match=rf"A contains NaN or inf \(first at index "
                                         rf"\({rows - 1}, 3\)"):
        require_finite(A, "A")
    require_finite(np.ones((rows, 4)), "A")
