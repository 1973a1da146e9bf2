"""Gradient-health diagnostics: the symptoms of hard training that the lecture notes name
(vanishing and exploding gradients, dying ReLU, saturated sigmoid units) and their remedies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import reference

#: Ratio between layers' weight-gradient norms beyond which gradients count as vanishing or
#: exploding.
NORM_RATIO = 1e3
#: |z| above which a sigmoid or tanh unit is saturated (sigmoid'(5) ~ 0.0066).
SATURATION_Z = 5.0
RELU_FAMILY = ("relu", "leaky_relu", "elu")
SATURATING = ("sigmoid", "logistic", "tanh")


@dataclass
class Diagnosis:
    """Report of :func:`diagnose`.

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
        For each sigmoid / tanh hidden layer, the fraction of units with |z| > 5 on every row.
    """

    grad_norms: np.ndarray
    vanishing: bool
    exploding: bool
    dead_units: dict
    saturated_units: dict

    @property
    def healthy(self) -> bool:
        return not (self.vanishing or self.exploding or any(self.dead_units.values())
                    or any(self.saturated_units.values()))

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
    """
    grad = net.gradient(X, Y)
    weights, _ = net.layout.unflatten(grad)
    norms = np.array([np.linalg.norm(W) for W in weights])
    first, last = norms[0], norms[-1]
    vanishing = bool(len(norms) > 1 and (first == 0 or first < last / NORM_RATIO))
    exploding = bool(not np.isfinite(norms).all() or any(
        norms[i] > NORM_RATIO * norms[j] for i in range(len(norms))
        for j in range(i + 1, len(norms))))

    X = np.asarray(X, dtype=np.float64)
    acts = list(net.activations)
    params = list(net.activation_params)
    zs, _ = reference.forward(net.params.astype(np.float64), list(net.layer_sizes), acts,
                              params, X)
    dead, saturated = {}, {}
    for l, (z, name) in enumerate(zip(zs[:-1], acts[:-1]), start=1):
        if name in RELU_FAMILY:
            dead[l] = float(np.mean(np.all(z <= 0, axis=0)))
        elif name in SATURATING:
            saturated[l] = float(np.mean(np.all(np.abs(z) > SATURATION_Z, axis=0)))
    return Diagnosis(norms, vanishing, exploding, dead, saturated)
