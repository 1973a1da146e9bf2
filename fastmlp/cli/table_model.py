"""A network together with what it needs to predict from a table: the fitted
:class:`~fastmlp.preprocessing.Preprocessor`, the target's name and task, and for regression
the target's standardization. ``fastmlp train`` writes one into the model file (the network's
``metadata``); :meth:`TableModel.load` reads it back, also from Python::

    model = TableModel.load("diabetes.npz")
    model.predict(dataframe)             # the target's values, in the target's units
    model.preprocessor.transform(df)     # the network's inputs

or without the command line::

    model, X, y = TableModel.build(df.drop(columns="price"), df["price"], hidden=(32,))
    model.net.fit(X, y, optimizer="adam", learning_rate=1e-3, batch_size=32, epochs=100)
    model.save("price.npz")              # readable by fastmlp predict / evaluate / info
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .preprocessing import PreprocessingError, Preprocessor

if TYPE_CHECKING:
    from ..network import MLP

#: ``metadata["format"]`` of a model written by ``fastmlp train`` (cli-1: numeric inputs
#: standardized only, read for compatibility).
FORMAT = "fastmlp-cli-2"
_OLD_FORMAT = "fastmlp-cli-1"

#: A whole-number target is regression when it holds more distinct values than this ...
TASK_MAX_CLASSES = 20
#: ... and more than this fraction of the rows.
TASK_MAX_CLASS_FRACTION = 0.05


class ModelFileError(ValueError):
    """A model file that ``fastmlp`` cannot use for tables (naming the path)."""


def guess_task(target) -> tuple[str, str]:
    """Classification or regression, and why, from the target's values.

    Labels that are not numbers are classification; numbers with a fraction are regression;
    whole numbers are classification unless they take more than
    :data:`TASK_MAX_CLASSES` distinct values that are also more than
    :data:`TASK_MAX_CLASS_FRACTION` of the rows (a count or a score, such as a disease
    progression from 25 to 346).

    Parameters
    ----------
    target : array-like (n,)

    Returns
    -------
    task : {"classification", "regression"}
    reason : str
    """
    values = np.asarray(target, dtype=object)
    numbers = _as_numbers(values)
    distinct = len(set(values.tolist())) if numbers is None else len(np.unique(numbers))
    if numbers is None:
        return "classification", f"it holds labels that are not numbers ({distinct} distinct)"
    if not np.all(numbers == np.round(numbers)):
        return "regression", "it holds numbers with fractions"
    if distinct > TASK_MAX_CLASSES and distinct > TASK_MAX_CLASS_FRACTION * len(numbers):
        return "regression", (f"it holds {distinct} distinct whole numbers in {len(numbers)} "
                              f"rows, too many for classes")
    return "classification", f"it holds {distinct} distinct whole numbers"


def class_labels(target) -> np.ndarray:
    """The target's labels as the network's classes will hold them: whole numbers as int64,
    anything else as strings."""
    values = np.asarray(target, dtype=object)
    numbers = _as_numbers(values)
    if numbers is not None and np.all(numbers == np.round(numbers)):
        return numbers.astype(np.int64)
    return np.array([str(v).strip() for v in values])


@dataclass
class TableModel:
    """A trained network with its table preprocessing.

    Attributes
    ----------
    net : fastmlp.MLP
    preprocessor : Preprocessor
    target : str
        The target column's name.
    task : {"classification", "regression"}
    y_mean, y_scale : float
        Regression: the network predicts ``(y - y_mean) / y_scale`` (0 and 1 otherwise).
    """

    net: MLP
    preprocessor: Preprocessor
    target: str
    task: str
    y_mean: float = 0.0
    y_scale: float = 1.0

    # ------------------------------------------------------------- persistence
    def metadata(self) -> dict:
        """What the model file stores in the network's ``metadata``."""
        data: dict[str, Any] = {"format": FORMAT, "preprocessing": self.preprocessor.to_dict(),
                "target": self.target, "task": self.task}
        if self.task == "regression":
            data.update(y_mean=self.y_mean, y_scale=self.y_scale)
        return data

    def save(self, path) -> None:
        """Write the network and its preprocessing to ``path`` (:meth:`fastmlp.MLP.save`)."""
        self.net.metadata = self.metadata()
        self.net.save(path)

    @classmethod
    def load(cls, path) -> "TableModel":
        """Read a model written by ``fastmlp train`` (or :meth:`save`).

        Raises
        ------
        FileNotFoundError
        ModelFileError
            A file that is not a model, or a model without (or with incomplete) table
            metadata, naming the path and what is wrong.
        """
        from ..network import MLP

        name = os.fspath(path)
        try:
            net = MLP.load(name)
        except FileNotFoundError:
            raise FileNotFoundError(f"{name}: no such file") from None
        except ValueError as error:
            raise ModelFileError(str(error)) from None
        try:
            return cls.from_network(net)
        except (ValueError, TypeError) as error:
            raise ModelFileError(f"{name}: {error}") from None

    @classmethod
    def from_network(cls, net) -> "TableModel":
        """The table model stored in ``net.metadata``; a ValueError saying what is missing."""
        meta = net.metadata
        fmt = meta.get("format")
        if fmt not in (FORMAT, _OLD_FORMAT):
            raise ValueError("saved by MLP.save, not by 'fastmlp train': it has no feature "
                             "names and preprocessing to apply")
        needed = ["target", "task", "preprocessing" if fmt == FORMAT else "features"]
        if fmt == _OLD_FORMAT:
            needed += ["x_mean", "x_scale"]
        if meta.get("task") == "regression":
            needed += ["y_mean", "y_scale"]
        lacking = [k for k in needed if k not in meta]
        if lacking:
            raise ValueError(f"its table metadata lacks {', '.join(map(repr, lacking))}; "
                             "train it again")
        if meta["task"] not in ("classification", "regression"):
            raise ValueError(f"its task {meta['task']!r} is neither classification nor "
                             "regression")
        if fmt == FORMAT:
            try:
                prep = Preprocessor.from_dict(meta["preprocessing"])
            except PreprocessingError as error:
                raise ValueError(f"its table metadata is damaged: {error}; train it "
                                 "again") from None
        else:
            features = meta["features"]
            if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
                raise ValueError("its features are not a list of names")
            prep = Preprocessor.from_dict({
                **Preprocessor.standardizing(features, [0.0] * len(features),
                                             [1.0] * len(features)).to_dict(),
                "fill": meta["x_mean"], "mean": meta["x_mean"], "scale": meta["x_scale"]})
        if prep.n_outputs != net.layer_sizes[0]:
            raise ValueError(f"its preprocessing makes {prep.n_outputs} inputs, the network "
                             f"takes {net.layer_sizes[0]}")
        if meta["task"] == "classification" and net.classes_ is None:
            raise ValueError("a classification model without its classes")
        y_mean, y_scale = 0.0, 1.0
        if meta["task"] == "regression":
            y_mean, y_scale = meta["y_mean"], meta["y_scale"]
            if not all(isinstance(v, (int, float)) and np.isfinite(v) for v in (y_mean, y_scale)) \
                    or y_scale <= 0:
                raise ValueError("its target scaling is not two finite numbers (scale > 0)")
        return cls(net, prep, str(meta["target"]), meta["task"], float(y_mean), float(y_scale))

    # -------------------------------------------------------------- training
    @classmethod
    def build(cls, columns, target, *, target_name: str = "target", task: str = "auto",
              hidden=(32,), activation: str = "tanh", seed=0, dtype="float64", classes=None,
              **preprocessing):
        """An untrained model for these training rows: the preprocessing fitted on them, the
        network sized for it, and the target encoded for training.

        Parameters
        ----------
        columns : mapping of str -> array-like (n,), or a pandas DataFrame
            The feature columns (the target column excluded).
        target : array-like (n,)
            The target's values (labels or numbers), with no missing values.
        target_name : str
            The target column's name (stored).
        task : {"auto", "classification", "regression"}
            "auto" decides by :func:`guess_task`.
        hidden : sequence of int
        activation : str
        seed : int
        dtype : {"float64", "float32"}
        classes : array-like, optional
            Classification: every class label (default: those in ``target``), when the rows
            given are part of a table whose other rows may hold other labels.
        **preprocessing
            Passed to :meth:`Preprocessor.fit` (``categorical``, ``missing_indicator``,
            ``max_categories``, ``missing_markers``).

        Returns
        -------
        model : TableModel
        X : ndarray (n, n_inputs)
            The transformed training inputs.
        y : ndarray
            The labels (classification) or the standardized targets (n, 1) (regression).
        """
        from ..network import MLP

        if task not in ("auto", "classification", "regression"):
            raise ValueError(f"task must be 'auto', 'classification' or 'regression', got "
                             f"{task!r}")
        task = guess_task(target)[0] if task == "auto" else task
        prep = Preprocessor.fit(columns, **preprocessing)
        X = prep.transform(columns)
        if task == "classification":
            labels = class_labels(target)
            classes = np.unique(labels if classes is None else class_labels(classes))
            if len(classes) < 2:
                raise ValueError(f"the target holds a single class ({classes[0]!r}); "
                                 "classification needs two or more")
            n_out = 1 if len(classes) == 2 else len(classes)
            output, loss = (("sigmoid", "binary_cross_entropy") if n_out == 1
                            else ("softmax", "cross_entropy"))
            net = MLP((X.shape[1], *hidden, n_out), activation, output, loss, dtype=dtype,
                      seed=seed)
            net.classes_ = classes
            return cls(net, prep, target_name, task), X, labels
        numbers = _as_numbers(np.asarray(target, dtype=object))
        if numbers is None:
            raise ValueError("the target holds labels, not numbers: classify it")
        if not np.isfinite(numbers).all():
            raise ValueError("the target holds inf or NaN")
        y_mean, y_scale = float(numbers.mean()), float(numbers.std())
        if not y_scale > 0:
            raise ValueError(f"the target is constant ({numbers[0]:g}): nothing to learn")
        net = MLP((X.shape[1], *hidden, 1), activation, "identity", "mse", dtype=dtype,
                  seed=seed)
        return (cls(net, prep, target_name, task, y_mean, y_scale), X,
                ((numbers - y_mean) / y_scale).reshape(-1, 1))

    # ------------------------------------------------------------ prediction
    def inputs(self, columns) -> np.ndarray:
        """The network's inputs for these rows (:meth:`Preprocessor.transform`)."""
        return self.preprocessor.transform(columns)

    def predict(self, columns) -> np.ndarray:
        """The predicted class labels (classification) or target values (regression)."""
        return self.predict_inputs(self.inputs(columns))

    def predict_inputs(self, X) -> np.ndarray:
        """:meth:`predict` from already transformed inputs."""
        if self.task == "classification":
            return self.net.predict_classes(X)
        return self.net.predict(X)[:, 0] * self.y_scale + self.y_mean

    def predict_proba(self, columns) -> np.ndarray:
        """Each class's probability (n, n_classes), in the order of ``net.classes_``."""
        if self.task != "classification":
            raise ValueError("predict_proba needs a classification model")
        return self.net.predict_proba(self.inputs(columns))

    def labels_of(self, target) -> np.ndarray:
        """The target's values as this model's classes (classification) or numbers
        (regression), refusing values the model does not know.

        Raises
        ------
        ValueError
            Naming up to five unknown labels and the model's classes.
        """
        values = np.asarray(target, dtype=object)
        if self.task == "regression":
            numbers = _as_numbers(values)
            if numbers is None:
                bad = next(v for v in values if _as_numbers(np.array([v], object)) is None)
                raise ValueError(f"the target holds {str(bad)[:40]!r}, not a number, but the "
                                 "model is a regression")
            return numbers
        classes = self.net.classes_
        if classes is None:
            raise ValueError("a classification model without its classes")
        if classes.dtype.kind in "iu":
            numbers = _as_numbers(values)
            labels = (numbers.astype(np.int64) if numbers is not None
                      and np.all(numbers == np.round(numbers)) else None)
            texts = np.array([str(v).strip() for v in values])
            if labels is None:
                known = set(map(str, classes.tolist()))
                unknown = sorted({t for t in texts.tolist() if t not in known})
                raise ValueError(_unknown_message(unknown, classes))
        else:
            labels = np.array([str(v).strip() for v in values])
        unknown = sorted(set(np.setdiff1d(labels, classes).tolist()))
        if unknown:
            raise ValueError(_unknown_message(unknown, classes))
        return labels

    def __repr__(self) -> str:
        return (f"TableModel({self.net!r}, {self.preprocessor!r}, target={self.target!r}, "
                f"task={self.task!r})")


def _unknown_message(unknown, classes) -> str:
    shown = ", ".join(repr(str(u)) for u in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
    known = ", ".join(map(str, classes.tolist()[:10])) + (", ..." if len(classes) > 10 else "")
    return (f"the target holds {len(unknown)} label(s) the model does not know ({shown}); "
            f"its classes are {known}")


def _as_numbers(values: np.ndarray) -> np.ndarray | None:
    """The values as float64, or None when one is not a number."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.array([float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        return None


__all__ = ["TableModel", "guess_task", "class_labels", "ModelFileError", "PreprocessingError"]
