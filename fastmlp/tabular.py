"""Tables for the command line: CSV / TSV files with a header row, ``.npz`` files holding
``X`` (and ``y``), and ``.npy`` arrays -- read into features (real numbers) and a target
column (numbers or labels), with errors that name the file, the column and the row."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass

import numpy as np


class TableError(ValueError):
    """A data file that cannot be used, with the reason (the command line prints it)."""


@dataclass
class Table:
    """Columns read from a file.

    Attributes
    ----------
    names : list of str
        Feature column names (``x0``, ``x1``, ... for arrays).
    X : ndarray (n, d) float64
    target : ndarray (n,) or None
        The target column as read: strings for a text file, numbers for arrays.
    target_name : str or None
    """

    names: list
    X: np.ndarray
    target: np.ndarray | None
    target_name: str | None


def read_table(path: str, target: str | None = None, features: list | None = None) -> Table:
    """Read ``path``. ``target`` names the target column (for .npy, a second .npy file);
    ``features`` selects and orders the feature columns by name (prediction on new data:
    other columns are ignored)."""
    if not os.path.isfile(path):
        raise TableError(f"{path}: no such file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npz":
        return _read_npz(path, target, features)
    if suffix == ".npy":
        return _read_npy(path, target, features)
    return _read_text(path, target, features, "\t" if suffix in (".tsv", ".tab") else ",")


def _read_text(path, target, features, delimiter) -> Table:
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f, delimiter=delimiter))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise TableError(f"{path}: needs a header row and at least one data row")
    header = [name.strip() for name in rows[0]]
    if len(set(header)) != len(header):
        raise TableError(f"{path}: the header repeats a column name")
    body = rows[1:]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise TableError(f"{path}, line {number}: {len(row)} fields, the header has "
                             f"{len(header)}")
    columns = {name: [row[i].strip() for row in body] for i, name in enumerate(header)}
    if target is not None and target not in columns:
        raise TableError(f"{path}: no column {target!r} (columns: {', '.join(header)})")
    if features is None:
        features = [name for name in header if name != target]
    missing = [name for name in features if name not in columns]
    if missing:
        raise TableError(f"{path}: missing the feature column(s) {', '.join(missing)}")
    if not features:
        raise TableError(f"{path}: no feature columns besides the target")
    X = np.empty((len(body), len(features)))
    for j, name in enumerate(features):
        for i, cell in enumerate(columns[name]):
            try:
                X[i, j] = float(cell)
            except ValueError:
                what = "is empty" if not cell else f"holds {cell!r}, not a number"
                raise TableError(f"{path}, line {i + 2}, column {name!r} {what} (only the "
                                 "target column may hold labels)") from None
    if not np.isfinite(X).all():
        i, j = np.argwhere(~np.isfinite(X))[0]
        raise TableError(f"{path}, line {i + 2}, column {features[j]!r}: not a finite number")
    values = None if target is None else np.array(columns[target])
    if values is not None and (values == "").any():
        raise TableError(f"{path}, line {int(np.argmax(values == '')) + 2}: the target "
                         f"{target!r} is empty")
    return Table(list(features), X, values, target)


def _array(path, name, data) -> np.ndarray:
    try:
        return np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        raise TableError(f"{path}: {name} must hold numbers") from None


def _read_npz(path, target, features) -> Table:
    try:
        with np.load(path, allow_pickle=False) as data:
            if "X" not in data.files:
                raise TableError(f"{path}: an .npz file needs an array 'X' (and 'y' to train)")
            X = _array(path, "X", data["X"])
            key = target or ("y" if "y" in data.files else None)
            y = data[key] if key is not None and key in data.files else None
            if target is not None and y is None:
                raise TableError(f"{path}: no array {target!r}")
    except TableError:
        raise
    except Exception as error:
        raise TableError(f"{path}: not a readable .npz file ({type(error).__name__})") from None
    return _from_arrays(path, X, y, key, features)


def _read_npy(path, target, features) -> Table:
    try:
        X = _array(path, "the array", np.load(path, allow_pickle=False))
        y = None
        if target is not None:
            if not target.endswith(".npy") or not os.path.isfile(target):
                raise TableError(f"{path}: with an .npy file, --target names the .npy file of "
                                 "targets")
            y = np.load(target, allow_pickle=False)
    except TableError:
        raise
    except Exception as error:
        raise TableError(f"{path}: not a readable .npy file ({type(error).__name__})") from None
    return _from_arrays(path, X, y, target, features)


def _from_arrays(path, X, y, target_name, features) -> Table:
    if X.ndim != 2 or X.shape[0] == 0:
        raise TableError(f"{path}: X must be a non-empty 2-D array, got shape {X.shape}")
    names = [f"x{j}" for j in range(X.shape[1])]
    if features is not None:
        if len(features) != X.shape[1]:
            raise TableError(f"{path}: {X.shape[1]} columns, the model takes {len(features)}")
        names = list(features)
    if not np.isfinite(X).all():
        raise TableError(f"{path}: X holds NaN or inf")
    if y is not None:
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise TableError(f"{path}: the target must be 1-D with one value per row of X")
    return Table(names, X, y, target_name)
