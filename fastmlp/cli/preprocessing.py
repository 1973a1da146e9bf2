"""Table columns -> the network's input matrix: missing cells imputed, numeric columns
standardized, string columns one-hot encoded, all fitted on the training rows and stored with
the model (:mod:`fastmlp.table_model`), so that prediction applies exactly the same steps.

The transform is one :class:`Preprocessor` whose parameters are plain arrays and lists. Its
output columns come in three blocks, always in this order:

1. the numeric columns, ``(x - mean) / scale`` after a missing cell is replaced by ``fill``
   (the training rows' median);
2. with ``missing_indicator``, one 0/1 column per input column that had missing cells in the
   training rows (``indicators``), 1 where the cell is missing;
3. each categorical column's one-hot block, one 0/1 column per category in ``categories``
   order, after a missing cell is replaced by the most frequent category; a category not
   seen in training gives a row of zeros (scikit-learn's ``handle_unknown="ignore"``) and an
   :class:`UnknownCategoryWarning`.

One-hot and indicator columns stay 0/1 (standardizing a rare category would blow it up to
tens of units). A column constant over the training rows (up to rounding) gets ``scale`` 1:
it stays constant and carries no signal, as scikit-learn's ``StandardScaler`` treats it.

Columns are matched by name: the input may hold them in any order and hold others (ignored).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Preprocessor", "CategoricalColumn", "PreprocessingError", "UnknownCategoryWarning",
           "MISSING_MARKERS", "MAX_CATEGORIES"]

#: Cells read as missing (besides NaN and None): pandas' usual markers and UCI's "?".
MISSING_MARKERS = ("", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "?")

#: Default most categories a string column may have before it is refused as an identifier or
#: free text (a one-hot block per distinct value).
MAX_CATEGORIES = 50


class PreprocessingError(ValueError):
    """Columns that cannot be turned into the network's inputs (naming the column).

    Attributes
    ----------
    row : int or None
        0-based index of the offending row, when there is one (a file reader turns it into
        a line number).
    detail : str
        The message without the row.
    remedies : dict
        :meth:`Preprocessor.fit` arguments that would accept the data (e.g.
        ``{"missing_markers": "?"}``), for a front end to phrase as its own options.
    """

    def __init__(self, detail: str, row: int | None = None, **remedies):
        super().__init__(detail if row is None else f"row {row + 1}: {detail}")
        self.detail, self.row, self.remedies = detail, row, remedies


class UnknownCategoryWarning(UserWarning):
    """A categorical cell holds a category not seen in training (encoded as all zeros)."""


@dataclass
class CategoricalColumn:
    """One string column's one-hot encoding.

    Attributes
    ----------
    name : str
    categories : list of str
        The training rows' categories, sorted; one output column each.
    fill : str
        The most frequent category, put into missing cells.
    """

    name: str
    categories: list
    fill: str


@dataclass
class Preprocessor:
    """The fitted transform from named columns to the network's inputs.

    Build one with :meth:`fit`; apply it with :meth:`transform`; store it with
    :meth:`to_dict` / :meth:`from_dict` (plain JSON types).

    Attributes
    ----------
    numeric : list of str
        Numeric input columns, in output order.
    fill, mean, scale : ndarray (len(numeric),)
        Median put into missing cells, then the standardization ``(x - mean) / scale``.
    categorical : list of CategoricalColumn
        String input columns, in output order (after the numeric and indicator blocks).
    indicators : list of str
        Input columns that get a 0/1 missing-indicator output column.
    missing_markers : list of str
        Cell texts read as missing.
    """

    numeric: list
    fill: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    categorical: list = field(default_factory=list)
    indicators: list = field(default_factory=list)
    missing_markers: list = field(default_factory=lambda: list(MISSING_MARKERS))

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(cls, columns, names: Iterable[str] | None = None, *,
            categorical: Iterable[str] = (), missing_indicator: bool = False,
            max_categories: int = MAX_CATEGORIES,
            missing_markers: Iterable[str] = MISSING_MARKERS) -> "Preprocessor":
        """Fit the transform on training columns.

        Parameters
        ----------
        columns : mapping of str -> array-like (n,), or a pandas DataFrame
            The feature columns: numbers, or strings (cells in ``missing_markers``, None and
            NaN are missing).
        names : iterable of str, optional
            The columns to use, in this order (default: every column of ``columns``).
        categorical : iterable of str
            Columns to one-hot encode even though they hold numbers (codes such as 1, 2, 3).
        missing_indicator : bool
            Add a 0/1 column per input column that has missing cells in these rows.
        max_categories : int >= 2
            A string column with more distinct values is refused (an identifier or free
            text is no category).
        missing_markers : iterable of str
            Cell texts that mean "missing".

        Returns
        -------
        Preprocessor

        Raises
        ------
        PreprocessingError
            A column that is empty in every row, that mixes numbers with a few stray
            strings (a missing-value code not in ``missing_markers``), or that has more
            than ``max_categories`` distinct strings.
        """
        names = _column_names(columns, names)
        markers = list(missing_markers)
        forced = set(categorical)
        unknown = sorted(forced - set(names))
        if unknown:
            raise PreprocessingError(f"categorical names no feature column: {unknown}")
        if isinstance(max_categories, bool) or not isinstance(max_categories, int) \
                or max_categories < 2:
            raise PreprocessingError(f"max_categories must be an integer >= 2, got "
                                     f"{max_categories!r}")
        numeric, fill, mean, scale, cats, indicators = [], [], [], [], [], []
        for name in names:
            values = _raw(_column(columns, name))
            missing = _missing(values, markers)
            if missing.all():
                raise PreprocessingError(f"column {name!r} is empty in every training row; "
                                         "drop it", drop=name)
            if missing.any():
                indicators.append(name)
            numbers = None if name in forced else _numbers_or_none(values, missing, name)
            if numbers is not None:
                present = numbers[~missing]
                numeric.append(name)
                fill.append(float(np.median(present)))
                center = float(present.mean())
                spread = float(np.sqrt(np.mean((present - center) ** 2)))
                if not np.isfinite(spread):
                    raise PreprocessingError(f"column {name!r}: values too large to "
                                             "standardize (their spread overflows)")
                mean.append(center)
                # constant up to the rounding of the mean (a spread of ~1e-16 |mean| would
                # blow prediction-time differences up to nonsense): scale 1, as scikit-learn
                # treats near-constant features
                scale.append(spread if spread > 1e-12 * abs(center) and spread > 0 else 1.0)
                continue
            counts = Counter(_stripped(values[~missing]).tolist())
            if len(counts) > max_categories:
                raise PreprocessingError(
                    f"column {name!r} holds {len(counts)} distinct strings in {len(values)} "
                    f"rows, more than max_categories ({max_categories}) to one-hot encode: "
                    "an identifier or free text? Drop it, or allow more categories",
                    drop=name, max_categories=len(counts))
            # the most frequent, ties to the first in sorted order (stable across runs)
            most = max(sorted(counts), key=lambda c: counts[c])
            cats.append(CategoricalColumn(name, sorted(counts), most))
        return cls(numeric, np.array(fill), np.array(mean), np.array(scale), cats,
                   indicators if missing_indicator else [], markers)

    # ---------------------------------------------------------------- applying
    @property
    def input_names(self) -> list:
        """Every input column the transform reads."""
        return [*self.numeric, *(c.name for c in self.categorical)]

    @property
    def output_names(self) -> list:
        """A name for each output column: ``col``, ``col (missing)``, ``col=category``."""
        return [*self.numeric, *(f"{n} (missing)" for n in self.indicators),
                *(f"{c.name}={v}" for c in self.categorical for v in c.categories)]

    @property
    def n_outputs(self) -> int:
        """Width of the transformed matrix (the network's input size)."""
        return len(self.output_names)

    def transform(self, columns) -> np.ndarray:
        """The network's inputs for these rows.

        Parameters
        ----------
        columns : mapping of str -> array-like (n,), or a pandas DataFrame
            Holding at least :attr:`input_names` (in any order; others are ignored).

        Returns
        -------
        ndarray (n, n_outputs) float64

        Raises
        ------
        PreprocessingError
            Missing columns (named), a numeric column holding text or inf (row named),
            columns of different lengths.

        Warns
        -----
        UnknownCategoryWarning
            When a categorical column holds categories not seen in training (their rows get
            zeros in that column's block).
        """
        available = set(_column_names(columns, None))
        absent = [n for n in self.input_names if n not in available]
        if absent:
            raise PreprocessingError(f"missing the column(s) {', '.join(map(repr, absent))} "
                                     "the model was trained on")
        raw = {n: _raw(_column(columns, n)) for n in self.input_names}
        lengths = {len(v) for v in raw.values()}
        if len(lengths) > 1:
            raise PreprocessingError(f"the columns have different lengths {sorted(lengths)}")
        n = lengths.pop() if lengths else 0
        missing = {name: _missing(values, self.missing_markers) for name, values in raw.items()}
        blocks = []
        numeric = np.empty((n, len(self.numeric)))
        for j, name in enumerate(self.numeric):
            numbers = _numbers(raw[name], missing[name], name)
            numeric[:, j] = np.where(missing[name], self.fill[j], numbers)
        blocks.append((numeric - self.mean) / self.scale)
        blocks.append(np.column_stack([missing[name] for name in self.indicators])
                      .astype(np.float64) if self.indicators else np.empty((n, 0)))
        for column in self.categorical:
            texts = _stripped(raw[column.name])
            texts[missing[column.name]] = column.fill
            codes = _codes(texts, column.categories)
            if (codes < 0).any():
                unseen = sorted(set(texts[codes < 0]))
                shown = ", ".join(repr(u) for u in unseen[:5]) + (", ..." if len(unseen) > 5
                                                                   else "")
                warnings.warn(f"column {column.name!r}: {int((codes < 0).sum())} row(s) hold "
                              f"categories not seen in training ({shown}); encoded as zeros "
                              "in its one-hot block", UnknownCategoryWarning, stacklevel=2)
            block = np.zeros((n, len(column.categories)))
            rows = np.flatnonzero(codes >= 0)
            block[rows, codes[rows]] = 1.0
            blocks.append(block)
        return np.hstack(blocks) if blocks else np.empty((n, 0))

    # ----------------------------------------------------------------- storage
    def to_dict(self) -> dict:
        """The parameters as JSON types (what the model file stores)."""
        return {"numeric": list(self.numeric), "fill": self.fill.tolist(),
                "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "categorical": [{"name": c.name, "categories": list(c.categories),
                                 "fill": c.fill} for c in self.categorical],
                "indicators": list(self.indicators),
                "missing_markers": list(self.missing_markers)}

    @classmethod
    def from_dict(cls, data) -> "Preprocessor":
        """The inverse of :meth:`to_dict`, checking every key and length.

        Raises
        ------
        PreprocessingError
            Naming the missing or malformed key.
        """
        if not isinstance(data, dict):
            raise PreprocessingError("the preprocessing is not a JSON object")
        keys = ("numeric", "fill", "mean", "scale", "categorical", "indicators",
                "missing_markers")
        lacking = [k for k in keys if k not in data]
        if lacking:
            raise PreprocessingError(f"the preprocessing lacks {', '.join(lacking)}")
        numeric = _strings(data["numeric"], "numeric")
        arrays = []
        for key in ("fill", "mean", "scale"):
            try:
                values = np.asarray(data[key], dtype=np.float64)
            except (TypeError, ValueError):
                values = np.empty(0)
            if values.shape != (len(numeric),) or not np.isfinite(values).all():
                raise PreprocessingError(f"the preprocessing's {key} is not "
                                         f"{len(numeric)} finite numbers")
            arrays.append(values)
        if (arrays[2] <= 0).any():
            raise PreprocessingError("the preprocessing's scale holds values <= 0")
        if not isinstance(data["categorical"], list):
            raise PreprocessingError("the preprocessing's categorical is not a list")
        cats = []
        for entry in data["categorical"]:
            if not isinstance(entry, dict) or set(entry) != {"name", "categories", "fill"}:
                raise PreprocessingError("a categorical entry lacks name, categories or fill")
            categories = _strings(entry["categories"], "categories")
            if not categories or entry["fill"] not in categories:
                raise PreprocessingError(f"categorical column {entry['name']!r}: its fill is "
                                         "not one of its categories")
            cats.append(CategoricalColumn(str(entry["name"]), categories, entry["fill"]))
        indicators = _strings(data["indicators"], "indicators")
        prep = cls(numeric, arrays[0], arrays[1], arrays[2], cats, indicators,
                   _strings(data["missing_markers"], "missing_markers"))
        if len(set(prep.input_names)) != len(prep.input_names) or \
                not set(indicators) <= set(prep.input_names):
            raise PreprocessingError("the preprocessing names a column twice")
        return prep

    @classmethod
    def standardizing(cls, names, mean, scale) -> "Preprocessor":
        """Numeric columns standardized only (the files of ``fastmlp train`` before
        categorical columns: a missing cell gets the mean, standardized to 0)."""
        mean = np.asarray(mean, dtype=np.float64)
        return cls(list(names), mean.copy(), mean, np.asarray(scale, dtype=np.float64))

    def describe(self) -> list:
        """One line per input column, for ``fastmlp info``."""
        lines = [f"{name}: numeric, standardized (mean {m:.4g}, scale {s:.4g}), missing -> "
                 f"{f:.4g}{', with an indicator' if name in self.indicators else ''}"
                 for name, f, m, s in zip(self.numeric, self.fill, self.mean, self.scale)]
        for c in self.categorical:
            shown = ", ".join(c.categories[:8]) + (", ..." if len(c.categories) > 8 else "")
            lines.append(f"{c.name}: categorical, one-hot over {len(c.categories)} "
                         f"categories ({shown}), missing -> {c.fill!r}"
                         f"{', with an indicator' if c.name in self.indicators else ''}; "
                         "unknown -> zeros")
        return lines

    def __repr__(self) -> str:
        return (f"Preprocessor({len(self.numeric)} numeric, {len(self.categorical)} categorical, "
                f"{len(self.indicators)} missing indicators -> {self.n_outputs} inputs)")


# --------------------------------------------------------------------- helpers

def _column_names(columns, names) -> list:
    if names is not None:
        return list(names)
    if hasattr(columns, "columns"):  # a pandas DataFrame
        return [str(c) for c in columns.columns]
    if isinstance(columns, Mapping):
        return list(columns)
    raise PreprocessingError(f"columns must be a mapping of names to columns or a DataFrame, "
                             f"got {type(columns).__name__}")


def _column(columns, name):
    try:
        values = columns[name]
    except KeyError:
        raise PreprocessingError(f"no column {name!r}") from None
    return values.to_numpy(dtype=object) if hasattr(values, "to_numpy") else values


#: Spellings of NaN that Python's float() reads besides the markers: missing, not numbers.
_NAN_TEXTS = {"nan", "NaN", "NAN", "Nan", "-nan", "+nan"}


def _raw(values) -> np.ndarray:
    """A column as a 1-D array: float64 when it holds only numbers (NaN: missing), else
    object."""
    array = np.asarray(values)
    if array.dtype.kind in "biuf":
        return array.astype(np.float64).ravel()
    return np.asarray(values, dtype=object).ravel()


def _all_text(values: np.ndarray) -> bool:
    return values.dtype == object and set(map(type, values)) <= {str}


def _stripped(values: np.ndarray) -> np.ndarray:
    """The cells as stripped strings (an object array)."""
    if _all_text(values):
        return np.array([v.strip() for v in values.tolist()], dtype=object)
    return np.array([str(v).strip() for v in values], dtype=object)


def _codes(texts: np.ndarray, categories: list) -> np.ndarray:
    """Each text's index in ``categories``, -1 for a text not among them."""
    index = {c: k for k, c in enumerate(categories)}
    return np.fromiter((index.get(t, -1) for t in texts.tolist()), np.int64, len(texts))


def _missing(values: np.ndarray, markers) -> np.ndarray:
    """Which cells are missing: None, NaN, or a marker text (surrounding blanks ignored)."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    markers = set(markers) | _NAN_TEXTS
    if _all_text(values):  # text read from a file: one set look-up per cell
        return np.fromiter((v.strip() in markers for v in values.tolist()), bool, len(values))
    out = np.empty(len(values), dtype=bool)
    for i, v in enumerate(values):
        if v is None:
            out[i] = True
        elif isinstance(v, str):
            out[i] = v.strip() in markers
        else:
            try:
                out[i] = bool(np.isnan(v))
            except TypeError:  # pandas' NA (and NaT) refuse to be truth values
                out[i] = type(v).__name__ in ("NAType", "NaTType")
    return out


def _parsed(values: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, list]:
    """The column as float64 (NaN where missing) and the rows whose cell is not a number."""
    if values.dtype.kind == "f":
        return values.copy(), []
    cells = np.where(missing, "nan", values).tolist()
    try:  # the common case in one pass; a failure is diagnosed cell by cell below
        return np.array([float(c) for c in cells], dtype=np.float64), []
    except (TypeError, ValueError):
        pass
    numbers = np.full(len(values), np.nan)
    bad = []
    for i in np.flatnonzero(~missing):
        try:
            numbers[i] = float(values[i])
        except (TypeError, ValueError):
            bad.append(int(i))
    return numbers, bad


def _numbers_or_none(values, missing, name) -> np.ndarray | None:
    """The column as numbers, or None when it holds strings (a categorical column). A
    mostly-numeric column with a few strings is an error: they are likely a missing-value
    code the markers do not know."""
    numbers, bad = _parsed(values, missing)
    if not bad:
        return _check_finite(numbers, missing, name)
    present = int((~missing).sum())
    if len(bad) <= 0.05 * present and len(bad) < present:
        strays = sorted({str(values[i]).strip() for i in bad})
        raise PreprocessingError(
            f"column {name!r} holds numbers but also {', '.join(map(repr, strays[:3]))}: if "
            "that marks a missing value, declare it as one; if the column is categorical, "
            "say so", row=bad[0], missing_markers=strays[0], categorical=name)
    return None


def _numbers(values, missing, name) -> np.ndarray:
    numbers, bad = _parsed(values, missing)
    if bad:
        raise PreprocessingError(f"column {name!r} holds {str(values[bad[0]])[:40]!r}, not a "
                                 "number (the column was numeric in training)", row=bad[0])
    return _check_finite(numbers, missing, name)


def _check_finite(numbers, missing, name) -> np.ndarray:
    bad = np.flatnonzero(~missing & ~np.isfinite(numbers))
    if bad.size:
        raise PreprocessingError(f"column {name!r} holds {numbers[bad[0]]}, not a finite "
                                 "number", row=int(bad[0]))
    return numbers


def _strings(values, key) -> list:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise PreprocessingError(f"the preprocessing's {key} is not a list of strings")
    return list(values)
