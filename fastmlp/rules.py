"""The update rules (optimizers), one registry entry each: the unit of extension.

An entry says everything the rest of fastmlp needs to know about a rule: the name that
``fit(optimizer=...)`` takes, the integer code the compiled kernels dispatch on
(:mod:`fastmlp.kernels.optimizers`), how many slot vectors of state it keeps, which
hyperparameters it reads (with their defaults, ranges and meaning), its formula, and its
scikit-learn form where :mod:`fastmlp.sklearn` needs one. :class:`fastmlp.config.FitConfig`
validates the hyperparameters from here, :mod:`fastmlp.state` sizes the slots from here, the
command line offers these names, and ``tests/test_rules.py`` holds ``MLP.fit``,
``MLP.partial_fit``, :mod:`fastmlp.reference` and ``fastmlp.warmup`` to this table.

Adding an optimizer (see CONTRIBUTING.md): a code and its branch in
``kernels/optimizers.inplace_update_range`` (and in the per-sample engine's layer pass, or
the engine declines it), an entry in :data:`RULES`, new hyperparameters in
:data:`HYPERPARAMETERS` and as keyword arguments of ``fit`` / ``partial_fit``, and its twin
in ``reference.train``.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _validation as check
from .kernels import optimizers


@dataclass(frozen=True)
class Hyperparameter:
    """A number an update rule reads, with its default and valid range.

    Values must be at least 0 (above 0 when ``positive``) and below ``high`` (None: no upper
    bound).
    """

    name: str
    default: float
    doc: str
    high: float | None = None
    positive: bool = False

    def validate(self, value) -> float:
        """``value`` as a float; a ValueError naming the argument if it is not a finite real
        number in range."""
        number = (check.positive_number(value, self.name) if self.positive
                  else check.non_negative_number(value, self.name))
        if self.high is not None and number >= self.high:
            raise ValueError(f"{self.name} must be in [0, {self.high:g}), "
                             f"got {value!r}")
        return number


#: Every hyperparameter of some rule, by name (the keyword arguments of ``fit``).
HYPERPARAMETERS = {h.name: h for h in [
    Hyperparameter("momentum", 0.9, "gamma, the velocity's decay (momentum, nesterov)",
                   high=1.0),
    Hyperparameter("beta_1", 0.9, "decay of the first-moment estimate (adam, adamw)",
                   high=1.0),
    Hyperparameter("beta_2", 0.999, "decay of the second-moment estimate (adam, adamw)",
                   high=1.0),
    Hyperparameter("epsilon", 1e-8, "added to the root of the second moment (adam, adamw)",
                   positive=True),
    Hyperparameter("weight_decay", 0.01, "lambda, decoupled weight decay of weights and "
                   "biases (adamw; PyTorch's name and default)"),
]}


@dataclass(frozen=True)
class UpdateRule:
    """One optimizer (see the module docstring)."""

    name: str
    code: int
    n_slots: int
    hyperparameters: tuple[str, ...]
    formula: str
    #: The gradient is taken at the look-ahead point theta - gamma v (Nesterov).
    lookahead: bool = False
    #: Whether the rule keeps Adam's moment estimates (the per-sample engine fuses those
    #: rules in a pass of their own).
    moments: bool = False
    #: The code of scikit-learn's form of the rule, for :mod:`fastmlp.sklearn` (None: the
    #: same arithmetic).
    sklearn_code: int | None = None


#: Every update rule, by the name ``fit(optimizer=...)`` takes.
RULES = {rule.name: rule for rule in [
    UpdateRule("sgd", optimizers.SGD, 0, (), "theta <- theta - alpha g"),
    UpdateRule("momentum", optimizers.MOMENTUM, 1, ("momentum",),
               "v <- gamma v + alpha g;  theta <- theta - v"),
    UpdateRule("nesterov", optimizers.NESTEROV, 1, ("momentum",),
               "v <- gamma v + alpha grad E(theta - gamma v);  theta <- theta - v",
               lookahead=True, sklearn_code=optimizers.NESTEROV_SKLEARN),
    UpdateRule("adam", optimizers.ADAM, 2, ("beta_1", "beta_2", "epsilon"),
               "m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  "
               "theta <- theta - alpha m_hat / (sqrt(v_hat) + eps)", moments=True,
               sklearn_code=optimizers.ADAM_SKLEARN),
    UpdateRule("adamw", optimizers.ADAMW, 2, ("beta_1", "beta_2", "epsilon", "weight_decay"),
               "theta <- theta (1 - alpha lambda), then adam's step (Loshchilov & Hutter "
               "2019, as torch.optim.AdamW)", moments=True),
]}

#: Name -> kernel code.
OPTIMIZERS = {name: rule.code for name, rule in RULES.items()}
#: Kernel code -> slot vectors, the scikit-learn forms included.
SLOTS_BY_CODE = {**{rule.code: rule.n_slots for rule in RULES.values()},
                 optimizers.NESTEROV_SKLEARN: 1, optimizers.ADAM_SKLEARN: 2}


def slot_shape(name: str, n_params: int) -> tuple[int, int]:
    """Shape of the optimizer state of rule ``name`` for ``n_params`` parameters."""
    return (RULES[name].n_slots, n_params)
