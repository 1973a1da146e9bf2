"""The options of a fit, validated once into a frozen :class:`FitConfig`; everything
downstream (engines, the epoch loop, the stopping rules) reads that object."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cache

from . import _validation as check
from .kernels.structs import Rule
from .layout import OPTIMIZERS, SCHEDULES, lookup
from .rules import HYPERPARAMETERS, RULES

#: How the update rules and the batches' penalty and loss are computed:
#: "notes" -- the lecture notes' forms (:class:`fastmlp.MLP`); "scikit-learn" -- scikit-learn's
#: Nesterov and Adam forms and its per-batch penalty scaling, for :mod:`fastmlp.sklearn`
#: (see :mod:`fastmlp.kernels.optimizers`).
CONVENTIONS = ("notes", "scikit-learn")


@dataclass(frozen=True)
class FitConfig:
    """Validated options of :meth:`fastmlp.MLP.fit` / :meth:`~fastmlp.MLP.partial_fit`
    (their docstrings say what each means). Build one with :meth:`from_options`."""

    optimizer: str = "sgd"
    learning_rate: float = 0.1
    # the update rules' hyperparameters: defaults, ranges and meaning in fastmlp.rules
    momentum: float = HYPERPARAMETERS["momentum"].default
    beta_1: float = HYPERPARAMETERS["beta_1"].default
    beta_2: float = HYPERPARAMETERS["beta_2"].default
    epsilon: float = HYPERPARAMETERS["epsilon"].default
    weight_decay: float = HYPERPARAMETERS["weight_decay"].default
    batch_size: int | None = 1
    epochs: int = 10
    shuffle: bool = True
    schedule: str = "constant"
    schedule_b: float = 1.0
    warmup_steps: int = 0
    decay_steps: int | None = None
    min_learning_rate: float = 0.0
    plateau_factor: float = 0.1
    plateau_patience: int = 10
    plateau_min_delta: float = 1e-4
    clip_value: float | None = None
    clip_norm: float | None = None
    l1: float = 0.0
    l2: float = 0.0
    tol: float | None = None
    n_iter_no_change: int = 10
    grad_tol: float | None = None
    early_stopping: bool = False
    callback: Callable | None = None
    verbose: int = 0
    engine: str | None = None
    convention: str = "notes"
    #: Dropout rates of the hidden layers (the network's, set by the fit from
    #: ``MLP(dropout=)``, see :func:`dropout_rates`), or None: no dropout.
    dropout: tuple[float, ...] | None = None

    @classmethod
    def from_options(cls, **options) -> "FitConfig":
        """Check every option (a ValueError or TypeError naming the first bad one) and
        return them as a FitConfig; options not given take the defaults above."""
        defaults = _defaults(cls)  # type: ignore[arg-type]  # classes are hashable
        unknown = set(options) - set(defaults)
        if unknown:
            raise TypeError(f"unknown fit option(s): {', '.join(sorted(unknown))}")
        o = {**defaults, **options}
        lookup(OPTIMIZERS, o["optimizer"], "optimizer")
        lookup(SCHEDULES, o["schedule"], "schedule")
        hyper = {name: h.validate(o[name]) for name, h in HYPERPARAMETERS.items()}
        if o["callback"] is not None and not callable(o["callback"]):
            raise TypeError("callback must be callable(epoch, history)")
        if o["engine"] is not None and not isinstance(o["engine"], str):
            raise TypeError(f"engine must be a name or None, got {o['engine']!r}")
        if o["convention"] not in CONVENTIONS:
            raise ValueError(f"convention must be one of {', '.join(map(repr, CONVENTIONS))}, "
                             f"got {o['convention']!r}")
        tol = o["tol"]
        config = cls(
            optimizer=o["optimizer"],
            learning_rate=check.positive_number(o["learning_rate"], "learning_rate"),
            **hyper,
            batch_size=check.positive_int(o["batch_size"], "batch_size", allow_none=True),
            epochs=check.positive_int(o["epochs"], "epochs"),
            shuffle=check.flag(o["shuffle"], "shuffle"),
            schedule=o["schedule"],
            schedule_b=check.non_negative_number(o["schedule_b"], "schedule_b"),
            warmup_steps=_non_negative_int(o["warmup_steps"], "warmup_steps"),
            decay_steps=check.positive_int(o["decay_steps"], "decay_steps", allow_none=True),
            min_learning_rate=check.non_negative_number(o["min_learning_rate"],
                                                        "min_learning_rate"),
            plateau_factor=_fraction(o["plateau_factor"], "plateau_factor"),
            plateau_patience=check.positive_int(o["plateau_patience"], "plateau_patience"),
            plateau_min_delta=check.non_negative_number(o["plateau_min_delta"],
                                                        "plateau_min_delta"),
            clip_value=check.positive_number(o["clip_value"], "clip_value", allow_none=True),
            clip_norm=check.positive_number(o["clip_norm"], "clip_norm", allow_none=True),
            l1=check.non_negative_number(o["l1"], "l1"),
            l2=check.non_negative_number(o["l2"], "l2"),
            tol=None if tol is None else check.non_negative_number(tol, "tol"),
            n_iter_no_change=check.positive_int(o["n_iter_no_change"], "n_iter_no_change"),
            grad_tol=check.positive_number(o["grad_tol"], "grad_tol", allow_none=True),
            early_stopping=check.flag(o["early_stopping"], "early_stopping"),
            callback=o["callback"],
            verbose=check.verbosity(o["verbose"]),
            engine=o["engine"],
            convention=o["convention"],
            dropout=_training_dropout(o["dropout"]),
        )
        if config.schedule == "cosine":
            if config.decay_steps is not None and config.decay_steps <= config.warmup_steps:
                raise ValueError(f"decay_steps ({config.decay_steps}) must be larger than "
                                 f"warmup_steps ({config.warmup_steps})")
            if config.min_learning_rate > config.learning_rate:
                raise ValueError(f"min_learning_rate ({config.min_learning_rate!r}) must not "
                                 f"exceed learning_rate ({config.learning_rate!r})")
        return config

    def rule(self) -> Rule:
        """The update rule as the kernels take it (codes instead of names)."""
        optimizer = OPTIMIZERS[self.optimizer]
        sklearn_code = RULES[self.optimizer].sklearn_code
        if self.convention == "scikit-learn" and sklearn_code is not None:
            optimizer = sklearn_code
        return Rule(optimizer, SCHEDULES[self.schedule],
                    float(self.learning_rate), float(self.schedule_b), float(self.momentum),
                    float(self.beta_1), float(self.beta_2), float(self.epsilon),
                    float(self.l1), float(self.l2), float(self.weight_decay),
                    float(self.warmup_steps),
                    float(self.decay_steps if self.decay_steps is not None else 0),
                    float(self.min_learning_rate))

    def sklearn_forms(self) -> bool | None:
        """The kernels' ``sklearn`` argument: True under the scikit-learn convention (its
        batch convention too), else None, which prunes scikit-learn's forms from the compiled
        code (:mod:`fastmlp.kernels.optimizers`)."""
        return True if self.convention == "scikit-learn" else None

    def clip(self) -> tuple[float, float] | None:
        """The kernels' ``clip`` argument: None, or (clip_value, clip_norm) with 0.0 for a
        bound not set (see :class:`fastmlp.kernels.structs.Rule`)."""
        if self.clip_value is None and self.clip_norm is None:
            return None
        return float(self.clip_value or 0.0), float(self.clip_norm or 0.0)


def dropout_rates(value, n_hidden: int, name: str = "dropout") -> tuple[float, ...]:
    """``value`` -- one rate for every hidden layer, or a sequence of one rate per hidden
    layer -- as a tuple of ``n_hidden`` floats, each in [0, 1); a ValueError or TypeError
    naming ``name`` otherwise. A rate above 0 for a network without hidden layers is refused
    (there is nothing it could drop)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        rates = [value] * n_hidden
        if n_hidden == 0 and value != 0:
            raise ValueError(f"{name}={value!r} needs hidden layers to drop units of; this "
                             "network has none")
    elif isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a rate in [0, 1) or a sequence of {n_hidden} rates "
                        f"(one per hidden layer), got {value!r}")
    else:
        rates = list(value)
        if len(rates) != n_hidden:
            raise ValueError(f"{name} must be one rate or {n_hidden} rates (one per hidden "
                             f"layer), got {len(rates)}")
    checked = []
    for rate in rates:
        if (isinstance(rate, bool) or not isinstance(rate, numbers.Real)
                or not 0.0 <= float(rate) < 1.0):
            raise ValueError(f"{name} rates must be real numbers in [0, 1) (the probability "
                             f"of dropping a unit), got {rate!r}")
        checked.append(float(rate))
    return tuple(checked)


def _training_dropout(value) -> tuple[float, ...] | None:
    """FitConfig's ``dropout``: None, or the rates (in [0, 1)) when one is above 0."""
    if value is None:
        return None
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"a fit's dropout is a sequence of rates, one per hidden layer (the "
                        f"network's: MLP(dropout=)), got {value!r}")
    rates = dropout_rates(value, len(value))
    return rates if any(rates) else None


def _non_negative_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _fraction(value, name: str) -> float:
    number = check.positive_number(value, name)
    if number >= 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {value!r}")
    return number


@cache
def _defaults(cls) -> dict:
    """Option name -> default (read once: ``dataclasses.asdict`` per fit costs more than the
    epoch of a small network)."""
    return {f.name: f.default for f in fields(cls)}
