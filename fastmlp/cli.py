"""The command line: ``fastmlp`` (installed as a console script) and ``python -m fastmlp``.

    fastmlp train DATA --target COL --out MODEL [options]
    fastmlp predict MODEL DATA [--out FILE] [--proba]
    fastmlp evaluate MODEL DATA --target COL
    fastmlp info MODEL
    fastmlp export MODEL --onnx OUT.onnx
    fastmlp demo | bench | warmup

DATA is a CSV or TSV file with a header row, an ``.npz`` file with arrays X and y, or an
``.npy`` file of features (with ``--target`` naming the ``.npy`` file of targets). Errors
print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time

import numpy as np

from .tabular import TableError, read_table

#: The model file's metadata key that marks a model written by ``fastmlp train``.
CLI_FORMAT = "fastmlp-cli-1"


class CommandError(Exception):
    """A user error: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastmlp", description="Train and use multilayer perceptrons on your own data.",
        epilog="With no command, runs the digits demo. 'fastmlp COMMAND --help' for details.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser("train", help="train a network on a CSV / TSV / .npz file",
                                description="Train a network on DATA and save it to --out.")
    train.add_argument("data", metavar="DATA")
    train.add_argument("--target", required=True, metavar="COL",
                       help="the column to predict (for .npy data: the .npy file of targets)")
    train.add_argument("--out", required=True, metavar="MODEL", help="where to save the model")
    train.add_argument("--task", choices=["auto", "classification", "regression"],
                       default="auto", help="default: classification when the target holds "
                       "labels (strings or integers), regression otherwise")
    train.add_argument("--hidden", default="32", metavar="N[,N...]",
                       help="hidden layer sizes, comma-separated (default 32; 0 for none)")
    train.add_argument("--activation", default="tanh", help="hidden activation (default tanh)")
    train.add_argument("--optimizer", default="adam",
                       choices=["sgd", "momentum", "nesterov", "adam"])
    train.add_argument("--epochs", type=int, default=100)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--learning-rate", type=float, default=None,
                       help="default 0.001 for adam, 0.05 otherwise")
    train.add_argument("--validation-fraction", type=float, default=0.2,
                       help="rows held out to report (and with --early-stopping, to stop "
                       "on) the validation loss; 0 for none (default 0.2)")
    train.add_argument("--early-stopping", action="store_true",
                       help="stop when the validation loss stalls; keep the best epoch")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--plot", metavar="FILE.png",
                       help="save the loss curve (needs matplotlib)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=run_train)

    predict = commands.add_parser("predict", help="predict with a trained model",
                                  description="Predict the target for each row of DATA.")
    predict.add_argument("model", metavar="MODEL")
    predict.add_argument("data", metavar="DATA")
    predict.add_argument("--out", metavar="FILE", help="CSV file to write (default: stdout)")
    predict.add_argument("--proba", action="store_true",
                         help="write each class's probability instead of the class")
    predict.set_defaults(run=run_predict)

    evaluate = commands.add_parser("evaluate", help="score a trained model on labelled data",
                                   description="Confusion matrix and the notes' metrics "
                                   "(classification) or MSE and R^2 (regression).")
    evaluate.add_argument("model", metavar="MODEL")
    evaluate.add_argument("data", metavar="DATA")
    evaluate.add_argument("--target", required=True, metavar="COL")
    evaluate.set_defaults(run=run_evaluate)

    info = commands.add_parser("info", help="describe a saved model")
    info.add_argument("model", metavar="MODEL")
    info.set_defaults(run=run_info)

    _add_export_parser(commands)

    demo = commands.add_parser("demo", help="train on the shipped digits (the default)",
                               add_help=False)
    demo.add_argument("args", nargs=argparse.REMAINDER)
    demo.set_defaults(run=run_demo)
    bench = commands.add_parser("bench", help="the benchmark sweep", add_help=False)
    bench.add_argument("args", nargs=argparse.REMAINDER)
    bench.set_defaults(run=run_bench)
    warm = commands.add_parser("warmup", help="compile every kernel ahead of time")
    warm.add_argument("--dtypes", default="float64,float32")
    warm.add_argument("--layers", action="append", default=[], metavar="SIZES",
                      help="also compile the per-sample kernels specialized on these layer "
                           "sizes, e.g. 3,4,2 (repeatable)")
    warm.set_defaults(run=run_warmup)
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    if not argv:
        argv = ["demo"]
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.run(args) or 0
    except (CommandError, TableError) as error:
        print(f"fastmlp {args.command}: error: {error}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError) as error:  # from fastmlp's own checks
        print(f"fastmlp {args.command}: error: {error}", file=sys.stderr)
        return 2


# ---------------------------------------------------------------------------- train

def _hidden_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CommandError(f"--hidden must be comma-separated integers, got {text!r}") from None
    if sizes == [0]:
        return []
    if not sizes or min(sizes) < 1:
        raise CommandError(f"--hidden must be positive integers (or 0 for none), got {text!r}")
    return sizes


def _task(target: np.ndarray, requested: str) -> str:
    if requested != "auto":
        return requested
    try:
        values = target.astype(np.float64)
    except ValueError:
        return "classification"  # labels that are not numbers
    return "classification" if np.all(values == np.round(values)) else "regression"


def run_train(args) -> int:
    import fastmlp
    from fastmlp.model_selection import holdout_split

    table = read_table(args.data, target=args.target)
    target = _target_of(table)
    hidden = _hidden_sizes(args.hidden)
    if not 0 <= args.validation_fraction < 1:
        raise CommandError(f"--validation-fraction must be in [0, 1), got "
                           f"{args.validation_fraction}")
    if args.early_stopping and args.validation_fraction == 0:
        raise CommandError("--early-stopping needs a --validation-fraction above 0")
    task = _task(target, args.task)
    X, n = table.X, table.X.shape[0]
    if task == "classification":
        labels = target
        try:  # integer labels read from a text file: keep them as integers
            numeric = labels.astype(np.float64)
            if np.all(numeric == np.round(numeric)):
                labels = numeric.astype(np.int64)
        except ValueError:
            pass
        classes = np.unique(labels)
        if len(classes) < 2:
            raise CommandError(f"the target {args.target!r} holds a single class "
                               f"({classes[0]!r}); classification needs two or more")
        n_out = 1 if len(classes) == 2 else len(classes)
        output, loss = ("sigmoid", "binary_cross_entropy") if n_out == 1 else (
            "softmax", "cross_entropy")
        y = labels
        stratify = labels
    else:
        try:
            y = target.astype(np.float64)
        except ValueError:
            raise CommandError(f"the target {args.target!r} holds labels; use --task "
                               "classification") from None
        n_out, output, loss, stratify = 1, "identity", "mse", None
    train, held_out = np.arange(n), None
    if args.validation_fraction > 0:
        train, held_out = next(iter(holdout_split(n, test_size=args.validation_fraction,
                                                  stratify=stratify, seed=args.seed)))
    # the inputs' scaling is fitted on the training rows and saved with the model
    mean = X[train].mean(axis=0)
    scale = X[train].std(axis=0)
    scale[scale == 0] = 1.0
    Xs = (X - mean) / scale
    metadata = {"format": CLI_FORMAT, "features": table.names, "target": args.target,
                "task": task, "x_mean": mean.tolist(), "x_scale": scale.tolist()}
    if task == "regression":
        y_mean, y_scale = float(y[train].mean()), float(y[train].std() or 1.0)
        metadata.update(y_mean=y_mean, y_scale=y_scale)
        y = ((np.asarray(y) - y_mean) / y_scale).reshape(-1, 1)
    net = fastmlp.MLP((X.shape[1], *hidden, n_out), args.activation, output, loss,
                      seed=args.seed)
    if task == "classification":
        net.classes_ = classes
    net.metadata = metadata
    lr = args.learning_rate or (1e-3 if args.optimizer == "adam" else 0.05)
    validation = None if held_out is None else (Xs[held_out], y[held_out])
    began = time.perf_counter()
    history = net.fit(Xs[train], y[train], optimizer=args.optimizer, learning_rate=lr,
                      batch_size=args.batch_size, epochs=args.epochs, seed=args.seed,
                      validation_data=validation, early_stopping=args.early_stopping,
                      verbose=0 if args.quiet else 1)
    seconds = time.perf_counter() - began
    net.save(args.out)
    what = (f"{len(classes)} classes ({', '.join(map(str, classes[:6]))}"
            f"{', ...' if len(classes) > 6 else ''})" if task == "classification" else
            "regression")
    print(f"trained {net.layer_sizes} on {len(train)} rows x {X.shape[1]} features, {what}: "
          f"{history.epochs_run} epochs in {seconds:.1f} s ({history.stop_reason}), "
          f"loss {history.loss[-1]:.4g}")
    if held_out is not None:
        print(f"held-out rows ({len(held_out)}): " + _score_line(net, task, Xs[held_out],
                                                                  target[held_out], metadata))
    print(f"saved to {args.out}")
    if args.plot:
        _plot(history, args.plot)
    return 0


def _score_line(net, task, Xs, target, metadata) -> str:
    from . import metrics

    predicted = _predictions(net, task, Xs, metadata)
    if task == "classification":
        truth = _as_classes(target, net.classes_)
        return f"accuracy {metrics.accuracy(truth, predicted):.4f}"
    truth = target.astype(np.float64)
    return f"mse {metrics.mean_squared_error(truth, predicted):.4g}"


def _target_of(table) -> np.ndarray:
    if table.target is None:
        raise CommandError("the data has no target column")
    return table.target


def _plot(history, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CommandError("--plot needs matplotlib (pip install matplotlib)") from None
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(np.arange(1, len(history.loss) + 1), history.loss, label="training loss")
    if len(history.val_loss):
        ax.plot(np.arange(1, len(history.val_loss) + 1), history.val_loss,
                label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    print(f"loss curve saved to {path}")


# --------------------------------------------------------------- predict / evaluate

def _load_model(path: str):
    import fastmlp

    net = fastmlp.MLP.load(path)
    if net.metadata.get("format") != CLI_FORMAT:
        raise CommandError(f"{path} was saved by MLP.save, not by 'fastmlp train': it has "
                           "no feature names and input scaling to apply")
    return net


def _scaled(net, table) -> np.ndarray:
    meta = net.metadata
    return (table.X - np.asarray(meta["x_mean"])) / np.asarray(meta["x_scale"])


def _predictions(net, task, Xs, metadata) -> np.ndarray:
    if task == "classification":
        return net.predict_classes(Xs)
    return net.predict(Xs)[:, 0] * metadata["y_scale"] + metadata["y_mean"]


def _as_classes(target: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Target values read as text, converted to the classes' type (integers stay
    integers)."""
    if classes.dtype.kind in "iu":
        try:
            return target.astype(np.float64).astype(np.int64)
        except ValueError:
            raise CommandError("the target holds labels that are not the model's integer "
                               "classes") from None
    return target.astype(classes.dtype)


def run_predict(args) -> int:
    net = _load_model(args.model)
    meta = net.metadata
    table = read_table(args.data, features=meta["features"])
    Xs = _scaled(net, table)
    if args.proba:
        if meta["task"] != "classification":
            raise CommandError("--proba needs a classification model")
        header = [f"p({c})" for c in net.classes_]
        rows = net.predict_proba(Xs).tolist()
    else:
        header = [f"predicted {meta['target']}"]
        rows = [[v] for v in _predictions(net, meta["task"], Xs, meta).tolist()]
    if args.out is None:
        buffer = io.StringIO()
        _write_csv(buffer, header, rows)
        sys.stdout.write(buffer.getvalue())
    else:
        with open(args.out, "w", newline="") as f:
            _write_csv(f, header, rows)
        print(f"{len(rows)} predictions written to {args.out}", file=sys.stderr)
    return 0


def _write_csv(f, header, rows) -> None:
    writer = csv.writer(f)
    writer.writerow(header)
    writer.writerows(rows)


def run_evaluate(args) -> int:
    from . import metrics

    net = _load_model(args.model)
    meta = net.metadata
    table = read_table(args.data, target=args.target, features=meta["features"])
    Xs = _scaled(net, table)
    predicted = _predictions(net, meta["task"], Xs, meta)
    print(f"{len(predicted)} rows of {args.data}, target {args.target!r}")
    if meta["task"] == "classification":
        truth = _as_classes(_target_of(table), net.classes_)
        labels = list(net.classes_)
        matrix = metrics.confusion_matrix(truth, predicted, labels=labels)
        width = max(len(str(c)) for c in labels + ["actual"]) + 2
        print("confusion matrix (rows: actual, columns: predicted)")
        print(" " * width + "".join(f"{str(c):>{width}}" for c in labels))
        for label, row in zip(labels, np.asarray(matrix)):
            print(f"{str(label):>{width}}" + "".join(f"{v:>{width}}" for v in row))
        print(metrics.classification_report(truth, predicted, labels=labels))
    else:
        truth = _target_of(table).astype(np.float64)
        mse = metrics.mean_squared_error(truth, predicted)
        r2 = 1 - np.sum((truth - predicted) ** 2) / np.sum((truth - truth.mean()) ** 2)
        print(f"mse {mse:.6g}  rmse {np.sqrt(mse):.6g}  r2 {r2:.4f}")
    return 0


def run_info(args) -> int:
    import fastmlp

    net = fastmlp.MLP.load(args.model)
    print(net)
    meta = net.metadata
    if net.classes_ is not None:
        print(f"classes: {', '.join(map(str, net.classes_))}")
    if meta.get("format") == CLI_FORMAT:
        print(f"task: {meta['task']}, target: {meta['target']!r}")
        print(f"features ({len(meta['features'])}): {', '.join(meta['features'])}")
        print("inputs standardized with the training rows' mean and standard deviation")
    return 0


# ---------------------------------------------------------------------------- export

def _add_export_parser(commands) -> None:
    export = commands.add_parser(
        "export", help="export a trained model to ONNX",
        description="Write MODEL (from 'fastmlp train') as an ONNX graph that includes its "
        "input scaling: it takes the raw feature columns (input X, in the order 'fastmlp "
        "info' lists) and gives 'label' and 'probabilities' (classification) or "
        "'prediction' (regression). Needs: pip install 'fastmlp[onnx]'.")
    export.add_argument("model", metavar="MODEL")
    export.add_argument("--onnx", required=True, metavar="OUT.onnx", help="file to write")
    export.add_argument("--dtype", choices=["float64", "float32"], default=None,
                        help="the graph's floating type (default: the model's)")
    export.add_argument("--opset", type=int, default=None, help="ONNX opset (default 17)")
    export.set_defaults(run=run_export)


def run_export(args) -> int:
    import fastmlp

    try:
        from .export import DEFAULT_OPSET, cli_model_to_onnx
    except ImportError as error:
        raise CommandError(str(error)) from None
    net = fastmlp.MLP.load(args.model)
    cli_model_to_onnx(net, args.onnx, dtype=args.dtype, opset=args.opset or DEFAULT_OPSET)
    print(f"wrote {args.onnx}: input X ({net.layer_sizes[0]} columns), opset "
          f"{args.opset or DEFAULT_OPSET}")
    return 0


# ------------------------------------------------------------- demo, bench, warmup

def run_demo(args) -> int:
    from .digits_demo import main as demo

    return demo(args.args)


def run_bench(args) -> int:
    from .bench.__main__ import main as bench

    result = bench(args.args)
    return result if isinstance(result, int) else 0


def run_warmup(args) -> int:
    from .warmup import warmup

    dtypes = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    bad = [d for d in dtypes if d not in ("float32", "float64")]
    if bad or not dtypes:
        raise CommandError(f"--dtypes takes float32 and/or float64, got {args.dtypes!r}")
    layers = []
    for text in args.layers:
        try:
            sizes = tuple(int(v) for v in text.split(","))
        except ValueError:
            sizes = ()
        if len(sizes) < 2 or min(sizes) < 1:
            raise CommandError(f"--layers takes layer sizes such as 3,4,2, got {text!r}")
        layers.append(sizes)
    seconds = warmup(dtypes, verbose=True, layer_sizes=layers)
    print(f"compiled or loaded every kernel in {sum(seconds.values()):.1f} s")
    return 0
