"""Tables for the command line: CSV / TSV files with a header row, ``.npz`` files holding
``X`` (and ``y``), and ``.npy`` arrays -- read into named raw columns (text cells as strings,
arrays as numbers; what they become is :mod:`fastmlp.preprocessing`'s job), with errors that
name the file, the line and the column."""

from __future__ import annotations

import csv
import difflib
import os
from dataclasses import dataclass

import numpy as np

#: The longest cell a text file may hold (characters): Python's csv default, stated here so
#: the error can say it.
MAX_CELL = 131_072


class TableError(ValueError):
    """A data file that cannot be used, with the reason (the command line prints it)."""


@dataclass
class Table:
    """Columns read from a file.

    Attributes
    ----------
    path : str
    columns : dict of str -> ndarray (n,)
        The feature columns by name, in file order: object arrays of stripped strings for
        text files, float64 for arrays (NaN where a value is missing).
    target : ndarray (n,) or None
        The target column as read (strings for a text file).
    target_name : str or None
    lines : ndarray (n,) of int, or None
        Each row's line in a text file (for error messages).
    """

    path: str
    columns: dict
    target: np.ndarray | None
    target_name: str | None
    lines: np.ndarray | None = None

    @property
    def names(self) -> list:
        """The feature columns' names."""
        return list(self.columns)

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def where(self, row: int | None) -> str:
        """``path, line N`` (text) or ``path, row N`` (arrays) for a 0-based row."""
        if row is None:
            return self.path
        if self.lines is not None:
            return f"{self.path}, line {int(self.lines[row])}"
        return f"{self.path}, row {row + 1}"

    def without_rows(self, drop: np.ndarray) -> "Table":
        """A copy without the rows where ``drop`` is True."""
        return self.take(np.flatnonzero(~np.asarray(drop, dtype=bool)))

    def take(self, rows: np.ndarray) -> "Table":
        """A copy holding these rows (0-based indices), in this order."""
        return Table(self.path, {k: v[rows] for k, v in self.columns.items()},
                     None if self.target is None else self.target[rows], self.target_name,
                     None if self.lines is None else self.lines[rows])


def read_table(path: str, target: str | None = None, ignore=(), *, encoding: str = "utf-8",
               delimiter: str | None = None) -> Table:
    """Read ``path``.

    Parameters
    ----------
    path : str
        ``.csv`` (comma), ``.tsv`` / ``.tab`` (tab), other suffixes as CSV; ``.npz`` with an
        array ``X`` (and the target array); ``.npy`` of features.
    target : str, optional
        The target column (for ``.npy``, the ``.npy`` file of targets). Required to exist.
    ignore : iterable of str
        Columns to leave out (each must exist).
    encoding : str
        Text files' encoding (a UTF-8 byte-order mark is skipped).
    delimiter : str, optional
        The text files' field separator (default by suffix).

    Raises
    ------
    TableError
        Naming the file (and line or column) and the problem.
    """
    if not os.path.isfile(path):
        raise TableError(f"{path}: no such file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npz":
        table = _read_npz(path, target)
    elif suffix == ".npy":
        table = _read_npy(path, target)
    else:
        sep = delimiter or ("\t" if suffix in (".tsv", ".tab") else ",")
        table = _read_text(path, target, encoding, sep)
    ignore = list(ignore)
    absent = [name for name in ignore if name not in table.columns]
    if absent:
        raise TableError(f"{path}: no column {absent[0]!r} to ignore{_suggest(absent[0], table)}")
    for name in ignore:
        del table.columns[name]
    if not table.columns:
        raise TableError(f"{path}: no feature columns besides the target")
    return table


def _read_text(path, target, encoding, delimiter) -> Table:
    with open(path, "rb") as f:
        head = f.read(8192)
    if b"\x00" in head:
        what = ("a zip archive (an .xlsx workbook?)" if head.startswith(b"PK")
                else "binary, or UTF-16 text")
        raise TableError(f"{path}: not a CSV/TSV text file (it is {what}); save it as "
                         "UTF-8 CSV")
    if encoding.lower().replace("-", "").replace("_", "") == "utf8":
        encoding = "utf-8-sig"
    try:
        with open(path, newline="", encoding=encoding) as f:
            reader = csv.reader(f, delimiter=delimiter)
            rows, lines = [], []
            for row in reader:
                if any(cell.strip() for cell in row):
                    rows.append(row)
                    lines.append(reader.line_num)
    except UnicodeDecodeError as error:
        raise TableError(f"{path}: not {encoding.replace('-sig', '')} text (byte "
                         f"0x{error.object[error.start]:02x} at offset {error.start}); "
                         "save it as UTF-8 or give its --encoding") from None
    except LookupError:
        raise TableError(f"unknown encoding {encoding!r}") from None
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise TableError(f"{path}, line {reader.line_num}: a cell longer than {MAX_CELL} "
                             "characters (an unbalanced quote, or not a table?)") from None
        raise TableError(f"{path}, line {reader.line_num}: {error}") from None
    if len(rows) < 2:
        raise TableError(f"{path}: needs a header row and at least one data row")
    header = [name.strip() or f"unnamed{j + 1}" for j, name in enumerate(rows[0])]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise TableError(f"{path}: the header repeats the column name(s) "
                         f"{', '.join(map(repr, repeated))}")
    body = rows[1:]
    for row, line in zip(body, lines[1:]):
        if len(row) != len(header):
            hint = ""
            if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
                hint = " (is the file separated by something else? see --delimiter)"
            raise TableError(f"{path}, line {line}: {len(row)} fields, the header has "
                             f"{len(header)}{hint}")
    columns = {name: np.array([row[j].strip() for row in body], dtype=object)
               for j, name in enumerate(header)}
    values = None
    if target is not None:
        if target not in columns:
            hint = ""
            if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
                hint = " (is the file separated by something else? see --delimiter)"
            raise TableError(f"{path}: no column {target!r}"
                             f"{_suggest(target, header) or hint} (columns: "
                             f"{_listing(header)})")
        values = columns.pop(target)
    return Table(path, columns, values, target, np.array(lines[1:]))


def _suggest(name: str, names) -> str:
    names = list(names.columns) if isinstance(names, Table) else list(names)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _listing(names: list, limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _array(path, name, data) -> np.ndarray:
    try:
        return np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        raise TableError(f"{path}: {name} must hold numbers") from None


def _read_npz(path, target) -> Table:
    try:
        with np.load(path, allow_pickle=False) as data:
            if "X" not in data.files:
                raise TableError(f"{path}: an .npz file needs an array 'X' (and 'y' to train)")
            X = _array(path, "X", data["X"])
            y = data[target] if target is not None and target in data.files else None
            if target is not None and y is None:
                raise TableError(f"{path}: no array {target!r} (arrays: "
                                 f"{', '.join(data.files)})")
    except TableError:
        raise
    except Exception as error:
        raise TableError(f"{path}: not a readable .npz file ({type(error).__name__})") from None
    return _from_arrays(path, X, y, target)


def _read_npy(path, target) -> Table:
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
    return _from_arrays(path, X, y, target)


def _from_arrays(path, X, y, target_name) -> Table:
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise TableError(f"{path}: X must be a non-empty 2-D array, got shape {X.shape}")
    if np.isinf(X).any():
        raise TableError(f"{path}: X holds inf")
    if y is not None:
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise TableError(f"{path}: the target must be 1-D with one value per row of X, "
                             f"got shape {y.shape} for {X.shape[0]} rows")
        if y.dtype.kind not in "biufU":
            raise TableError(f"{path}: the target must hold numbers or strings, not "
                             f"{y.dtype}")
    columns = {f"x{j}": X[:, j].copy() for j in range(X.shape[1])}
    return Table(path, columns, y, target_name)
