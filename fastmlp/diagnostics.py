"""Gradient-health diagnostics: the symptoms of hard training that the lecture notes name
(vanishing and exploding gradients, dying ReLU, saturated sigmoid units, saddle points and
plateaus) and their remedies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validation as check
from .curvature import NonFiniteGradientError, stationary_point
from .full_data import FullDataPass
from .kernels.structs import Data
from .layout import Layout
from .workspace import Workspace

#: Ratio between layers' weight-gradient norms beyond which gradients count as vanishing or
#: exploding.
NORM_RATIO = 1e3
#: |z| above which a sigmoid or tanh unit is saturated (sigmoid'(5) ~ 0.0066).
SATURATION_Z = 5.0
RELU_FAMILY = ("relu", "leaky_relu", "elu")
SATURATING = ("sigmoid", "logistic", "tanh")
#: The curvature check (Lanczos, k = 1: ~120 gradient passes) is skipped above this many
#: parameters or rows x parameters, where it would take more than a second or two (measured:
#: 0.2 s at 4e6 rows x parameters, 1.1 s at 1.7e7).
CURVATURE_MAX_PARAMS = 20_000
CURVATURE_MAX_WORK = 20_000_000
#: Stationary-point kinds that are symptoms: training has stalled without converging.
STALLED = ("saddle", "maximum", "plateau")


@dataclass
class Diagnosis:
    """Report of :meth:`fastmlp.MLP.diagnose`.

    Attributes
    ----------
    grad_norms : ndarray (n_layers,)
        L2 norm of each layer's weight gradient on the data (layer 1 = nearest the input).
    vanishing : bool
        The first layer's norm is below 1e-3 of the last layer's, or zero.
    exploding : bool
        Some norm is not finite, or an earlier layer's norm exceeds 1e3 times a later
        layer's (the gradient grows as it flows back toward the input).
    dead_units : dict {layer: fraction}
        For each relu / leaky_relu / elu hidden layer (1-based), the fraction of units whose
        pre-activation is <= 0 on every row -- for relu, units that output zero everywhere and
        so never learn again (the dying-ReLU problem).
    saturated_units : dict {layer: fraction}
        For each sigmoid / tanh hidden layer, the fraction of units with ``|z| > 5`` on every row.
    stationary_point : str or None
        Where training stands (:func:`fastmlp.curvature.stationary_point`): "minimum",
        "saddle", "maximum", "plateau" or "not stationary"; None when the check was skipped
        (``curvature_report`` says why).
    smallest_eigenvalue, largest_eigenvalue : float or None
        The extreme eigenvalues of the loss's Hessian.
    escape_direction : ndarray (n_params,) or None
        At a saddle (or maximum), the unit eigenvector of the negative eigenvalue, in the
        layout of ``net.params``: a step along it lowers the loss.
    curvature_report : str
        The sentence the text report prints about the curvature.
    """

    grad_norms: np.ndarray
    vanishing: bool
    exploding: bool
    dead_units: dict
    saturated_units: dict
    stationary_point: str | None = None
    smallest_eigenvalue: float | None = None
    largest_eigenvalue: float | None = None
    escape_direction: np.ndarray | None = None
    curvature_report: str = ""

    @property
    def healthy(self) -> bool:
        """No symptom found: no vanishing or exploding gradients, dead or saturated units,
        and not stalled at a saddle, maximum or plateau."""
        return not (self.vanishing or self.exploding or any(self.dead_units.values())
                    or any(self.saturated_units.values()) or self.stationary_point in STALLED)

    def __str__(self) -> str:
        lines = ["weight-gradient norm per layer: "
                 + ", ".join(f"{l + 1}: {g:.3g}" for l, g in enumerate(self.grad_norms))]
        if self.vanishing:
            lines.append("VANISHING GRADIENTS: the first layer's gradient is over 1000x smaller "
                         "than the last layer's, so early layers barely learn. Remedies: "
                         "non-saturating activations (relu, leaky_relu, elu), better "
                         "initialization (init='xavier', or 'he' for relu), fewer layers.")
        if self.exploding:
            lines.append("EXPLODING GRADIENTS: gradients grow toward the input or are not "
                         "finite. Remedies: gradient clipping (clip_norm / clip_value), a "
                         "lower learning rate, weight regularization (l2), better "
                         "initialization.")
        for layer, fraction in self.dead_units.items():
            if fraction:
                lines.append(f"DEAD UNITS: {fraction:.0%} of layer {layer}'s units are never "
                             "active on this data (dying ReLU). Remedies: leaky_relu or elu, a "
                             "lower learning rate, 'he' initialization, non-negative biases.")
        for layer, fraction in self.saturated_units.items():
            if fraction:
                lines.append(f"SATURATED UNITS: {fraction:.0%} of layer {layer}'s units have "
                             "|z| > 5 on every row, where the derivative is near zero. "
                             "Remedies: standardize inputs, smaller initial weights "
                             "(init='xavier'), relu-family activations.")
        if self.curvature_report:
            lines.append(self.curvature_report if self.stationary_point in STALLED
                         else "curvature: " + self.curvature_report)
        if self.healthy:
            lines.append("no symptom found")
        return "\n".join(lines)


def diagnose(net, X, Y) -> Diagnosis:
    """Gradient health of ``net`` on (X, Y).

    Parameters
    ----------
    net : MLP
    X : array-like (n, n_inputs)
    Y : array-like (n, n_outputs)

    Returns
    -------
    Diagnosis

    Raises
    ------
    ValueError
        When the network's parameters hold NaN or inf: there is no gradient to judge.

    Notes
    -----
    The curvature check classifies the parameters as a minimum, a saddle point or a plateau
    from the gradient and the extreme Hessian eigenvalues (Lanczos, k = 1; thresholds in
    :func:`fastmlp.curvature.stationary_point`). It is skipped, with a note, above
    CURVATURE_MAX_PARAMS parameters or CURVATURE_MAX_WORK rows x parameters, and when the
    gradient is not finite at or near the parameters or Lanczos does not converge.
    """
    if not np.isfinite(net.params).all():
        raise ValueError("the network's parameters hold NaN or inf (set through net.params "
                         "or net.weights / net.biases?); there is nothing to diagnose")
    grad = net.gradient(X, Y)
    weights, _ = net.layout.unflatten(grad)
    norms = np.array([np.linalg.norm(W) for W in weights])
    first, last = norms[0], norms[-1]
    vanishing = bool(len(norms) > 1 and (first == 0 or first < last / NORM_RATIO))
    exploding = bool(not np.isfinite(norms).all() or any(
        norms[i] > NORM_RATIO * norms[j] for i in range(len(norms))
        for j in range(i + 1, len(norms))))

    dead, saturated = unit_health(net, X)
    X = np.asarray(X, dtype=np.float64)
    return Diagnosis(norms, vanishing, exploding, dead, saturated,
                     **_curvature_fields(net, X, Y, grad))


def unit_health(net, X) -> tuple[dict, dict]:
    """(dead, saturated): per hidden layer (1-based), the fraction of relu-family units
    whose pre-activation is <= 0 on every row of X, and of sigmoid / tanh units with
    |z| > SATURATION_Z on every row (as :class:`Diagnosis` reports them)."""
    acts = net.activations
    dead, saturated = {}, {}
    for l, z in enumerate(hidden_preactivations(net, X), start=1):
        if acts[l - 1] in RELU_FAMILY:
            dead[l] = float(np.mean(np.all(z <= 0, axis=0)))
        elif acts[l - 1] in SATURATING:
            saturated[l] = float(np.mean(np.all(np.abs(z) > SATURATION_Z, axis=0)))
    return dead, saturated


def hidden_preactivations(net, X) -> list[np.ndarray]:
    """The pre-activations z^(l) = a^(l-1) W^(l) + b^(l) of each hidden layer l = 1..L-1.

    Parameters
    ----------
    net : MLP
    X : array-like (n, layer_sizes[0])

    Returns
    -------
    list of ndarray (n, layer_sizes[l]) of the network's dtype

    Notes
    -----
    The first layer's z is a plain product, X W^(1) + b^(1), so that the guard rails of a
    first fit compile nothing for a network with one hidden layer (the inference kernel
    takes seconds to compile in a fresh environment). Beyond it, each layer runs through the
    compiled inference pass, :meth:`fastmlp.full_data.FullDataPass.forward`, as a network of
    its own: with its activation to give the next layer's input a^(l), with the identity to
    give its z^(l) -- the arithmetic of :meth:`MLP.predict`, in the network's dtype.
    """
    X = check.as_features(X, net.layer_sizes[0], net.dtype)
    n_hidden = len(net.layer_sizes) - 2
    if n_hidden == 0:
        return []
    zs = [X @ net.weights[0] + net.biases[0]]
    a = X
    for l in range(1, n_hidden):
        a = _layer_pass(net, l - 1, a, net.activations[l - 1])
        zs.append(_layer_pass(net, l, a, "identity"))
    return zs


def _layer_pass(net, layer: int, inputs: np.ndarray, activation: str) -> np.ndarray:
    """Weight layer ``layer`` (0-based) of ``net`` applied to ``inputs`` (n, n_in) by the
    compiled inference pass, ending in ``activation`` (a name of ``net``'s activations, or
    ``"identity"`` for the pre-activations)."""
    n_in, n_out = net.layer_sizes[layer], net.layer_sizes[layer + 1]
    param = net.activation_params[layer] if activation == net.activations[layer] else 0.0
    # the layer's weights then its biases, contiguous in the flat vector: its own network's
    network = Layout.from_sizes((n_in, n_out)).network((activation,), (param,), "mse")
    start = int(net.layout.w_off[layer])
    params = net.params[start : start + n_in * n_out + n_out]
    n = inputs.shape[0]
    data = Data(inputs, np.empty((n, 0), net.dtype), np.empty(0, net.dtype))
    out = np.empty((n, n_out), net.dtype)
    return FullDataPass(Workspace(network, net.dtype), data).forward(params, out)


#: Rows of the training data the fit's guard rails look at, and the share of a layer's units
#: dead or saturated (or the inputs' magnitude) that they warn about.
GUARD_ROWS = 256
GUARD_FRACTION = 0.5
GUARD_INPUT_SCALE = 100.0


def guard_rails(net, X, when: str) -> str | None:
    """The warning a fit gives about ``X`` (a sample of its training rows), or None: at the
    start (``when="start"``) inputs that look unscaled -- values beyond GUARD_INPUT_SCALE or
    half a layer's units saturated or dead from the first step -- and at the end
    (``"end"``) half a layer's units saturated or dead."""
    dead, saturated = unit_health(net, X)
    bad = [(l, f, "dead (relu units never active)") for l, f in dead.items()
           if f >= GUARD_FRACTION]
    bad += [(l, f, "saturated (|z| > 5 on every row)") for l, f in saturated.items()
            if f >= GUARD_FRACTION]
    largest = float(np.max(np.abs(X))) if X.size else 0.0
    if when == "start" and (bad or largest > GUARD_INPUT_SCALE):
        what = (f"{bad[0][1]:.0%} of layer {bad[0][0]}'s units are {bad[0][2]}" if bad
                else f"inputs reach {largest:.3g}")
        return (f"fastmlp: the inputs look unscaled ({what} on a sample of the training "
                "rows); standardize X (subtract each column's mean, divide by its standard "
                "deviation), or training may stall or diverge. net.diagnose(X, Y) has more.")
    if when == "end" and bad:
        layer, fraction, what = bad[0]
        return (f"fastmlp: after training, {fraction:.0%} of layer {layer}'s units are {what}; "
                "those units no longer learn. net.diagnose(X, Y) reports the remedies.")
    return None


def _curvature_fields(net, X, Y, grad) -> dict:
    """The Diagnosis fields of the curvature check, or only the note of why it was skipped."""
    n_params, n_rows = net.n_params, X.shape[0]
    if not np.isfinite(grad).all():
        return dict(curvature_report="not computed: the gradient is not finite")
    if n_params > CURVATURE_MAX_PARAMS or n_rows * n_params > CURVATURE_MAX_WORK:
        return dict(curvature_report=(
            f"not computed: {n_params} parameters x {n_rows} rows is too slow for a "
            "diagnostic; call fastmlp.curvature.stationary_point(net, X, Y) on a subset of "
            "the rows"))
    from scipy.sparse.linalg import ArpackNoConvergence  # lazily, as in fastmlp.curvature

    try:
        point = stationary_point(net, X, Y)
    except NonFiniteGradientError:  # an exploding network, typically: report, don't fail
        return dict(curvature_report="not computed: the gradient overflows within a "
                                     "finite-difference step of the parameters")
    except ArpackNoConvergence:
        return dict(curvature_report="not computed: Lanczos did not converge")
    return dict(stationary_point=point.kind, smallest_eigenvalue=point.smallest_eigenvalue,
                largest_eigenvalue=point.largest_eigenvalue,
                escape_direction=point.escape_direction, curvature_report=str(point))
