"""The command line: ``fastmlp`` (installed as a console script) and ``python -m fastmlp``.

    fastmlp train DATA --target COL --out MODEL [options]
    fastmlp predict MODEL DATA [--out FILE] [--proba]
    fastmlp evaluate MODEL DATA [--target COL]
    fastmlp info MODEL
    fastmlp export MODEL --onnx OUT.onnx
    fastmlp demo | bench | warmup

DATA is a CSV or TSV file with a header row, an ``.npz`` file with arrays X and y, or an
``.npy`` file of features (with ``--target`` naming the ``.npy`` file of targets). Errors
print one line and exit with status 2.

Each command is a pair in :data:`COMMANDS`: a function that adds its parser and the
function that runs it (taking the parsed arguments, returning the exit status). A new
command is one more pair.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import os
import sys
import time
import warnings
from contextlib import contextmanager

import numpy as np

from ..rules import RULES
from .preprocessing import MAX_CATEGORIES, MISSING_MARKERS, PreprocessingError
from .table_model import FORMAT as CLI_FORMAT  # noqa: F401 (the name callers knew)
from .tables import read_table

#: Hidden activations offered (``step`` is left out: training through it is an error).
HIDDEN_ACTIVATIONS = ("tanh", "relu", "leaky_relu", "elu", "sigmoid", "arctan", "softsign",
                      "identity")
#: The update rules offered, from the registry (fastmlp.rules), the default first.
OPTIMIZERS = ("adam",) + tuple(name for name in RULES if name != "adam")


class CommandError(Exception):
    """A user error: printed as one line, exit status 2."""


# --------------------------------------------------------------------------- the parser

class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Help with each option's default where it has one (not for flags and unset options),
    and descriptions printed as written (they hold examples)."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        shown = not (default is None or default is False or default == ""
                     or default == argparse.SUPPRESS)
        if ("%(default)" not in text and "default" not in text and shown
                and action.option_strings and action.nargs != 0):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """No abbreviated options (``--epoch`` is not ``--epochs``), the help formatter above,
    and errors that suggest the closest option."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def unrecognized(self, extras: list) -> None:
        """Exit with this parser's usage and a "did you mean" for misspelled options."""
        options = [s for action in self._actions for s in action.option_strings]
        hints = []
        for extra in extras:
            if extra.startswith("-"):
                close = difflib.get_close_matches(extra.split("=")[0], options, n=1,
                                                  cutoff=0.6)
                if close:
                    hints.append(close[0])
        hint = f" (did you mean {' / '.join(hints)}?)" if hints else ""
        self.error(f"unrecognized arguments: {' '.join(extras)}{hint}")


def _data_options() -> argparse.ArgumentParser:
    """Options of every command that reads a table."""
    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    common.add_argument("--encoding", default="utf-8", help="text files' encoding")
    common.add_argument("--delimiter", metavar="CHAR",
                        help="text files' field separator (default: tab for .tsv / .tab, "
                             "else comma)")
    common.add_argument("--threads", type=int, metavar="N",
                        help="threads to use (default: every core)")
    return common


_DATA_HELP = ("a CSV (or .tsv) file with a header row, an .npz file with arrays X and y, or "
              "an .npy file of features")


def _add_train(commands, common) -> argparse.ArgumentParser:
    train = commands.add_parser(
        "train", parents=[common], help="train a network on a CSV / TSV / .npz file",
        description=(
            "Train a network on DATA and save it, with its preprocessing, to --out.\n\n"
            "Every column but the target is an input. Numeric columns are standardized with\n"
            "the training rows' mean and standard deviation; string columns are one-hot\n"
            "encoded (a category unseen in training becomes zeros at prediction time);\n"
            "missing cells (empty, or " + ", ".join(m for m in MISSING_MARKERS if m) + ")\n"
            "are imputed with the training rows' median or most frequent category. The task is\n"
            "guessed from the target (labels, or whole numbers with few distinct values:\n"
            "classification; other numbers: regression) and printed; --task decides\n"
            "instead. A regression target is standardized for training and predictions\n"
            "are given in its units.\n\n"
            "example:\n  fastmlp train data.csv --target price --hidden 64,32 --out model.npz"))
    train.add_argument("data", metavar="DATA", help=_DATA_HELP)
    train.add_argument("--target", required=True, metavar="COL",
                       help="the column to predict (for .npy data: the .npy file of targets)")
    train.add_argument("--out", required=True, metavar="MODEL", help="where to save the model")
    train.add_argument("--task", choices=["auto", "classification", "regression"],
                       default="auto", help="auto guesses from the target, as above")
    train.add_argument("--hidden", default="32", metavar="N[,N...]",
                       help="hidden layer sizes, comma-separated; 0 for none")
    train.add_argument("--activation", default="tanh", choices=HIDDEN_ACTIVATIONS,
                       help="hidden layers' activation")
    train.add_argument("--optimizer", default="adam", choices=OPTIMIZERS, help="update rule")
    train.add_argument("--epochs", type=int, default=100, help="most passes over the rows")
    train.add_argument("--batch-size", type=int, default=32, metavar="N",
                       help="rows per update")
    train.add_argument("--learning-rate", type=float, default=None, metavar="RATE",
                       help="step size (default: 0.001 for adam, 0.05 otherwise)")
    train.add_argument("--clip-norm", type=float, default=None, metavar="NORM",
                       help="rescale each update's gradient to at most this L2 norm (a "
                            "remedy for a diverging fit)")
    train.add_argument("--dropout", type=float, default=0.0, metavar="RATE",
                       help="dropout rate of the hidden layers during training, in [0, 1) "
                            "(default 0: off)")
    train.add_argument("--validation-fraction", type=float, default=0.2, metavar="FRACTION",
                       help="rows held out to report (and with --early-stopping, to stop "
                            "on) the validation loss; 0 for none")
    train.add_argument("--early-stopping", action="store_true",
                       help="stop when the validation loss stalls; keep the best epoch")
    train.add_argument("--seed", type=int, default=0, help="seed of the split, the initial "
                       "weights and the row order")
    train.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                       help="the network's floating-point type")
    train.add_argument("--ignore", default="", metavar="COL[,COL...]",
                       help="columns to leave out (identifiers, leaks)")
    train.add_argument("--categorical", default="", metavar="COL[,COL...]",
                       help="numeric columns to one-hot encode as categories (codes)")
    train.add_argument("--max-categories", type=int, default=MAX_CATEGORIES, metavar="N",
                       help="a string column with more distinct values is refused")
    train.add_argument("--missing-values", default="", metavar="TEXT[,TEXT...]",
                       help="more cell texts that mean 'missing' (e.g. -999,unknown)")
    train.add_argument("--missing-indicator", action="store_true",
                       help="add a 0/1 input per column with missing cells")
    train.add_argument("--plot", metavar="FILE.png",
                       help="save the loss curve (needs matplotlib)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    return train


def _add_predict(commands, common) -> argparse.ArgumentParser:
    predict = commands.add_parser(
        "predict", parents=[common], help="predict with a trained model",
        description="Predict the target for each row of DATA, applying the model's "
                    "preprocessing (columns are matched by name; others are ignored).")
    predict.add_argument("model", metavar="MODEL", help="a model file from fastmlp train")
    predict.add_argument("data", metavar="DATA", help=_DATA_HELP)
    predict.add_argument("--out", metavar="FILE", help="CSV file to write (default: stdout)")
    predict.add_argument("--proba", action="store_true",
                         help="write each class's probability instead of the class")
    return predict


def _add_evaluate(commands, common) -> argparse.ArgumentParser:
    evaluate = commands.add_parser(
        "evaluate", parents=[common], help="score a trained model on labelled data",
        description="Confusion matrix and the notes' metrics (classification) or MSE, RMSE, "
                    "MAE and R^2 (regression) on DATA.")
    evaluate.add_argument("model", metavar="MODEL", help="a model file from fastmlp train")
    evaluate.add_argument("data", metavar="DATA", help=_DATA_HELP)
    evaluate.add_argument("--target", metavar="COL",
                          help="the target column (default: the one the model was trained on)")
    return evaluate


def _add_info(commands, common) -> argparse.ArgumentParser:
    info = commands.add_parser("info", help="describe a saved model",
                               description="The network, its task, its classes and the "
                                           "columns it expects, with their preprocessing.")
    info.add_argument("model", metavar="MODEL")
    return info


def _add_demo(commands, common) -> argparse.ArgumentParser:
    # its options are parsed by fastmlp.cli.digits_demo itself (main() hands the arguments on)
    return commands.add_parser("demo", help="train on the shipped digits (the default)")


def _add_bench(commands, common) -> argparse.ArgumentParser:
    return commands.add_parser("bench", help="the benchmark sweep")


def _add_warmup(commands, common) -> argparse.ArgumentParser:
    warm = commands.add_parser("warmup", help="compile every kernel ahead of time",
                               description="Compile (or load from the cache) every kernel, "
                                           "so that later runs start at once.")
    warm.add_argument("--dtypes", default="float64,float32", help="the dtypes to compile for")
    warm.add_argument("--jobs", type=int, default=None, metavar="N",
                      help="processes compiling side by side (default: one per CPU)")
    warm.add_argument("--layers", action="append", default=[], metavar="SIZES",
                      help="also compile the per-sample kernels specialized on these layer "
                           "sizes, e.g. 3,4,2 (repeatable)")
    return warm


def build_parser() -> _Parser:
    """The ``fastmlp`` parser, one subparser per entry of ``COMMANDS``."""
    from .. import __version__

    parser = _Parser(
        prog="fastmlp", description="Train and use multilayer perceptrons on your own data.",
        epilog="With no command, runs the digits demo. 'fastmlp COMMAND --help' for details.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    common = _data_options()
    for add, run in COMMANDS.values():
        sub = add(commands, common)
        sub.set_defaults(run=run, parser=sub)
    return parser


# the commands whose arguments their own modules parse
_PASSED_ON = {"demo": "fastmlp.cli.digits_demo", "bench": "fastmlp.bench.__main__"}


def main(argv=None) -> int:
    """Run the command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        argv = ["demo"]
    if argv[0] in _PASSED_ON:  # their own parsers give their own --help
        return _passed_on(argv[0], argv[1:])
    parser = build_parser()
    if argv[0] not in COMMANDS and not argv[0].startswith("-"):
        close = difflib.get_close_matches(argv[0], list(COMMANDS), n=1)
        parser.error(f"unknown command {argv[0]!r}"
                     + (f"; did you mean {close[0]!r}?" if close else "")
                     + f" (commands: {', '.join(COMMANDS)})")
    args, extras = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if extras:
        args.parser.unrecognized(extras)
    prefix = f"fastmlp {args.command}"
    try:
        with _warnings_as_lines(prefix):
            if getattr(args, "threads", None) is not None:
                from ..threads import set_num_threads

                if args.threads < 1:
                    raise CommandError(f"--threads must be at least 1, got {args.threads}")
                set_num_threads(args.threads)
            return args.run(args) or 0
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # stdout closed early (``fastmlp predict ... | head``): quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (CommandError, ValueError, TypeError, OSError, ArithmeticError) as error:
        # CommandError, TableError and the model-file errors are worded for this line;
        # ValueError / TypeError / OSError come from fastmlp's own checks
        print(f"{prefix}: error: {_one_line(error)}", file=sys.stderr)
        return 2


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    if isinstance(error, OSError) and error.filename and error.strerror:
        text = f"{error.filename}: {error.strerror}"
    return text or type(error).__name__


@contextmanager
def _warnings_as_lines(prefix: str):
    """Warnings printed as ``fastmlp CMD: note: ...`` on one line (not Python's two-line
    form with a source location a user of the command line has no use for)."""
    from ..compiling import CompileNotice

    def show(message, category, filename, lineno, file=None, line=None):
        kind = "note" if issubclass(category, CompileNotice) else "warning"
        print(f"{prefix}: {kind}: {' '.join(str(message).split())}", file=sys.stderr,
              flush=True)

    previous = warnings.showwarning
    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


def _passed_on(command: str, argv: list) -> int:
    import importlib

    module = importlib.import_module(_PASSED_ON[command])
    result = module.main(argv)
    return result if isinstance(result, int) else 0


def _columns(text: str) -> list:
    return [part.strip() for part in text.split(",") if part.strip()]


# ----------------------------------------------------------------------------- train

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


def _check_train_options(args) -> None:
    if not 0 <= args.validation_fraction < 1:
        raise CommandError(f"--validation-fraction must be in [0, 1), got "
                           f"{args.validation_fraction}")
    if args.early_stopping and args.validation_fraction == 0:
        raise CommandError("--early-stopping needs a --validation-fraction above 0")
    if args.learning_rate is not None and not args.learning_rate > 0:
        raise CommandError(f"--learning-rate must be above 0, got {args.learning_rate}")
    if args.clip_norm is not None and not args.clip_norm > 0:
        raise CommandError(f"--clip-norm must be above 0, got {args.clip_norm}")
    if not 0 <= args.dropout < 1:
        raise CommandError(f"--dropout must be in [0, 1), got {args.dropout}")
    if args.epochs < 1:
        raise CommandError(f"--epochs must be at least 1, got {args.epochs}")
    if args.batch_size < 1:
        raise CommandError(f"--batch-size must be at least 1, got {args.batch_size}")
    directory = os.path.dirname(os.path.abspath(args.out))
    if os.path.isdir(args.out) or not os.path.isdir(directory):
        raise CommandError(f"--out {args.out!r}: not a file in an existing folder")


def _read(args, path: str, target: str | None, ignore=()):
    return read_table(path, target=target, ignore=ignore, encoding=args.encoding,
                      delimiter=args.delimiter)


def _drop_missing_targets(table, markers, prefix: str):
    """The table without the rows whose target is missing (a note says which)."""
    from .preprocessing import _missing

    missing = _missing(np.asarray(table.target, dtype=object), markers)
    if missing.all():
        raise CommandError(f"{table.path}: the target {table.target_name!r} is empty in every "
                           "row")
    if missing.any():
        rows = np.flatnonzero(missing)
        kind = "line" if table.lines is not None else "row"
        where = ", ".join(str(table.lines[r] if table.lines is not None else r + 1)
                          for r in rows[:5])
        print(f"{prefix}: note: {len(rows)} row(s) without a target left out ({kind}"
              f"{'s' if len(rows) > 1 else ''} {where}{', ...' if len(rows) > 5 else ''})",
              file=sys.stderr)
        table = table.without_rows(missing)
    return table


@contextmanager
def _located(table):
    """A preprocessing error turned into one naming the file and line."""
    try:
        yield
    except PreprocessingError as error:
        options = {"drop": "--ignore", "max_categories": "--max-categories",
                   "missing_markers": "--missing-values", "categorical": "--categorical"}
        fixes = " or ".join(f"{options[k]} {v}" for k, v in error.remedies.items()
                            if k in options)
        raise CommandError(f"{table.where(error.row)}: {error.detail}"
                           + (f" ({fixes})" if fixes else "")) from None


def run_train(args) -> int:
    from ..compiling import compile_seconds
    from ..evaluation.model_selection import holdout_split
    from ..history import DivergenceError
    from .table_model import TableModel, class_labels, guess_task

    hidden = _hidden_sizes(args.hidden)
    _check_train_options(args)
    markers = [*MISSING_MARKERS, *_columns(args.missing_values)]
    table = _read(args, args.data, args.target, _columns(args.ignore))
    table = _drop_missing_targets(table, markers, "fastmlp train")
    target, n = table.target, table.n_rows
    if args.task == "auto":
        task, reason = guess_task(target)
        print(f"task: {task}, guessed from the target {args.target!r}: {reason} (--task "
              "decides otherwise)")
    else:
        task = args.task
    labels = class_labels(target) if task == "classification" else None
    if labels is not None and len(np.unique(labels)) < 2:
        raise CommandError(f"the target {args.target!r} holds a single class "
                           f"({labels[0]!r}); classification needs two or more")
    train, held_out = np.arange(n), None
    if args.validation_fraction > 0:
        [(train, held_out)] = holdout_split(n, test_size=args.validation_fraction,
                                            stratify=labels, seed=args.seed)
    rows = table.take(train)
    with _located(rows):
        model, X, y = TableModel.build(
            rows.columns, target[train], target_name=args.target, task=task, hidden=hidden,
            activation=args.activation, seed=args.seed, dtype=args.dtype, classes=labels,
            categorical=_columns(args.categorical), missing_indicator=args.missing_indicator,
            max_categories=args.max_categories, missing_markers=markers)
    validation = None
    if held_out is not None:
        kept = table.take(held_out)
        with _located(kept):
            X_val = model.inputs(kept.columns)
        y_val = (labels[held_out] if labels is not None
                 else ((model.labels_of(target[held_out]) - model.y_mean)
                       / model.y_scale).reshape(-1, 1))
        validation = (X_val, y_val)
    lr = args.learning_rate or (1e-3 if RULES[args.optimizer].moments else 0.05)
    model.net.dropout = (args.dropout,) * (len(model.net.layer_sizes) - 2)
    compiled, began = compile_seconds(), time.perf_counter()
    try:
        history = model.net.fit(X, y, optimizer=args.optimizer, learning_rate=lr,
                                batch_size=args.batch_size, epochs=args.epochs,
                                seed=args.seed, validation_data=validation,
                                early_stopping=args.early_stopping, clip_norm=args.clip_norm,
                                verbose=0 if args.quiet else 1)
    except DivergenceError as error:
        advice = (f"lower --learning-rate (it was {lr:g})" if args.clip_norm is not None else
                  f"lower --learning-rate (it was {lr:g}) or add --clip-norm 1")
        raise CommandError(f"training diverged in epoch {error.epoch + 1}: the loss or a "
                           f"weight became NaN or inf; nothing was saved. {advice[0].upper()}"
                           f"{advice[1:]}") from None
    wall = time.perf_counter() - began
    compiling = compile_seconds() - compiled
    model.save(args.out)
    prep = model.preprocessor
    what = (f"{len(model.net.classes_)} classes ({', '.join(map(str, model.net.classes_[:6]))}"
            f"{', ...' if len(model.net.classes_) > 6 else ''})" if task == "classification"
            else "regression")
    print(f"inputs: {len(prep.numeric)} numeric and {len(prep.categorical)} categorical "
          f"column(s) -> {prep.n_outputs} network inputs"
          + (f"; missing cells imputed in {_listing(_with_missing(table, prep))}"
             if _with_missing(table, prep) else ""))
    # a column that varies spans at least 2 units once standardized; a constant one ~0
    constant = [name for name, v in zip(prep.numeric, _spreads(X, prep)) if v < 1e-6]
    if constant:
        print(f"note: constant in the training rows, carrying no information: "
              f"{_listing(constant)}")
    print(f"trained {model.net.layer_sizes} on {len(train)} rows, {what}: "
          f"{history.epochs_run} epochs ({history.stop_reason}), loss {history.loss[-1]:.4g}")
    print(f"time: {wall - compiling:.1f} s training, {compiling:.1f} s compiling or loading "
          "kernels" + (" (once per environment; 'fastmlp warmup' compiles ahead of time)"
                       if compiling >= 1 else ""))
    if held_out is not None:
        print(f"held-out rows ({len(held_out)}): "
              + _score_line(model, X_val, target[held_out]))
    print(f"saved to {args.out}")
    if args.plot:
        _plot(history, args.plot)
    return 0


def _with_missing(table, prep) -> list:
    from .preprocessing import _missing

    return [name for name in prep.input_names
            if _missing(np.asarray(table.columns[name], dtype=object),
                        prep.missing_markers).any()]


def _spreads(X, prep) -> list:
    """The standardized numeric columns' spread over the training rows (0: constant)."""
    return [float(np.ptp(X[:, j])) if len(X) else 0.0 for j in range(len(prep.numeric))]


def _listing(names: list, limit: int = 8) -> str:
    return ", ".join(names[:limit]) + (f", ... ({len(names)} in all)" if len(names) > limit
                                       else "")


def _score_line(model, X, target) -> str:
    from ..evaluation import metrics

    predicted = model.predict_inputs(X)
    truth = model.labels_of(target)
    if model.task == "classification":
        return f"accuracy {metrics.accuracy(truth, predicted):.4f}"
    mse = metrics.mean_squared_error(truth, predicted)
    return f"rmse {np.sqrt(mse):.4g}, r2 {_r2(truth, predicted):.4f}"


def _r2(truth, predicted) -> float:
    total = np.sum((truth - truth.mean()) ** 2)
    return float("nan") if total == 0 else float(1 - np.sum((truth - predicted) ** 2) / total)


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


# ------------------------------------------------------------------ predict / evaluate

def _load(path: str):
    from .table_model import TableModel

    return TableModel.load(path)


def _inputs(model, table) -> np.ndarray:
    """The model's inputs for the table's rows, with errors naming the file and line."""
    names = model.preprocessor.input_names
    arrays = table.lines is None
    trained_on_arrays = names == [f"x{j}" for j in range(len(names))]
    if arrays and trained_on_arrays and len(table.columns) != len(names):
        raise CommandError(f"{table.path}: {len(table.columns)} columns, the model takes "
                           f"{len(names)}")
    absent = [name for name in names if name not in table.columns]
    if absent:
        hint = ""
        if arrays and not trained_on_arrays:
            hint = "; the model was trained on a table with named columns: give it a CSV"
        elif trained_on_arrays and not arrays:
            hint = (f"; the model was trained on an array file: give it an .npz or .npy with "
                    f"{len(names)} columns")
        elif len(absent) == 1:
            close = difflib.get_close_matches(absent[0], list(table.columns), n=1)
            hint = f"; is it {close[0]!r}?" if close else ""
        raise CommandError(f"{table.path}: missing the column(s) "
                           f"{_listing([repr(a) for a in absent])} the model was trained on"
                           f"{hint}")
    with _located(table):
        return model.inputs(table.columns)


def run_predict(args) -> int:
    model = _load(args.model)
    table = _read(args, args.data, None)
    X = _inputs(model, table)
    if args.proba:
        if model.task != "classification":
            raise CommandError("--proba needs a classification model; this one is a "
                               "regression")
        header = [f"p({c})" for c in model.net.classes_]
        rows = model.net.predict_proba(X).tolist()
    else:
        header = [f"predicted {model.target}"]
        rows = [[v] for v in model.predict_inputs(X).tolist()]
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
    from ..evaluation import metrics

    model = _load(args.model)
    target_name = args.target or model.target
    if target_name in model.preprocessor.input_names:
        raise CommandError(f"--target {target_name!r} is one of the model's input columns; "
                           f"it predicts {model.target!r}")
    table = _read(args, args.data, target_name)
    table = _drop_missing_targets(table, model.preprocessor.missing_markers,
                                  "fastmlp evaluate")
    X = _inputs(model, table)
    try:
        truth = model.labels_of(table.target)
    except ValueError as error:
        raise CommandError(f"{table.path}, column {target_name!r}: {error}") from None
    predicted = model.predict_inputs(X)
    print(f"{len(predicted)} rows of {args.data}, target {target_name!r}")
    if model.task == "classification":
        labels = list(model.net.classes_)
        matrix = metrics.confusion_matrix(truth, predicted, labels=labels)
        width = max(len(str(c)) for c in labels + ["actual"]) + 2
        print("confusion matrix (rows: actual, columns: predicted)")
        print(" " * width + "".join(f"{str(c):>{width}}" for c in labels))
        for label, row in zip(labels, np.asarray(matrix)):
            print(f"{str(label):>{width}}" + "".join(f"{v:>{width}}" for v in row))
        print(metrics.classification_report(truth, predicted, labels=labels))
    else:
        mse = metrics.mean_squared_error(truth, predicted)
        mae = float(np.mean(np.abs(truth - predicted)))
        print(f"mse {mse:.6g}  rmse {np.sqrt(mse):.6g}  mae {mae:.6g}  "
              f"r2 {_r2(truth, predicted):.4f}")
    return 0


def run_info(args) -> int:
    model = _load(args.model)
    net, prep = model.net, model.preprocessor
    print(net)
    print(f"task: {model.task}, target: {model.target!r}")
    if model.task == "classification":
        print(f"classes: {', '.join(map(str, net.classes_))}")
    else:
        print(f"the target is standardized for the network (mean {model.y_mean:.6g}, "
              f"scale {model.y_scale:.6g}); predictions are in its units")
    print(f"columns the model expects ({len(prep.input_names)}, by name, in any order; "
          f"{prep.n_outputs} network inputs):")
    for line in prep.describe():
        print(f"  {line}")
    return 0


# ---------------------------------------------------------------------------- export

def _add_export(commands, common) -> argparse.ArgumentParser:
    export = commands.add_parser(
        "export", help="export a trained model to ONNX",
        description="Write MODEL (from 'fastmlp train') as an ONNX graph that includes its "
        "preprocessing: it takes the raw feature columns -- one input per column, named "
        "after it, shape (N, 1): numeric columns as double (NaN for a missing cell), "
        "categorical ones as string -- and gives 'label' and 'probabilities' "
        "(classification) or 'prediction' (regression). Needs: pip install "
        "'fastmlp[onnx]'.")
    export.add_argument("model", metavar="MODEL")
    export.add_argument("--onnx", required=True, metavar="OUT.onnx", help="file to write")
    export.add_argument("--dtype", choices=["float64", "float32"], default=None,
                        help="the graph's floating type (default: the model's)")
    export.add_argument("--opset", type=int, default=None, help="ONNX opset (default 17)")
    return export


def run_export(args) -> int:
    import fastmlp

    try:
        from ..export import DEFAULT_OPSET, cli_model_to_onnx
        from ..export.onnx import describe_inputs
    except ImportError as error:
        raise CommandError(str(error)) from None
    net = fastmlp.MLP.load(args.model)
    model = cli_model_to_onnx(net, args.onnx, dtype=args.dtype,
                              opset=args.opset or DEFAULT_OPSET)
    print(f"wrote {args.onnx}: inputs {describe_inputs(model)}; outputs "
          f"{', '.join(o.name for o in model.graph.output)}; opset "
          f"{args.opset or DEFAULT_OPSET}")
    return 0


# ------------------------------------------------------------------ demo, bench, warmup

def run_warmup(args) -> int:
    from ..warmup import warmup

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
    if args.jobs is not None and args.jobs < 1:
        raise CommandError(f"--jobs takes a positive number of processes, got {args.jobs}")
    seconds = warmup(dtypes, verbose=True, layer_sizes=layers, n_jobs=args.jobs)
    from ..kernels.cache import cache_dir

    print(f"compiled or loaded every kernel in {sum(seconds.values()):.1f} s; they are "
          f"cached in {cache_dir()}")
    return 0


def _not_parsed_here(args) -> int:  # pragma: no cover - main() hands these on before parsing
    return _passed_on(args.command, [])


#: name -> (add the subparser, run the parsed arguments); the order of ``fastmlp --help``.
COMMANDS = {
    "train": (_add_train, run_train),
    "predict": (_add_predict, run_predict),
    "evaluate": (_add_evaluate, run_evaluate),
    "info": (_add_info, run_info),
    "export": (_add_export, run_export),
    "demo": (_add_demo, _not_parsed_here),
    "bench": (_add_bench, _not_parsed_here),
    "warmup": (_add_warmup, run_warmup),
}
