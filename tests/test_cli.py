"""The command line, driven in subprocesses on files the tests write."""

import csv
import subprocess
import sys

import numpy as np
import pytest


def fastmlp(*args, cwd):
    return subprocess.run([sys.executable, "-m", "fastmlp", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A CSV with string labels and unscaled features, and one for regression."""
    path = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 3)) * [1, 10, 100] + [0, 50, -300]
    z = (X - X.mean(0)) / X.std(0)
    species = np.array(["setosa", "versicolor", "virginica"])[np.argmax(z @ [[1, -1, 0],
                                                                           [0, 1, -1],
                                                                           [-1, 0, 1]], 1)]
    with open(path / "flowers.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["sepal", "petal", "stem", "species"])
        writer.writerows([*np.round(x, 5), s] for x, s in zip(X, species))
    with open(path / "houses.tsv", "w", newline="") as f:
        writer = csv.writer(f, delimiter="\t")
        writer.writerow(["rooms", "area", "price"])
        writer.writerows([r, a, 3 * r + 0.01 * a + 0.5] for r, a in zip(X[:, 0], X[:, 2]))
    np.savez(path / "arrays.npz", X=z, y=(z[:, 0] > 0).astype(int))
    return path


def test_train_predict_evaluate_info_on_string_labels(folder):
    trained = fastmlp("train", "flowers.csv", "--target", "species", "--hidden", "16",
                      "--epochs", "80", "--out", "flowers.npz", "--quiet", cwd=folder)
    assert trained.returncode == 0, trained.stderr
    assert "3 classes (setosa, versicolor, virginica)" in trained.stdout
    accuracy = float(trained.stdout.split("accuracy ")[1].split()[0])
    assert accuracy > 0.85  # held-out rows, inputs standardized from the training rows

    predicted = fastmlp("predict", "flowers.npz", "flowers.csv", cwd=folder)
    assert predicted.returncode == 0, predicted.stderr
    lines = predicted.stdout.strip().splitlines()
    assert lines[0] == "predicted species" and len(lines) == 241
    assert set(lines[1:]) <= {"setosa", "versicolor", "virginica"}

    proba = fastmlp("predict", "flowers.npz", "flowers.csv", "--proba", "--out", "p.csv",
                    cwd=folder)
    assert proba.returncode == 0
    table = np.loadtxt(folder / "p.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(table.sum(axis=1), 1.0, rtol=1e-9)
    assert (folder / "p.csv").read_text().splitlines()[0] == ("p(setosa),p(versicolor),"
                                                              "p(virginica)")

    evaluated = fastmlp("evaluate", "flowers.npz", "flowers.csv", "--target", "species",
                        cwd=folder)
    assert evaluated.returncode == 0, evaluated.stderr
    for word in ("confusion matrix", "precision", "recall", "specificity", "f1_score",
                 "accuracy"):
        assert word in evaluated.stdout

    info = fastmlp("info", "flowers.npz", cwd=folder)
    assert "classes: setosa, versicolor, virginica" in info.stdout
    assert "features (3): sepal, petal, stem" in info.stdout


def test_regression_on_a_tsv_and_arrays_from_npz(folder):
    trained = fastmlp("train", "houses.tsv", "--target", "price", "--epochs", "150",
                      "--out", "houses.npz", "--quiet", "--learning-rate", "0.01", cwd=folder)
    assert trained.returncode == 0, trained.stderr
    assert "regression" in trained.stdout
    evaluated = fastmlp("evaluate", "houses.npz", "houses.tsv", "--target", "price",
                        cwd=folder)
    r2 = float(evaluated.stdout.split("r2 ")[1])
    assert r2 > 0.9
    npz = fastmlp("train", "arrays.npz", "--target", "y", "--epochs", "30", "--out", "a.npz",
                  "--quiet", cwd=folder)
    assert npz.returncode == 0 and "2 classes (0, 1)" in npz.stdout


@pytest.mark.parametrize("args, message", [
    (["train", "flowers.csv", "--target", "colour", "--out", "x.npz"], "no column 'colour'"),
    (["train", "missing.csv", "--target", "y", "--out", "x.npz"], "missing.csv: no such file"),
    (["train", "flowers.csv", "--target", "species", "--hidden", "8,x", "--out", "x.npz"],
     "--hidden must be comma-separated integers"),
    (["train", "flowers.csv", "--target", "sepal", "--out", "x.npz"],
     "column 'species' holds 'virginica', not a number"),
    (["train", "flowers.csv", "--target", "species", "--epochs", "0", "--out", "x.npz"],
     "epochs must be a positive integer"),
    (["train", "flowers.csv", "--target", "species", "--activation", "bogus", "--out",
      "x.npz"], "unknown activation 'bogus'"),
    (["predict", "absent.npz", "flowers.csv"], "No such file"),
    (["predict", "flowers.csv", "flowers.csv"], "is not a file written by MLP.save"),
    (["warmup", "--dtypes", "float16"], "--dtypes takes float32 and/or float64"),
    (["warmup", "--layers", "3,x,2"], "--layers takes layer sizes such as 3,4,2, got '3,x,2'"),
    (["warmup", "--layers", "3"], "--layers takes layer sizes such as 3,4,2, got '3'"),
])
def test_bad_input_is_one_line_and_exit_status_2(folder, args, message):
    run = fastmlp(*args, cwd=folder)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], run.stderr


def test_a_text_column_among_the_features_is_named(folder):
    (folder / "bad.csv").write_text("a,b,y\n1,2,x\n3,red,y\n")
    run = fastmlp("train", "bad.csv", "--target", "y", "--out", "x.npz", cwd=folder)
    assert run.returncode == 2
    assert "line 3, column 'b' holds 'red', not a number" in run.stderr


def test_help_and_commands(folder):
    run = fastmlp("--help", cwd=folder)
    assert run.returncode == 0
    for command in ("train", "predict", "evaluate", "info", "demo", "bench", "warmup"):
        assert command in run.stdout
    assert "``" not in run.stdout  # no raw RST markup


def test_the_package_ships_its_type_information():
    from importlib import resources

    assert resources.files("fastmlp").joinpath("py.typed").is_file()
