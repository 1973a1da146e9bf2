"""One-row inference (issue 26, item 5): ``MLP.predict`` and the scikit-learn estimators'
``predict`` / ``predict_proba`` skip the per-call work that does not depend on the rows --
and give the same bits as the full path, refuse the same bad input with the same errors, and
keep scikit-learn's feature-name checks. (Timings: bench/one_row.py, not asserted here.)"""

import copy
import pickle
import threading
import warnings

import numpy as np
import pytest

import fastmlp
from fastmlp import inference
from fastmlp.full_data import FullDataPass
from fastmlp.kernels import passes
from fastmlp.kernels.structs import Data
from fastmlp.workspace import Workspace

pytest.importorskip("sklearn")

import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402

from fastmlp.sklearn import MLPClassifier, MLPRegressor, _estimators  # noqa: E402

DTYPES = ("float64", "float32")
#: rows: one, a few, more than a chunk (256), more than two threads take (4096)
ROWS = (1, 7, 300, 4200)

#: (layer sizes, hidden activation, output activation, loss): every output kind, with a
#: layer wide enough for a one-row product to go to BLAS (100 x 100 >= BLAS_MIN_MACS)
NETWORKS = [
    ((6, 9, 4), "relu", "softmax", "cross_entropy"),
    ((6, 5, 1), "tanh", "sigmoid", "binary_cross_entropy"),
    ((6, 8, 7, 3), "elu", "sigmoid", "binary_cross_entropy"),
    ((6, 4, 2), "leaky_relu", "identity", "mse"),
    ((6, 5, 2), "softsign", "exp", "poisson"),
    ((100, 100, 3), "sigmoid", "softmax", "cross_entropy"),
]


def quiet_fit(estimator, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args)


def network(spec, dtype):
    sizes, hidden, output, loss = spec
    return fastmlp.MLP(sizes, hidden, output, loss, dtype=dtype, init="normal",
                       init_scale=0.5, seed=3)


def full_pass_outputs(net, X):
    """The outputs as every predict computed them before: a workspace and the full-data
    pass (threads where they pay), on the validated rows."""
    X = np.ascontiguousarray(X, dtype=net.dtype)
    out = np.empty((X.shape[0], net.layer_sizes[-1]), net.dtype)
    data = Data(X, np.empty((X.shape[0], 0), net.dtype), np.empty(0, net.dtype))
    return FullDataPass(Workspace(net.network, net.dtype), data).forward(net.params, out)


def same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a, b), np.abs(a - b).max()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spec", NETWORKS, ids=lambda s: "-".join(map(str, s[0])) + s[2])
def test_mlp_outputs_are_the_full_pass_bits(spec, dtype):
    net = network(spec, dtype)
    rng = np.random.default_rng(0)
    for n in ROWS:
        X = rng.normal(size=(n, spec[0][0])).astype(dtype)
        want = full_pass_outputs(net, X)
        for _ in range(2):  # the first call of a dtype takes the full path, later ones not
            same(net.predict(X), want)
            same(net.forward(X), want)
            same(net.predict(X.tolist()), want)  # the validating path
        if net._is_classifier():
            proba = net.predict_proba(X)
            if spec[0][-1] == 1:
                same(proba, np.hstack([1 - want, want]))
            else:
                same(proba, want)
            classes = net.predict_classes(X)
            if spec[0][-1] > 1 and spec[3] == "binary_cross_entropy":
                same(classes, (want >= 0.5).astype(np.int64))
            else:
                same(classes, np.argmax(proba, axis=1))


def test_one_row_of_a_batch_is_that_row_of_the_batch():
    net = network(NETWORKS[0], "float64")
    X = np.random.default_rng(1).normal(size=(20, 6))
    batch = net.predict(X)
    for i in range(20):
        same(net.predict(X[i:i + 1]), batch[i:i + 1])


def test_the_serial_path_compiles_nothing_more():
    """The one-row call passes the kernel arrays of the workspace's types: no second
    specialization of the inference kernel."""
    net = network(NETWORKS[0], "float64")
    X = np.ones((1, 6))
    net.predict(X)
    net.predict(X)
    before = len(passes.forward.signatures)
    assert inference.serial(net.dtype, 1)
    net.predict(X)
    full_pass_outputs(net, X)
    assert len(passes.forward.signatures) == before


@pytest.mark.filterwarnings(  # np.matrix passed on purpose: numpy's note on the class
    "ignore:the matrix subclass is not the recommended way:PendingDeprecationWarning")
def test_the_remembered_entry_point_is_only_for_the_types_it_was_compiled_for():
    net = network(NETWORKS[0], "float64")
    X = np.random.default_rng(4).normal(size=(2, 6))
    net.predict(X)
    net.predict(X)
    assert inference._entries[(id(net.network), net.dtype)][0] is net.network
    raw = np.zeros(2 * 6 * 8 + 1, np.uint8)
    unaligned = raw[1:].view(np.float64).reshape(2, 6)
    read_only = X.copy()
    read_only.setflags(write=False)
    for refused in (unaligned, read_only, np.asfortranarray(X), X.astype(np.float32), X[0],
                    np.asmatrix(X), X.copy().view(np.memmap)):
        assert not inference._plain(refused, 2, net.dtype)
    assert inference._plain(X, 2, net.dtype)
    other = network(NETWORKS[0], "float64")  # another network object: its own entry
    other.params = net.params
    same(other.predict(X), net.predict(X))


@pytest.mark.parametrize("dtype", DTYPES)
def test_mlp_refuses_bad_rows_as_before(dtype):
    net = network(NETWORKS[0], dtype)
    good = np.zeros((1, 6), dtype)
    net.predict(good)
    for bad, where in [(np.nan, "(0, 2)"), (np.inf, "(0, 2)"), (-np.inf, "(0, 2)")]:
        X = good.copy()
        X[0, 2] = bad
        with pytest.raises(ValueError, match=r"X contains NaN or inf \(first at index "
                           + where.replace("(", r"\(").replace(")", r"\)")):
            net.predict(X)
    with pytest.raises(ValueError, match=r"X has 5 columns but the network has 6 inputs"):
        net.predict(np.zeros((1, 5), dtype))
    with pytest.raises(ValueError, match=r"X must be 2-D .*reshape\(1, -1\)"):
        net.predict(np.zeros(6, dtype))
    with pytest.raises(ValueError, match="X is empty"):
        net.predict(np.zeros((0, 6), dtype))
    with pytest.raises(TypeError, match="must hold real numbers"):
        net.predict(np.zeros((1, 6), complex))
    # a NaN in a later row of a multi-row call, and a value beyond float32's range
    X = np.zeros((3, 6), dtype)
    X[2, 5] = np.nan
    with pytest.raises(ValueError, match=r"first at index \(2, 5\)"):
        net.predict(X)
    if dtype == "float32":
        with pytest.raises(ValueError, match="NaN or inf"):
            net.predict(np.full((1, 6), 1e39))


@pytest.mark.filterwarnings(  # np.matrix passed on purpose: numpy's note on the class
    "ignore:the matrix subclass is not the recommended way:PendingDeprecationWarning")
def test_mlp_takes_other_layouts_through_the_full_checks():
    net = network(NETWORKS[0], "float64")
    X = np.random.default_rng(2).normal(size=(4, 6))
    want = full_pass_outputs(net, X)
    read_only = X.copy()
    read_only.setflags(write=False)
    same(net.predict(read_only), want)
    same(net.predict(np.asfortranarray(X)), want)
    same(net.predict(np.repeat(X, 2, axis=0)[::2]), want)  # strided rows
    same(net.predict(X.astype(np.float32)), full_pass_outputs(net, X.astype(np.float32)))
    same(net.predict(np.asarray(X, dtype=">f8")), want)  # big-endian
    assert not fastmlp._validation.in_kernel_layout(np.asmatrix(X), 6, net.dtype)
    same(net.predict(np.asmatrix(X)), want)


# ------------------------------------------------------------------ scikit-learn estimators
def estimators(dtype):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(120, 5))
    y3 = np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5])
    labels = np.array(["no", "yes"])[(X[:, 2] > 0).astype(int)]
    indicators = (X[:, :3] > 0).astype(int)
    common = dict(hidden_layer_sizes=(7,), max_iter=5, random_state=0, dtype=dtype)
    return X, [
        quiet_fit(MLPClassifier(**common), X, y3),
        quiet_fit(MLPClassifier(**common), X, labels),
        quiet_fit(MLPClassifier(**common), X, indicators),
        quiet_fit(MLPClassifier(activation="tanh", solver="lbfgs", **common), X, y3 + 10),
        quiet_fit(MLPRegressor(**common), X, X[:, 0]),
        quiet_fit(MLPRegressor(**common), X, X[:, :2]),
        quiet_fit(MLPRegressor(loss="poisson", **common), X, np.exp(X[:, 0])),
    ]


def full_checks_predictions(model, X, monkeypatch):
    """What the estimator's methods return through scikit-learn's checks, the full-data
    pass and the label binarizer: the path every call took before."""
    with monkeypatch.context() as patch:
        patch.setattr(inference, "serial", lambda dtype, n: False)
        patch.setattr(_estimators, "_decoded", lambda binarizer, outputs: None)
        return predictions(model, X)


def predictions(model, X):
    got = {"predict": model.predict(X)}
    if hasattr(model, "predict_proba"):
        got["predict_proba"] = model.predict_proba(X)
        got["predict_log_proba"] = model.predict_log_proba(X)
    return got


@pytest.mark.parametrize("dtype", DTYPES)
def test_estimators_give_the_full_path_bits(dtype, monkeypatch):
    X, models = estimators(dtype)
    for model in models:
        for rows in (X[:1], X[:9], np.vstack([X] * 3)):
            for given in (rows, rows.astype(np.float32)):
                want = full_checks_predictions(model, given, monkeypatch)
                for _ in range(2):
                    got = predictions(model, given)
                    assert got.keys() == want.keys()
                    for key in want:
                        same(got[key], want[key])


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_quick_label_decoding_is_the_binarizers(dtype):
    X, models = estimators(dtype)
    rng = np.random.default_rng(9)
    for model in models[:4]:
        binarizer = model._label_binarizer
        outputs = rng.uniform(size=(50, model.n_outputs_)).astype(dtype)
        outputs[0] = 0.5  # ties and the threshold itself
        outputs[1, 0] = np.nan
        if model.n_outputs_ == 1:
            outputs = outputs.ravel()
        decoded = _estimators._decoded(binarizer, outputs)
        assert decoded is not None
        same(decoded, binarizer.inverse_transform(outputs))


def test_the_quick_path_is_taken_for_a_plain_row():
    X, models = estimators("float64")
    for model in models:
        model.predict(X[:1])
        assert model._ready_rows(X[:1]) is not None
        assert model._ready_rows(X[:1].tolist()) is None
        assert model._ready_rows(X[:1, :4]) is None
        assert model._ready_rows(np.asfortranarray(X[:2])) is None
        assert model._ready_rows(X[:1].astype(int)) is None
        assert model._ready_rows(X) is not None
        assert model._ready_rows(np.vstack([X] * 40)) is None  # threads may split it


@pytest.mark.parametrize("dtype", DTYPES)
def test_estimators_refuse_bad_rows_with_scikit_learns_errors(dtype):
    X, models = estimators(dtype)
    for model in models:
        model.predict(X[:1])
        name = type(model).__name__
        for bad, what in [(np.nan, "NaN"), (np.inf, "infinity")]:
            row = X[:1].astype(dtype)
            row[0, 3] = bad
            with pytest.raises(ValueError, match=f"Input X contains {what}"):
                model.predict(row)
            if hasattr(model, "predict_proba"):
                with pytest.raises(ValueError, match=f"Input X contains {what}"):
                    model.predict_proba(row)
        with pytest.raises(ValueError, match=f"X has 4 features, but {name} is expecting 5"):
            model.predict(X[:1, :4])
        with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
            model.predict(X[0])
        with pytest.raises(ValueError, match="0 sample"):
            model.predict(X[:0])
        # scikit-learn's own checks skipped (assume_finite): fastmlp's pass still refuses
        with sklearn.config_context(assume_finite=True):
            row = X[:1].copy()
            row[0, 0] = np.nan
            with pytest.raises(ValueError, match="NaN or inf"):
                model.predict(row)
    if dtype == "float32":  # finite in float64, inf in the network's float32
        with pytest.raises(ValueError, match="NaN or inf"):
            models[0].predict(np.full((1, 5), 1e39))


def test_an_unfitted_estimator_says_so():
    for model in (MLPClassifier(), MLPRegressor()):
        with pytest.raises(NotFittedError):
            model.predict(np.zeros((1, 3)))


def test_feature_names_are_still_checked():
    pd = pytest.importorskip("pandas")
    X, models = estimators("float64")
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    named = quiet_fit(MLPClassifier((4,), max_iter=3, random_state=0), frame,
                      np.digitize(X[:, 0], [0.0]))
    assert list(named.feature_names_in_) == list(frame.columns)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        named.predict(X[:1])
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        named.predict(X[:1])  # every call, not only the first
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_frame = named.predict_proba(frame.iloc[:1])
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        same(from_frame, named.predict_proba(frame.iloc[:1].to_numpy()))
    renamed = frame.rename(columns={"f0": "other"})
    with pytest.raises(ValueError, match="feature names should match"):
        named.predict(renamed.iloc[:1])
    plain = models[0]
    with pytest.warns(UserWarning, match="X has feature names, but MLPClassifier was fitted "
                      "without feature names"):
        plain.predict(frame.iloc[:1])


def test_changed_parameters_and_activation_reach_predict(monkeypatch):
    X, models = estimators("float64")
    model = models[0]
    row = X[:1]
    before = model.predict_proba(row)
    model.intercepts_[0][:] += 1.0  # written into the fitted views
    after = model.predict_proba(row)
    assert not np.array_equal(before, after)
    same(after, full_checks_predictions(model, row, monkeypatch)["predict_proba"])
    model.coefs_[1] = model.coefs_[1] * 2.0  # replaced by an array of the user's
    replaced = model.predict_proba(row)
    same(replaced, full_checks_predictions(model, row, monkeypatch)["predict_proba"])
    assert not np.array_equal(after, replaced)
    model.set_params(activation="tanh")  # scikit-learn's predict reads it too
    same(model.predict_proba(row), full_checks_predictions(model, row, monkeypatch)
         ["predict_proba"])
    quiet_fit(model, X, np.digitize(X[:, 2], [0.0]))  # a refit: new network, two classes
    same(model.predict_proba(row), full_checks_predictions(model, row, monkeypatch)
         ["predict_proba"])
    assert model.predict_proba(row).shape == (1, 2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_arrays_put_into_coefs_are_packed_as_before(dtype, monkeypatch):
    """coefs_ / intercepts_ replaced by arrays of the user's (how a scikit-learn model's
    weights are moved into this estimator): exact shapes and dtype take the quick path,
    others (another dtype, a Fortran array, a list) the full one; all give its bits."""
    X, models = estimators(dtype)
    for model in models[:1] + models[4:5]:
        rows = X[:3]
        model.coefs_ = [W.copy() * 1.25 for W in model.coefs_]
        model.intercepts_ = [b.copy() - 0.5 for b in model.intercepts_]
        inputs = model._prediction_inputs()
        assert inputs is not None and inputs[0] is not model._state.params
        want = full_checks_predictions(model, rows, monkeypatch)
        for key, value in predictions(model, rows).items():
            same(value, want[key])
        model.coefs_[0] = np.asfortranarray(model.coefs_[0])
        assert model._prediction_inputs() is not None
        same(model.predict(rows), want["predict"])
        other = np.float32 if dtype == "float64" else np.float64
        model.coefs_[-1] = model.coefs_[-1].astype(other)
        model.intercepts_[0] = model.intercepts_[0].tolist()
        assert model._prediction_inputs() is None
        want = full_checks_predictions(model, rows, monkeypatch)
        for key, value in predictions(model, rows).items():
            same(value, want[key])


def test_pickled_estimators_predict_the_same_and_quickly():
    X, models = estimators("float32")
    for model in models:
        want = predictions(model, X[:3])
        loaded = pickle.loads(pickle.dumps(model))
        for key, value in predictions(loaded, X[:3]).items():
            same(value, want[key])
        # coefs_ view the parameter vector again, so predict needs no packing
        assert loaded._prediction_inputs() is not None
        for a, b in zip(loaded.coefs_ + loaded.intercepts_, model.coefs_ + model.intercepts_):
            same(a, b)
        loaded.intercepts_[-1][:] += 1.0  # in place, into the views: predict sees it
        assert not np.array_equal(loaded._forward(X[:3]), model._forward(X[:3]))
        # the original is untouched, and a shallow copy does not rebind the original's
        for key, value in predictions(model, X[:3]).items():
            same(value, want[key])
        shallow = copy.copy(model)
        assert shallow._state is not model._state
        assert model.coefs_[0].base is model._state.params
        same(shallow.predict(X[:3]), want["predict"])


def test_arrays_set_by_hand_before_pickling_are_kept():
    X, models = estimators("float64")
    model = models[4]
    model.coefs_[0] = np.asfortranarray(model.coefs_[0].astype(np.float32))
    want = model.predict(X[:2])
    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.coefs_[0].dtype == np.float32  # not rebound: its dtype differs
    same(loaded.predict(X[:2]), want)


def test_predictions_from_several_threads_at_once():
    X, models = estimators("float64")
    net = network(NETWORKS[0], "float64")
    rows = [X[i:i + 1].copy() for i in range(40)]
    Xn = np.random.default_rng(3).normal(size=(40, 6))
    want_model = [models[0].predict_proba(r) for r in rows]
    want_net = [net.predict(Xn[i:i + 1]) for i in range(40)]
    failures = []

    def work():
        for _ in range(25):
            for i in range(40):
                if not (np.array_equal(models[0].predict_proba(rows[i]), want_model[i])
                        and np.array_equal(net.predict(Xn[i:i + 1]), want_net[i])):
                    failures.append(i)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
