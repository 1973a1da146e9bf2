"""The command line, driven in subprocesses on files the tests write."""

import csv
import os
import subprocess
import sys

import numpy as np
import pytest

import fastmlp as package


def fastmlp(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "fastmlp", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env=None if env is None else {**os.environ, **env})


def error_line(run) -> str:
    """The one error line of a failed run (asserting there is exactly one, no traceback,
    exit status 2)."""
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    errors = [line for line in run.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, run.stderr
    return errors[0]


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
    assert "columns the model expects (3, by name, in any order; 3 network inputs)" in \
        info.stdout
    for name in ("sepal", "petal", "stem"):
        assert f"  {name}: numeric, standardized" in info.stdout


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




@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """scikit-learn's bundled tables written as CSV files, the way users meet them: diabetes
    with its whole-number target ('progression', 25 to 346), 'sex' as words, empty and 'NA'
    cells; breast cancer with a constant column added; and broken files."""
    datasets = pytest.importorskip("sklearn.datasets")
    path = tmp_path_factory.mktemp("tables")
    rng = np.random.default_rng(0)
    diabetes = datasets.load_diabetes(scaled=False)
    X, y = diabetes.data, diabetes.target.astype(int)
    names = list(diabetes.feature_names)
    sex = names.index("sex")
    rows = [[f"{v:g}" for v in x] + [str(t)] for x, t in zip(X, y)]
    for row in rows:
        row[sex] = "female" if row[sex] == "1" else "male"
    for i in rng.choice(len(rows), 30, replace=False):
        rows[i][names.index("bmi")] = ""
    for i in rng.choice(len(rows), 15, replace=False):
        rows[i][sex] = "NA"
    header = names + ["progression"]
    write_csv(path / "diabetes.csv", header, rows[:380])
    # new rows: columns in another order, one more column, a category never seen
    new = [row[:] for row in rows[380:]]
    new[0][sex] = "other"
    order = list(reversed(range(len(names))))
    write_csv(path / "diabetes_new.csv", ["id"] + [names[j] for j in order] + ["progression"],
              [[f"n{i}"] + [row[j] for j in order] + [row[-1]] for i, row in enumerate(new)])

    cancer = datasets.load_breast_cancer()
    header = [n.replace(" ", "_") for n in cancer.feature_names] + ["constant", "diagnosis"]
    write_csv(path / "cancer.csv", header,
              [[f"{v:g}" for v in x] + ["7", cancer.target_names[t]]
               for x, t in zip(cancer.data, cancer.target)])

    write_csv(path / "labels.csv", header,
              [[f"{v:g}" for v in cancer.data[i]] + ["7", label]
               for i, label in enumerate(["benign", "benignn", "maybe", "malignant"])])
    (path / "huge.csv").write_text("a,b,y\n1," + "x" * 200_000 + ",1\n2,3,0\n")
    (path / "binary.csv").write_bytes(bytes(range(256)) * 8)
    (path / "latin1.csv").write_bytes("a,b,y\n1,2,caf\xe9\n3,4,no\n".encode("latin-1"))
    (path / "stray.csv").write_text("a,b,y\n" + "".join(f"{i},{i % 7},{i % 2}\n"
                                                         for i in range(60))
                                    + "unknown,1,0\n")
    return path


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def test_a_table_with_categories_empty_cells_and_a_whole_number_target(tables):
    """The issue's transcript: train / predict / evaluate / info on the diabetes table."""
    trained = fastmlp("train", "diabetes.csv", "--target", "progression", "--out", "d.npz",
                      "--quiet", cwd=tables)
    assert trained.returncode == 0, trained.stderr
    out = trained.stdout
    assert "task: regression, guessed from the target 'progression': it holds" in out
    assert "too many for classes" in out
    assert "9 numeric and 1 categorical column(s) -> 11 network inputs" in out
    assert "missing cells imputed in sex, bmi" in out or "imputed in bmi, sex" in out
    assert "time: " in out and "s training, " in out and " s compiling or loading" in out
    assert float(out.split("r2 ")[1].split()[0]) > 0.3  # held out, in the target's units

    predicted = fastmlp("predict", "d.npz", "diabetes_new.csv", cwd=tables)
    assert predicted.returncode == 0, predicted.stderr
    assert "column 'sex': 1 row(s) hold categories not seen in training ('other')" in \
        predicted.stderr
    lines = predicted.stdout.splitlines()
    assert lines[0] == "predicted progression" and len(lines) == 1 + 442 - 380
    from fastmlp.table_model import TableModel

    with open(tables / "diabetes_new.csv") as f:
        reader = csv.reader(f)
        header = next(reader)
        cells = list(reader)
    columns = {name: np.array([row[j] for row in cells], dtype=object)
               for j, name in enumerate(header)}
    with pytest.warns(UserWarning, match="not seen in training"):
        expected = TableModel.load(tables / "d.npz").predict(columns)
    np.testing.assert_allclose([float(v) for v in lines[1:]], expected, rtol=1e-12)
    assert 25 < np.mean(expected) < 346

    evaluated = fastmlp("evaluate", "d.npz", "diabetes_new.csv", cwd=tables)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "target 'progression'" in evaluated.stdout
    assert float(evaluated.stdout.split("r2 ")[1]) > 0.3

    info = fastmlp("info", "d.npz", cwd=tables)
    assert info.returncode == 0, info.stderr
    assert "task: regression, target: 'progression'" in info.stdout
    assert "sex: categorical, one-hot over 2 categories (female, male)" in info.stdout
    assert "bmi: numeric, standardized" in info.stdout

    classified = fastmlp("train", "diabetes.csv", "--target", "progression", "--task",
                         "classification", "--epochs", "1", "--out", "c.npz", "--quiet",
                         "--validation-fraction", "0", cwd=tables)
    assert classified.returncode == 0, classified.stderr
    assert "task:" not in classified.stdout and "classes (" in classified.stdout


def test_a_constant_column_is_kept_and_named(tables):
    run = fastmlp("train", "cancer.csv", "--target", "diagnosis", "--epochs", "30", "--out",
                  "cancer.npz", "--quiet", cwd=tables)
    assert run.returncode == 0, run.stderr
    assert "note: constant in the training rows, carrying no information: constant" in \
        run.stdout
    assert "2 classes (benign, malignant)" in run.stdout
    assert float(run.stdout.split("accuracy ")[1].split()[0]) > 0.9
    assert "warning" not in run.stderr.lower()


def test_a_diverging_fit_is_one_line_with_advice_the_command_line_takes(tables):
    args = ["train", "diabetes.csv", "--target", "progression", "--out", "x.npz", "--quiet",
            "--optimizer", "sgd", "--learning-rate", "5"]
    line = error_line(fastmlp(*args, cwd=tables))
    assert "training diverged in epoch" in line and "nothing was saved" in line
    assert "--learning-rate (it was 5)" in line and "--clip-norm" in line
    assert not (tables / "x.npz").exists()
    clipped = fastmlp(*args, "--learning-rate", "0.05", "--clip-norm", "1", cwd=tables)
    assert clipped.returncode == 0, clipped.stderr


@pytest.mark.parametrize("args, message", [
    (["evaluate", "cancer.npz", "labels.csv"],
     "labels.csv, column 'diagnosis': the target holds 2 label(s) the model does not know "
     "('benignn', 'maybe'); its classes are benign, malignant"),
    (["evaluate", "cancer.npz", "cancer.csv", "--target", "mean_radius"],
     "--target 'mean_radius' is one of the model's input columns; it predicts 'diagnosis'"),
    (["predict", "cancer.npz", "diabetes.csv"],
     "diabetes.csv: missing the column(s) 'mean_radius'"),
    (["train", "huge.csv", "--target", "y", "--out", "x.npz"],
     "huge.csv, line 2: a cell longer than 131072 characters"),
    (["train", "binary.csv", "--target", "y", "--out", "x.npz"],
     "binary.csv: not a CSV/TSV text file"),
    (["train", "latin1.csv", "--target", "y", "--out", "x.npz"],
     "latin1.csv: not utf-8 text (byte 0xe9"),
    (["train", "stray.csv", "--target", "y", "--out", "x.npz"],
     "stray.csv, line 62: column 'a' holds numbers but also 'unknown'"),
    (["train", "cancer.csv", "--target", "diagnosis", "--out", "x.npz", "--threads", "0"],
     "--threads must be at least 1"),
    (["train", "cancer.csv", "--target", "diagnosis", "--out", "x.npz", "--ignore", "radius"],
     "cancer.csv: no column 'radius' to ignore"),
    (["train", "cancer.csv", "--target", "diagnosis", "--out", "no/such/dir/x.npz"],
     "not a file in an existing folder"),
])
def test_bad_tables_and_models_are_one_line_naming_the_file(tables, args, message):
    if args[1] == "cancer.npz" and not (tables / "cancer.npz").exists():
        trained = fastmlp("train", "cancer.csv", "--target", "diagnosis", "--epochs", "2",
                          "--out", "cancer.npz", "--quiet", cwd=tables)
        assert trained.returncode == 0, trained.stderr
    assert message in error_line(fastmlp(*args, cwd=tables))


def test_stray_strings_are_accepted_once_declared(tables):
    run = fastmlp("train", "stray.csv", "--target", "y", "--out", "s.npz", "--quiet",
                  "--epochs", "2", "--missing-values", "unknown", cwd=tables)
    assert run.returncode == 0, run.stderr
    assert "missing cells imputed in a" in run.stdout


def test_damaged_and_foreign_model_files(tables):
    import fastmlp as fm

    net = fm.MLP((2, 1))
    net.save(tables / "plain.npz")
    assert "plain.npz: saved by MLP.save, not by 'fastmlp train'" in error_line(
        fastmlp("info", "plain.npz", cwd=tables))
    trained = fastmlp("train", "stray.csv", "--target", "y", "--out", "ok.npz", "--quiet",
                      "--epochs", "1", "--categorical", "a", cwd=tables)
    assert trained.returncode == 0, trained.stderr
    net = fm.MLP.load(tables / "ok.npz")
    del net.metadata["preprocessing"]["mean"]
    net.save(tables / "damaged.npz")
    for command in (["info", "damaged.npz"], ["predict", "damaged.npz", "stray.csv"],
                    ["evaluate", "damaged.npz", "stray.csv"]):
        assert "damaged.npz: its table metadata is damaged: the preprocessing lacks mean" in \
            error_line(fastmlp(*command, cwd=tables))
    assert "stray.csv' is not a file written by MLP.save" in error_line(
        fastmlp("info", "stray.csv", cwd=tables))


@pytest.mark.parametrize("args, message", [
    (["train", "flowers.csv", "--target", "colour", "--out", "x.npz"], "no column 'colour'"),
    (["train", "missing.csv", "--target", "y", "--out", "x.npz"], "missing.csv: no such file"),
    (["train", "flowers.csv", "--target", "species", "--hidden", "8,x", "--out", "x.npz"],
     "--hidden must be comma-separated integers"),
    (["train", "flowers.csv", "--target", "species", "--epochs", "0", "--out", "x.npz"],
     "--epochs must be at least 1"),
    (["train", "flowers.csv", "--target", "specie", "--out", "x.npz"],
     "no column 'specie'; did you mean 'species'?"),
    (["predict", "absent.npz", "flowers.csv"], "absent.npz: no such file"),
    (["predict", "flowers.csv", "flowers.csv"], "is not a file written by MLP.save"),
    (["warmup", "--dtypes", "float16"], "--dtypes takes float32 and/or float64"),
    (["warmup", "--layers", "3,x,2"], "--layers takes layer sizes such as 3,4,2, got '3,x,2'"),
    (["warmup", "--layers", "3"], "--layers takes layer sizes such as 3,4,2, got '3'"),
    (["warmup", "--jobs", "0"], "--jobs takes a positive number of processes, got 0"),
])
def test_bad_input_is_one_line_and_exit_status_2(folder, args, message):
    assert message in error_line(fastmlp(*args, cwd=folder))


def run_in_process(capsys, *args):
    """``main(args)`` in this process (the parser alone needs no subprocess): the exit
    status, stdout and stderr."""
    from fastmlp.cli import main

    try:
        status = main(list(args))
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("args, usage, message", [
    (["train", "flowers.csv", "--target", "species", "--out", "x.npz", "--hiden", "16"],
     "usage: fastmlp train", "unrecognized arguments: --hiden 16 (did you mean --hidden?)"),
    (["train", "flowers.csv", "--target", "species", "--out", "x.npz", "--epoch", "20"],
     "usage: fastmlp train", "unrecognized arguments: --epoch 20 (did you mean --epochs?)"),
    (["train", "flowers.csv", "--target", "species", "--out", "x.npz", "--activation",
      "bogus"], "usage: fastmlp train", "invalid choice: 'bogus'"),
    (["predict", "m.npz", "flowers.csv", "--prob"], "usage: fastmlp predict",
     "(did you mean --proba?)"),
    (["trian", "flowers.csv"], "usage: fastmlp [-h]", "unknown command 'trian'; did you mean "
                                                      "'train'?"),
])
def test_parser_errors_show_the_commands_usage(capsys, args, usage, message):
    status, _, err = run_in_process(capsys, *args)
    assert status == 2 and err.startswith(usage)
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], err


def test_help_and_version(capsys):
    status, out, _ = run_in_process(capsys, "--help")
    assert status == 0
    for command in ("train", "predict", "evaluate", "info", "demo", "bench", "warmup"):
        assert command in out
    assert "``" not in out  # no raw RST markup
    status, out, _ = run_in_process(capsys, "--version")
    assert status == 0 and out.strip() == f"fastmlp {package.__version__}"
    status, out, _ = run_in_process(capsys, "train", "--help")
    assert status == 0
    text = " ".join(out.split())
    for phrase in ("(default: 100)", "(default: 32)", "(default: adam)", "(default: tanh)",
                   "{tanh,relu,leaky_relu,elu,sigmoid,arctan,softsign,identity}",
                   "standardized", "The task is guessed from the target", "--task",
                   "one-hot", "--clip-norm", "--threads"):
        assert phrase in text, phrase


@pytest.mark.parametrize("command", ["demo", "bench", "train", "predict", "evaluate", "info",
                                     "warmup"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_every_command_has_help(capsys, command, flag):
    status, out, err = run_in_process(capsys, command, flag)
    assert status == 0 and "usage:" in out, err


def test_the_console_script_runs_in_a_subprocess(folder):
    run = fastmlp("demo", "--help", cwd=folder)
    assert run.returncode == 0 and "usage: fastmlp demo" in run.stdout


def test_the_package_ships_its_type_information():
    from importlib import resources

    assert resources.files("fastmlp").joinpath("py.typed").is_file()


def test_the_citation_file_names_this_version():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "CITATION.cff").read_text()
    versions = [line.split(":", 1)[1].strip() for line in text.splitlines()
                if line.startswith("version:")]
    assert versions == [package.__version__]
    assert "cff-version: 1.2.0" in text and "license: BSD-3-Clause" in text
