"""ONNX export: graphs run by onnxruntime answer what fastmlp answers -- the core MLP for
every activation, output, dtype and depth, fastmlp.sklearn's estimators through skl2onnx
(alone and in a Pipeline), and the command line's models with their preprocessing."""

import csv
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import fastmlp

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

HIDDEN = ["identity", "sigmoid", "tanh", "arctan", "softsign", "relu", "leaky_relu", "elu",
          "step"]
OUTPUTS = HIDDEN + ["softmax"]
#: Agreement asked of onnxruntime's results, relative to the outputs' magnitude: float64 to
#: 1e-12 (found: 2.3e-15 at worst), float32 to 2e-6 -- the rounding of a float32 forward
#: pass itself: on the networks below fastmlp's float32 outputs differ from the same network's
#: float64 outputs by up to 1.2e-6, onnxruntime's float32 ones from fastmlp's by up to
#: 1.2e-6. (Relative to each value alone it cannot be asked: an output that a sum cancels to
#: near 0 carries the rounding of its terms, in any two implementations.)
RTOL = {"float64": 1e-12, "float32": 2e-6}


def session(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def run(model, X, name="X"):
    sess = session(model)
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {name: X})))


def assert_close(got, want, rtol):
    """|got - want| <= rtol * (|want| + max |want| of its column): relative, with the
    column's magnitude as the floor."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape
    floor = np.abs(want).max(axis=0) if want.ndim else abs(want)
    err = np.abs(got - want) / (np.abs(want) + floor + 1e-300)
    assert err.max() <= rtol, f"max relative difference {err.max():.3g} > {rtol:g}"


def inputs(n_in, dtype, seed=0):
    """Rows spread over the activations' interesting ranges (z well beyond +-1)."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(300, n_in)) * 3).astype(dtype)


# ----------------------------------------------------------------- the core MLP

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("output", OUTPUTS)
def test_every_activation_output_and_depth_matches_predict(output, dtype):
    for depth, hidden in enumerate(HIDDEN):
        sizes = (4, *[7, 5, 6][: depth % 3 + 1], 3)
        net = fastmlp.MLP(sizes, hidden, output, dtype=dtype, seed=depth, init="normal",
                          init_scale=0.8, bias_init=0.1, leaky_relu_slope=0.3, elu_alpha=0.7)
        model = net.to_onnx()
        X = inputs(4, dtype, seed=depth)
        for rows in (X[:1], X):  # the batch dimension is dynamic
            got = run(model, rows)["output"]
            assert got.dtype == np.dtype(dtype)
            assert_close(got, net.predict(rows), RTOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_oldest_opset_supported(dtype):
    X = inputs(3, dtype)
    for hidden in HIDDEN:
        net = fastmlp.MLP((3, 5, 4), hidden, "softmax", "cross_entropy", dtype=dtype, seed=0,
                          init_scale=1.0)
        result = run(net.to_onnx(opset=13), X)
        assert_close(result["probabilities"], net.predict_proba(X), RTOL[dtype])


def test_no_hidden_layer_and_float32_export_of_a_float64_network():
    net = fastmlp.MLP((5, 2), [], "sigmoid", seed=3, init_scale=1.0)
    X = inputs(5, "float64")
    assert_close(run(net.to_onnx(), X)["output"], net.predict(X), 1e-12)
    single = run(net.to_onnx(dtype="float32"), X.astype(np.float32))["output"]
    assert single.dtype == np.float32
    assert_close(single, net.predict(X), RTOL["float32"])


def test_the_model_is_valid_and_describes_itself(tmp_path):
    net = fastmlp.MLP((3, 4, 2), "elu", "softmax", "cross_entropy", seed=0)
    net.classes_ = ["no", "yes"]
    model = net.to_onnx(tmp_path / "net.onnx")
    onnx.checker.check_model(str(tmp_path / "net.onnx"), full_check=True)
    assert onnx.load(str(tmp_path / "net.onnx")) == model
    assert model.opset_import[0].version == 17
    assert model.ir_version == 8  # the oldest IR holding opset 17, for older runtimes
    graph = model.graph
    assert [i.name for i in graph.input] == ["X"]
    assert [o.name for o in graph.output] == ["output", "label", "probabilities"]
    batch = graph.input[0].type.tensor_type.shape.dim[0]
    assert batch.dim_param == "N" and not batch.HasField("dim_value")
    props = {p.key: p.value for p in model.metadata_props}
    assert props["fastmlp.classes"] == '["no", "yes"]'
    assert '"elu"' in props["fastmlp.config"]
    assert net.to_onnx(opset=21).opset_import[0].version == 21


def test_digits_classifier_labels_and_probabilities():
    """A real fit on real data: softmax over the ten digits, string labels."""
    X, y = fastmlp.datasets.load_digits()
    net = fastmlp.MLP((64, 32, 10), "relu", "softmax", "cross_entropy", seed=0)
    net.classes_ = np.array([f"digit {k}" for k in range(10)])
    net.fit(X[:1200], net.classes_[y[:1200]], optimizer="adam", learning_rate=0.01,
            batch_size=32, epochs=5, seed=0)
    result = run(net.to_onnx(), X)
    assert_close(result["probabilities"], net.predict_proba(X), 1e-12)
    assert result["label"].tolist() == net.predict_classes(X).tolist()
    assert (result["label"] == net.classes_[y]).mean() > 0.9


@pytest.mark.parametrize("classes", [None, [3, 7], ["cat", "dog"], [False, True]])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_binary_sigmoid_classifier_labels(classes, dtype):
    net = fastmlp.MLP((4, 6, 1), "tanh", "sigmoid", "binary_cross_entropy", dtype=dtype,
                      seed=1, init_scale=1.0)
    net.classes_ = classes
    X = inputs(4, dtype)
    result = run(net.to_onnx(), X)
    assert_close(result["probabilities"], net.predict_proba(X), RTOL[dtype])
    want = net.predict_classes(X)
    assert result["label"].dtype.kind == ("O" if want.dtype.kind == "U" else want.dtype.kind)
    assert result["label"].tolist() == want.tolist()
    assert len(set(want.tolist())) == 2  # both classes occur: the lookup is exercised


def test_softmax_classifier_with_integer_classes_and_multilabel_outputs():
    net = fastmlp.MLP((4, 8, 3), "relu", "softmax", "cross_entropy", seed=2, init_scale=1.0)
    net.classes_ = [10, 20, 30]
    X = inputs(4, "float64")
    result = run(net.to_onnx(), X)
    assert result["label"].dtype == np.int64
    assert result["label"].tolist() == net.predict_classes(X).tolist()
    assert set(result["label"].tolist()) == {10, 20, 30}
    multi = fastmlp.MLP((4, 8, 3), "relu", "sigmoid", "binary_cross_entropy", seed=2,
                        init_scale=1.0)
    result = run(multi.to_onnx(), X)
    np.testing.assert_array_equal(result["label"], multi.predict_classes(X))
    assert_close(result["probabilities"], multi.predict_proba(X), 1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_poisson_network_exports_its_exp_output(dtype):
    net = fastmlp.MLP((4, 6, 5, 2), "tanh", "exp", "poisson", dtype=dtype, seed=3,
                      init="normal", init_scale=0.5, bias_init=0.1)
    model = net.to_onnx()
    assert "Exp" in [node.op_type for node in model.graph.node]
    assert [o.name for o in model.graph.output] == ["output"]
    X = inputs(4, dtype)
    got = run(model, X)["output"]
    assert got.dtype == np.dtype(dtype) and (got > 0).all()
    assert_close(got, net.predict(X), RTOL[dtype])


def test_regression_network_has_only_its_output():
    net = fastmlp.MLP((2, 3, 2), "tanh", "identity", seed=0)
    assert [o.name for o in net.to_onnx().graph.output] == ["output"]


# ----------------------------------------------------------------- bad input, files

def test_bad_arguments_are_refused_by_name(tmp_path):
    net = fastmlp.MLP((2, 3, 1), seed=0)
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64'"):
        net.to_onnx(dtype="int32")
    with pytest.raises(ValueError, match="opset must be an int from 13"):
        net.to_onnx(opset=9)
    with pytest.raises(ValueError, match="path must name a file"):
        net.to_onnx(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        net.to_onnx(tmp_path / "missing" / "net.onnx")
    net.params[0] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        net.to_onnx(tmp_path / "net.onnx")
    assert os.listdir(tmp_path) == []


def test_writing_is_atomic_and_keeps_a_read_only_file(tmp_path, monkeypatch):
    from fastmlp import _files as files

    first, second = (fastmlp.MLP((2, 3, 1), seed=s) for s in (0, 1))
    path = tmp_path / "net.onnx"
    first.to_onnx(path)
    before = path.read_bytes()

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", fail)  # dies after the data was written
    with pytest.raises(OSError, match="cannot write .*No space left"):
        second.to_onnx(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["net.onnx"]  # no temporary file left behind
    path.chmod(0o444)
    with pytest.raises(PermissionError, match="read-only"):
        second.to_onnx(path)
    assert path.read_bytes() == before
    path.chmod(0o640)
    second.to_onnx(path)
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)  # a replaced file keeps its mode
    assert path.read_bytes() == second.to_onnx().SerializeToString()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into any directory")
def test_a_directory_without_write_permission(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    with pytest.raises(PermissionError, match="cannot write"):
        fastmlp.MLP((2, 1), seed=0).to_onnx(locked / "net.onnx")


# ----------------------------------------------------------------- scikit-learn

skl2onnx = pytest.importorskip("skl2onnx")
fsk = pytest.importorskip("fastmlp.sklearn")


@pytest.fixture(scope="module", autouse=True)
def converters():
    fsk.register_onnx_converters()


def fitted(estimator, X, y):
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():  # the short fits stop at max_iter
        for message in ("Stochastic Optimizer: Maximum iterations", "lbfgs failed to converge"):
            warnings.filterwarnings("ignore", message, ConvergenceWarning)
        return estimator.fit(X, y)


def sklearn_data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)) * [1, 10, 100, 1, 1] + [0, 50, -300, 0, 0]
    z = (X - X.mean(0)) / X.std(0)
    return X, z


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu", "arctan",
                                        "softsign", "leaky_relu", "elu"])
def test_pipeline_with_scaler_converts_for_every_activation(activation):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, z = sklearn_data()
    y = np.array(["low", "mid", "high"])[np.argmax(z[:, :3], axis=1)]
    pipe = fitted(Pipeline([("scale", StandardScaler()),
                            ("mlp", fsk.MLPClassifier((9, 7), activation=activation,
                                                      max_iter=60, random_state=0))]), X, y)
    for dtype in ("float64", "float32"):
        rows = X.astype(dtype)
        model = skl2onnx.to_onnx(pipe, rows[:1], options={"zipmap": False})
        onnx.checker.check_model(model)
        result = run(model, rows)
        assert result["label"].tolist() == pipe.predict(rows).tolist()
        # a float32 graph computes in float32 what the (float64) estimator computes in float64
        assert_close(result["probabilities"], pipe.predict_proba(rows), RTOL[dtype])


def test_classifier_default_zipmap_and_binary_integer_classes():
    X, z = sklearn_data()
    y = np.where(z[:, 0] + z[:, 1] > 0, 7, -2)
    clf = fitted(fsk.MLPClassifier((6,), activation="elu", max_iter=80, random_state=1), z, y)
    # skl2onnx's default: probabilities as a ZipMap, which onnxruntime runs on float32 only
    rows = z.astype(np.float32)
    labels, maps = session(skl2onnx.to_onnx(clf, rows[:1])).run(None, {"X": rows})
    assert labels.dtype == np.int64 and labels.tolist() == clf.predict(rows).tolist()
    assert set(labels.tolist()) == {7, -2}
    got = np.array([[row[c] for c in clf.classes_.tolist()] for row in maps])
    assert_close(got, clf.predict_proba(rows), RTOL["float32"])


def test_skl2onnx_options_on_string_classes():
    X, z = sklearn_data()
    y = np.array(["low", "mid", "high"])[np.argmax(z[:, :3], axis=1)]
    clf = fitted(fsk.MLPClassifier((6,), activation="softsign", max_iter=40, random_state=0),
                 z, y)
    result = run(skl2onnx.to_onnx(clf, z[:1], options={"zipmap": False,
                                                        "output_class_labels": True}), z)
    assert result["class_labels"].tolist() == clf.classes_.tolist()
    assert result["label"].tolist() == clf.predict(z).tolist()
    rows = z.astype(np.float32)
    columns = run(skl2onnx.to_onnx(clf, rows[:1], options={"zipmap": "columns"}), rows)
    got = np.column_stack([columns[f"s{c}"] for c in clf.classes_])
    assert_close(got, clf.predict_proba(rows), RTOL["float32"])
    indices = run(skl2onnx.to_onnx(clf, z[:1], options={"nocl": True, "zipmap": False}), z)
    assert indices["label"].dtype == np.int64
    assert clf.classes_[indices["label"]].tolist() == clf.predict(z).tolist()


def test_logistic_outputs_clipped_as_predict_proba_and_multilabel():
    X, z = sklearn_data()
    Y = np.column_stack([z[:, 0] > 0, z[:, 1] > 0.5, z[:, 0] + z[:, 2] > 0]).astype(int)
    clf = fitted(fsk.MLPClassifier((8,), activation="leaky_relu", max_iter=100, random_state=0,
                                   learning_rate_init=0.05), z, Y)
    Z = z * 1000  # saturating inputs: the network's logistic outputs round to 0 and 1
    result = run(skl2onnx.to_onnx(clf, z[:1], options={"zipmap": False}), Z)
    np.testing.assert_array_equal(result["label"], clf.predict(Z))
    proba = clf.predict_proba(Z)
    assert proba.max() == 1 - np.finfo(float).epsneg  # the clip is exercised
    assert_close(result["probabilities"], proba, 1e-12)


def test_regressor_multi_output_float32_network():
    X, z = sklearn_data()
    Y = np.column_stack([z[:, 0] - 2 * z[:, 1], np.sin(z[:, 2])])
    reg = fitted(fsk.MLPRegressor(hidden_layer_sizes=(10, 6), activation="softsign", max_iter=50,
                                  random_state=0, dtype="float32"), z.astype(np.float32), Y)
    rows = z.astype(np.float32)
    result = run(skl2onnx.to_onnx(reg, rows[:1]), rows)
    assert result["variable"].shape == (len(z), 2)
    assert_close(result["variable"], reg.predict(rows), RTOL["float32"])


def test_poisson_exp_output():
    """scikit-learn's Poisson regressor (output exp(z)): its coefficients in a fastmlp
    estimator whose out_activation_ says "exp" convert to a graph that predicts what
    scikit-learn's predicts."""
    from sklearn.neural_network import MLPRegressor

    X, z = sklearn_data()
    counts = np.random.default_rng(0).poisson(np.exp(0.5 * z[:, 0] - 0.3 * z[:, 1]))
    poisson = fitted(MLPRegressor(hidden_layer_sizes=(8,), loss="poisson", max_iter=100,
                                  random_state=0), z, counts)
    assert poisson.out_activation_ == "exp"
    port = fitted(fsk.MLPRegressor(hidden_layer_sizes=(8,), max_iter=1, random_state=0), z, counts)
    port.coefs_, port.intercepts_ = poisson.coefs_, poisson.intercepts_
    port.out_activation_ = "exp"
    result = run(skl2onnx.to_onnx(port, z[:1]), z)["variable"]
    assert_close(result[:, 0], poisson.predict(z), 1e-12)


def test_poisson_regressor_of_fastmlp_converts():
    X, z = sklearn_data()
    counts = np.random.default_rng(0).poisson(np.exp(0.5 * z[:, 0] - 0.3 * z[:, 1]))
    reg = fitted(fsk.MLPRegressor(hidden_layer_sizes=(8,), loss="poisson", max_iter=100,
                                  random_state=0), z, counts)
    assert reg.out_activation_ == "exp"
    result = run(skl2onnx.to_onnx(reg, z[:1]), z)["variable"]
    assert_close(result[:, 0], reg.predict(z), 1e-12)


def test_unfitted_estimator_and_fractional_classes_are_refused():
    from sklearn.exceptions import NotFittedError

    X, z = sklearn_data(40)
    with pytest.raises(NotFittedError, match="not fitted yet: call 'fit' before converting"):
        skl2onnx.to_onnx(fsk.MLPClassifier(), z[:1])
    clf = fitted(fsk.MLPClassifier((3,), max_iter=5, random_state=0), z, z[:, 0] > 0)
    clf.classes_ = np.array([0.5, 1.5])  # scikit-learn's fit refuses such labels; set by hand
    with pytest.raises(ValueError, match="fractional numbers"):  # skl2onnx's ZipMap refuses
        skl2onnx.to_onnx(clf, z[:1], options={"zipmap": False})  # them too


# ----------------------------------------------------------------- the command line

def fastmlp_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "fastmlp", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def cli_folder(tmp_path_factory):
    """Unscaled features with integer labels, string labels and a real-valued target."""
    path = tmp_path_factory.mktemp("onnx_cli")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)) * [1, 10, 100] + [0, 50, -300]
    z = (X - X.mean(0)) / X.std(0)
    grade = np.argmax(z @ [[1, -1, 0], [0, 1, -1], [-1, 0, 1]], axis=1) + 1
    species = np.array(["setosa", "versicolor", "virginica"])[grade - 1]
    price = 3 * X[:, 0] + 0.01 * X[:, 2] + 0.5
    with open(path / "table.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["sepal", "petal", "stem", "grade", "species", "price"])
        writer.writerows([*np.round(x, 5), g, s, p] for x, g, s, p in
                         zip(X, grade, species, price))
    with open(path / "new.csv", "w", newline="") as f:  # columns in another order
        writer = csv.writer(f)
        writer.writerow(["stem", "sepal", "petal"])
        writer.writerows(np.round(X[:, [2, 0, 1]] * 1.1, 5))
    return path


def columns_of(graph, path):
    """The graph's inputs from a CSV file: each input's column, (N, 1), by name -- numeric
    ones as float64 with NaN for a missing cell, string ones as the cells' texts."""
    header, rows = read_csv(path)
    feeds = {}
    for value in graph.graph.input:
        cells = [row[header.index(value.name)] for row in rows]
        if value.type.tensor_type.elem_type == onnx.TensorProto.STRING:
            feeds[value.name] = np.array(cells, dtype=object).reshape(-1, 1)
        else:
            feeds[value.name] = np.array([np.nan if c in ("", "NA") else float(c)
                                          for c in cells]).reshape(-1, 1)
    return feeds


def run_feeds(model, feeds):
    sess = session(model)
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))


def predicted_by_cli(folder, model, data, *options):
    done = fastmlp_cli("predict", model, data, *options, "--out", "predicted.csv", cwd=folder)
    assert done.returncode == 0, done.stderr
    return read_csv(folder / "predicted.csv")


@pytest.mark.parametrize("target,extra", [("species", []), ("grade", []),
                                          ("price", ["--task", "regression"])])
def test_cli_export_matches_fastmlp_predict(cli_folder, target, extra):
    model, out = f"{target}.npz", f"{target}.onnx"
    others = [c for c in ("grade", "species", "price") if c != target]
    # the table without the other targets: train reads every other column as a feature
    header, rows = read_csv(cli_folder / "table.csv")
    keep = [header.index(c) for c in header if c not in others]
    with open(cli_folder / f"{target}.csv", "w", newline="") as f:
        csv.writer(f).writerows([[row[i] for i in keep] for row in [header, *rows]])
    trained = fastmlp_cli("train", f"{target}.csv", "--target", target, "--hidden", "12,6",
                          "--activation", "elu", "--epochs", "40", "--out", model, "--quiet",
                          *extra, cwd=cli_folder)
    assert trained.returncode == 0, trained.stderr
    exported = fastmlp_cli("export", model, "--onnx", out, cwd=cli_folder)
    assert exported.returncode == 0, exported.stderr
    assert "inputs sepal (double), petal (double), stem (double)" in exported.stdout
    onnx.checker.check_model(str(cli_folder / out), full_check=True)
    graph = onnx.load(str(cli_folder / out))
    features = json.loads(next(p.value for p in graph.metadata_props
                               if p.key == "fastmlp.features"))
    assert features == ["sepal", "petal", "stem"]
    assert [i.name for i in graph.graph.input] == features
    feeds = columns_of(graph, cli_folder / "new.csv")  # the raw, unscaled columns, by name
    _, want = predicted_by_cli(cli_folder, model, "new.csv")
    result = run_feeds(graph, feeds)
    if target == "price":
        assert_close(result["prediction"], np.array(want, float)[:, 0], 1e-12)
        return
    labels = [str(v) for v in result["label"].tolist()]
    assert labels == [row[0] for row in want]
    assert len(set(labels)) == 3
    header, values = predicted_by_cli(cli_folder, model, "new.csv", "--proba")
    assert header == [f"p({c})" for c in sorted(set(result["label"].tolist()))]
    assert_close(result["probabilities"], np.array(values, float), 1e-12)
    single = fastmlp_cli("export", model, "--onnx", "single.onnx", "--dtype", "float32",
                         cwd=cli_folder)
    assert single.returncode == 0, single.stderr
    result32 = run_feeds(onnx.load(str(cli_folder / "single.onnx")), feeds)
    assert result32["probabilities"].dtype == np.float32
    assert_close(result32["probabilities"], np.array(values, float), RTOL["float32"])


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory):
    """A table with a string column, integer codes, empty cells and an "NA" in both kinds of
    column; and new rows with a missing numeric cell, a missing categorical cell, a NaN
    spelling and categories never seen in training."""
    path = tmp_path_factory.mktemp("onnx_mixed")
    rng = np.random.default_rng(1)
    n = 240
    size = rng.normal(size=n) * 40 + 120
    weight = rng.gamma(2.0, 3.0, size=n)
    colour = rng.choice(["red", "green", "blue", "dark grey"], n)
    code = rng.integers(1, 4, size=n)
    score = (size - 120) / 40 + (colour == "red") - (colour == "blue") + 0.3 * (code == 2)
    kind = np.array(["small", "medium", "large"])[np.digitize(score, [-0.5, 0.6])]
    price = 2.5 * size + 30 * (colour == "green") - 7 * code + rng.normal(size=n)
    rows = []
    for i in range(n):
        rows.append([round(size[i], 3), round(weight[i], 3), colour[i], code[i], kind[i],
                     round(price[i], 3)])
        if i % 11 == 0:
            rows[-1][0] = ""
        if i % 13 == 0:
            rows[-1][2] = ""
        if i % 17 == 0:
            rows[-1][1] = "NA"
        if i % 19 == 0:
            rows[-1][2] = "NA"
    with open(path / "table.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["size", "weight", "colour", "code", "kind", "price"])
        writer.writerows(rows)
    new = [[101.5, 4.25, "red", 1], ["", 7.0, "green", 2], [150.0, "", "", 3],
           [80.0, 2.5, "purple", 2], [130.0, 12.0, "blue", 7], [95.0, "NA", "NA", 1],
           [200.0, 1.0, "nan", 3], [60.0, 9.0, "dark grey", 2], ["", "", "", 1]]
    with open(path / "new.csv", "w", newline="") as f:  # columns in another order, one more
        writer = csv.writer(f)
        writer.writerow(["code", "colour", "note", "weight", "size"])
        writer.writerows([[c, col, "x", w, s] for s, w, col, c in new])
    return path


@pytest.mark.parametrize("target,extra", [
    ("kind", ["--missing-indicator"]), ("kind", ["--categorical", "code"]),
    ("price", ["--task", "regression", "--missing-indicator", "--categorical", "code"])])
def test_cli_export_of_categories_and_missing_cells(mixed_folder, target, extra):
    """The graph takes the raw columns -- strings, empty cells, unseen categories -- and
    answers what ``fastmlp predict`` answers, to 1e-12 in float64."""
    other = "price" if target == "kind" else "kind"
    name = f"{target}{len(extra)}"
    trained = fastmlp_cli("train", "table.csv", "--target", target, "--ignore", other,
                          "--hidden", "10", "--epochs", "30", "--out", f"{name}.npz",
                          "--quiet", *extra, cwd=mixed_folder)
    assert trained.returncode == 0, trained.stderr
    exported = fastmlp_cli("export", f"{name}.npz", "--onnx", f"{name}.onnx",
                           cwd=mixed_folder)
    assert exported.returncode == 0, exported.stderr
    graph = onnx.load(str(mixed_folder / f"{name}.onnx"))
    onnx.checker.check_model(graph, full_check=True)
    kinds = {i.name: i.type.tensor_type.elem_type for i in graph.graph.input}
    forced = "--categorical" in extra
    assert kinds == {"size": onnx.TensorProto.DOUBLE, "weight": onnx.TensorProto.DOUBLE,
                     "colour": onnx.TensorProto.STRING,
                     "code": onnx.TensorProto.STRING if forced else onnx.TensorProto.DOUBLE}
    assert "Categorical columns as tensor(string)" in graph.graph.doc_string
    prep = json.loads(next(p.value for p in graph.metadata_props
                           if p.key == "fastmlp.preprocessing"))
    assert ("size" in prep["indicators"]) == ("--missing-indicator" in extra)
    feeds = columns_of(graph, mixed_folder / "new.csv")
    assert np.isnan(feeds["size"][1, 0]) and np.isnan(feeds["weight"][2, 0])
    result = run_feeds(graph, feeds)
    header, want = predicted_by_cli(mixed_folder, f"{name}.npz", "new.csv")
    if target == "price":
        assert_close(result["prediction"], np.array(want, float)[:, 0], 1e-12)
        # each cell's treatment matters: a missing colour is not "purple" (zeros)
        assert len(set(np.round(result["prediction"], 6).tolist())) == len(want)
        return
    assert [str(v) for v in result["label"].tolist()] == [row[0] for row in want]
    header, values = predicted_by_cli(mixed_folder, f"{name}.npz", "new.csv", "--proba")
    assert header == [f"p({c})" for c in ("large", "medium", "small")]
    assert_close(result["probabilities"], np.array(values, float), 1e-12)
    assert len({tuple(np.round(p, 9)) for p in result["probabilities"]}) == len(values)


def test_cli_export_of_a_first_format_file_is_unchanged(tmp_path):
    """A model file of the first command-line format (x_mean / x_scale / features) exports
    as it always did: one input X of the feature columns, standardized in the graph."""
    net = fastmlp.MLP((3, 5, 1), "tanh", "identity", seed=0, init_scale=1.0)
    net.metadata = {"format": "fastmlp-cli-1", "features": ["a", "b", "c"], "task":
                    "regression", "target": "y", "x_mean": [1.0, -20.0, 300.0],
                    "x_scale": [2.0, 10.0, 50.0], "y_mean": 4.5, "y_scale": 3.0}
    net.save(tmp_path / "old.npz")
    X = np.random.default_rng(0).normal(size=(25, 3)) * [2, 10, 50] + [1, -20, 300]
    with open(tmp_path / "rows.csv", "w", newline="") as f:
        csv.writer(f).writerows([["a", "b", "c"], *X.tolist()])
    exported = fastmlp_cli("export", "old.npz", "--onnx", "old.onnx", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    graph = onnx.load(str(tmp_path / "old.onnx"))
    assert [i.name for i in graph.graph.input] == ["X"]
    _, want = predicted_by_cli(tmp_path, "old.npz", "rows.csv")
    assert_close(run(graph, X)["prediction"], np.array(want, float)[:, 0], 1e-12)
    want_here = (net.predict((X - [1, -20, 300]) / [2, 10, 50])[:, 0] * 3 + 4.5)
    assert_close(run(graph, X)["prediction"], want_here, 1e-12)


@pytest.mark.parametrize("opset", [13, 17, 21])
@pytest.mark.parametrize("kinds", ["both", "text only", "numbers only"])
def test_table_model_export_for_every_opset_odd_names_and_one_kind_of_column(opset, kinds):
    """Column names with blanks, '=', non-ASCII letters; categories with blanks and a '?'
    that is not a marker; only string or only numeric columns; the oldest opset."""
    from fastmlp.export import cli_model_to_onnx
    from fastmlp.table_model import TableModel

    rng = np.random.default_rng(opset)
    numbers = rng.normal(size=90) * 5 + 50
    texts = rng.choice(["a b", "\u00e7a", "?x", "NA"], 90)  # "NA": missing
    numbers[::7] = np.nan
    columns = {"größe (cm)": numbers, "colour = x": texts}
    if kinds != "both":
        del columns["größe (cm)" if kinds == "text only" else "colour = x"]
    y = rng.choice(["p", "q", "r"], 90)
    model, X, Y = TableModel.build(columns, y, hidden=(4,), missing_indicator=True, seed=1)
    model.net.fit(X, Y, optimizer="adam", learning_rate=0.05, epochs=3, seed=0)
    model.net.metadata = model.metadata()
    for dtype in ("float64", "float32"):
        graph = cli_model_to_onnx(model.net, dtype=dtype, opset=opset)
        onnx.checker.check_model(graph, full_check=True)
        assert graph.opset_import[0].version == opset
        feeds = {name: (np.asarray(v, object) if name == "colour = x" else v).reshape(-1, 1)
                 for name, v in columns.items()}
        result = run_feeds(graph, feeds)
        assert result["label"].tolist() == model.predict(columns).tolist()
        assert_close(result["probabilities"], model.predict_proba(columns), RTOL[dtype])


def test_cli_export_refuses_damaged_metadata_and_a_column_named_like_an_output(tmp_path):
    from fastmlp.export import cli_model_to_onnx
    from fastmlp.preprocessing import Preprocessor
    from fastmlp.table_model import TableModel

    columns = {"label": np.array([1.0, 2.0, 3.0, 4.0]), "b": np.array(["u", "v", "u", "v"])}
    model, X, y = TableModel.build(columns, np.array([0, 1, 0, 1]), hidden=(3,))
    model.net.metadata = model.metadata()
    with pytest.raises(ValueError, match="feature column 'label' has the name of one of"):
        cli_model_to_onnx(model.net)
    renamed = {"a": columns["label"], "b": columns["b"]}
    model, X, y = TableModel.build(renamed, np.array([0, 1, 0, 1]), hidden=(3,))
    assert isinstance(model.preprocessor, Preprocessor)
    model.net.metadata = model.metadata()
    assert [i.name for i in cli_model_to_onnx(model.net).graph.input] == ["a", "b"]
    model.net.metadata["preprocessing"]["scale"] = [0.0]
    with pytest.raises(ValueError, match="cannot export this model: .*scale"):
        cli_model_to_onnx(model.net, tmp_path / "m.onnx")
    del model.net.metadata["preprocessing"]
    with pytest.raises(ValueError, match="lacks 'preprocessing'"):
        cli_model_to_onnx(model.net, tmp_path / "m.onnx")
    assert os.listdir(tmp_path) == []


def test_cli_export_errors(tmp_path):
    plain = tmp_path / "plain.npz"
    fastmlp.MLP((3, 2), seed=0).save(plain)
    refused = fastmlp_cli("export", plain, "--onnx", "plain.onnx", cwd=tmp_path)
    assert refused.returncode == 2
    assert "not by 'fastmlp train'" in refused.stderr and "MLP.to_onnx" in refused.stderr
    missing = fastmlp_cli("export", "none.npz", "--onnx", "x.onnx", cwd=tmp_path)
    assert missing.returncode == 2 and "none.npz" in missing.stderr
    with open(tmp_path / "small.csv", "w", newline="") as f:
        csv.writer(f).writerows([["a", "b", "y"], *([i, i % 3, i % 2] for i in range(20))])
    trained = fastmlp_cli("train", "small.csv", "--target", "y", "--epochs", "2", "--out",
                          "small.npz", "--quiet", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    nowhere = fastmlp_cli("export", "small.npz", "--onnx", "no/m.onnx", cwd=tmp_path)
    assert nowhere.returncode == 2
    assert "cannot write 'no/m.onnx'" in nowhere.stderr and "does not exist" in nowhere.stderr
    assert sorted(os.listdir(tmp_path)) == ["plain.npz", "small.csv", "small.npz"]
