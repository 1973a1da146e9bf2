"""Curvature of a network's loss: the Hessian of :meth:`fastmlp.MLP.loss` with respect to the
flat parameter vector, Hessian-vector products, the extreme eigenvalues, and what they say
about where training stands -- at a minimum, at a saddle point or on a plateau (lecture 4:
"second or higher derivative may help identify if a stationary point is a saddle").

Everything is built from the compiled gradient by central differences: a Hessian column or
a Hessian-vector product costs two gradient passes. The dense Hessian (2P passes, P^2 memory)
is therefore for small networks; for the rest, the Lanczos iteration (ARPACK's ``eigsh``)
finds the extreme eigenvalues from products alone.

The network's parameters are never written: the differences perturb a private copy, so
``net.params`` is left bit for bit as it was, also when an exception interrupts a call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validation as check
from .full_data import FullDataPass
from .workspace import Workspace

#: Largest network (in parameters) whose dense Hessian :func:`hessian` builds: it takes 2P
#: gradient passes and P^2 float64s (32 MB at 2000).
HESSIAN_LIMIT = 2000
#: Up to this many parameters :func:`curvature` diagonalizes the dense Hessian: its 2P
#: gradient passes cost less than Lanczos's ~120 (measured for k = 1, P = 32 to 785).
DENSE_LIMIT = 64
#: Relative accuracy asked of ARPACK, in units of the spectrum's spread (see _lanczos).
#: Far above the products' own error (~1e-8 in float64), far below any eigenvalue that
#: changes a classification (CURVATURE_RTOL).
LANCZOS_TOL = 1e-6

#: Stationary: the gradient norm is at most GRAD_RTOL * loss_scale / param_scale, i.e. moving
#: every parameter by its typical size changes the loss, to first order, by at most 0.1%.
GRAD_RTOL = 1e-3
#: Negative curvature counts (a saddle) when the smallest eigenvalue is below -CURVATURE_RTOL
#: times the largest |eigenvalue|: 1000x the eigenvalues' finite-difference error in float32
#: (~eps^(2/3) of the spectrum), and small beside any curvature that matters to descent.
CURVATURE_RTOL = 1e-3
#: Flat (a plateau): every |eigenvalue| is at most FLAT_RTOL * loss_scale / param_scale^2, so
#: a move of the parameters by their typical size changes the loss, to second order, by at
#: most 0.1% in any direction.
FLAT_RTOL = 1e-3



class NonFiniteGradientError(ValueError):
    """The gradient is NaN or inf within a finite-difference step of the parameters."""


# ----------------------------------------------------------------------------- the gradient
class _GradientAt:
    """The compiled gradient of one network's loss on one dataset, at any parameter vector.

    The data are validated and the buffers allocated once, since a Hessian takes 2P passes
    (this is ~5x faster per pass than calling :meth:`fastmlp.MLP.gradient`).

    Attributes
    ----------
    theta : ndarray (P,) of the network's dtype
        A copy of the parameters: the point where the curvature is measured.
    """

    def __init__(self, net, X, Y, l1=0.0, l2=0.0, sample_weight=None):
        net._require_trainable()
        self.theta = net.params.copy()
        if not np.isfinite(self.theta).all():
            raise ValueError("the network's parameters hold NaN or inf; the loss has no "
                             "curvature there")
        self.l1 = check.non_negative_number(l1, "l1")
        self.l2 = check.non_negative_number(l2, "l2")
        self._pass = FullDataPass(Workspace(net.network, net.dtype),
                                  net._data(X, Y, sample_weight))

    @property
    def n_params(self) -> int:
        return self.theta.shape[0]

    def loss_and_gradient(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """(loss, float64 copy of the gradient) at ``params`` (the network's dtype)."""
        loss, grad, _ = self._pass.loss_and_gradient(params, self.l1, self.l2, True)
        if not np.isfinite(grad).all():
            raise NonFiniteGradientError(
                "the gradient is not finite within a finite-difference step of the "
                "parameters (the loss overflows there), so the curvature cannot be measured "
                "at this point")
        return float(loss), grad.astype(np.float64)

    def __call__(self, params: np.ndarray) -> np.ndarray:
        return self.loss_and_gradient(params)[1]


def _relative_step(dtype) -> float:
    """eps^(1/3): a central difference's truncation error (h^2) and rounding error (eps/h)
    balance there, leaving a relative error of ~eps^(2/3) (1e-11 in float64, 2e-5 in
    float32)."""
    return float(np.finfo(dtype).eps) ** (1 / 3)


# ----------------------------------------------------------------------------- the Hessian
def hessian(net, X, Y, l1: float = 0.0, l2: float = 0.0, sample_weight=None, *,
            max_params: int = HESSIAN_LIMIT) -> np.ndarray:
    """The full Hessian of ``net.loss(X, Y, l1, l2, sample_weight)`` with respect to
    ``net.params``.

    Column j is the central difference of the compiled gradient along parameter j, with step
    ``eps^(1/3) * max(1, |theta_j|)`` in the network's dtype; the result is symmetrized,
    (H + H^T) / 2. The l1 penalty's Hessian is zero away from W = 0; a weight within a step of
    zero measures its kink instead.

    Parameters
    ----------
    net : MLP
    X : array-like (n, n_inputs)
    Y : array-like (n, n_outputs)
    l1, l2 : float >= 0
        The penalties of :meth:`fastmlp.MLP.loss`.
    sample_weight : array-like (n,) or None
    max_params : int, default HESSIAN_LIMIT (2000)
        Refuse larger networks: the Hessian costs 2P gradient passes and P^2 memory.

    Returns
    -------
    ndarray (P, P) float64
        Symmetric; rows and columns in the layout of ``net.params``.

    Raises
    ------
    ValueError
        When P exceeds ``max_params`` (use :func:`hessian_vector_product` or
        :func:`curvature`); :class:`NonFiniteGradientError` (a ValueError) when the gradient
        is not finite within a step of the parameters.
    """
    _check_dense_size(net.n_params, max_params)
    return _dense_hessian(_GradientAt(net, X, Y, l1, l2, sample_weight))


def _check_dense_size(n_params: int, max_params: int) -> None:
    if n_params > max_params:
        raise ValueError(
            f"the network has P = {n_params} parameters, above the dense Hessian's limit of "
            f"{max_params} (max_params): it would take {2 * n_params} gradient passes and "
            f"{n_params ** 2 * 8 / 1e6:.0f} MB. Use hessian_vector_product (H v at any size) "
            "or curvature (its extreme eigenvalues by Lanczos) instead")


def _dense_hessian(grad_at: _GradientAt) -> np.ndarray:
    theta = grad_at.theta
    point = theta.copy()
    base = _relative_step(theta.dtype)
    H = np.empty((theta.shape[0], theta.shape[0]))
    for j in range(theta.shape[0]):
        H[:, j] = _column(grad_at, point, j, base * max(1.0, abs(float(theta[j]))))
    # the columns' rounding errors differ: average them into an exactly symmetric matrix
    return (H + H.T) / 2


def _column(grad_at: _GradientAt, point: np.ndarray, j: int, h: float) -> np.ndarray:
    """d gradient / d theta_j at ``point`` by a central difference. The steps are taken as
    rounded into the dtype (theta_j +- h is rarely representable), so the divisor is the
    distance actually stepped."""
    centre = point[j]
    with np.errstate(over="ignore"):  # a step to inf: grad_at says so, in plain words
        point[j] = centre + h
        up = float(point[j])
        g_up = grad_at(point)
        point[j] = centre - h
        down = float(point[j])
    g_down = grad_at(point)
    point[j] = centre
    return (g_up - g_down) / (up - down)


def hessian_vector_product(net, X, Y, v, l1: float = 0.0, l2: float = 0.0,
                           sample_weight=None) -> np.ndarray:
    """H v, the Hessian of ``net.loss(X, Y, l1, l2, sample_weight)`` times ``v``, without
    forming H: one central difference of the compiled gradient along ``v``, at any size.

    The step t makes the largest parameter change eps^(1/3) * max(1, max|theta|), the scale
    of :func:`hessian`'s steps: (grad(theta + t v) - grad(theta - t v)) / (2 t).

    Parameters
    ----------
    net : MLP
    X, Y, l1, l2, sample_weight
        As for :func:`hessian`.
    v : array-like (P,)
        A direction in the layout of ``net.params``.

    Returns
    -------
    ndarray (P,) float64
    """
    v = _as_direction(v, net.n_params)
    return _hvp(_GradientAt(net, X, Y, l1, l2, sample_weight), v)


def _as_direction(v, n_params: int) -> np.ndarray:
    v = np.asarray(check._as_float_array(v, "v"), dtype=np.float64)  # strings named
    if v.shape != (n_params,):
        raise ValueError(f"v must have shape ({n_params},) like net.params, got {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError("v contains NaN or inf")
    return v


def _hvp(grad_at: _GradientAt, v: np.ndarray) -> np.ndarray:
    size = float(np.max(np.abs(v)))
    if size == 0.0:
        return np.zeros_like(v)
    theta = grad_at.theta
    t = _relative_step(theta.dtype) * max(1.0, float(np.max(np.abs(theta)))) / size
    point = np.empty_like(theta)
    with np.errstate(over="ignore"):  # a step to inf: grad_at says so, in plain words
        np.add(theta, t * v, out=point, casting="same_kind")
        g_up = grad_at(point)
        np.subtract(theta, t * v, out=point, casting="same_kind")
        g_down = grad_at(point)
    return (g_up - g_down) / (2 * t)


# ----------------------------------------------------------------------------- eigenvalues
@dataclass
class Curvature:
    """The extreme eigenvalues of a loss's Hessian (:func:`curvature`).

    Attributes
    ----------
    largest : ndarray (k,)
        The k algebraically largest eigenvalues, largest first.
    smallest : ndarray (k,)
        The k algebraically smallest eigenvalues, smallest first.
    smallest_eigenvector : ndarray (P,)
        Unit eigenvector of ``smallest[0]`` in the layout of ``net.params`` (sign fixed so
        that its largest component is positive). When ``smallest[0] < 0`` it is the
        direction to escape a saddle: the loss falls along it, either way, by about
        ``|smallest[0]| t^2 / 2`` for a step of length t.
    method : {"dense", "lanczos"}
        How they were found.
    """

    largest: np.ndarray
    smallest: np.ndarray
    smallest_eigenvector: np.ndarray
    method: str

    @property
    def spectral_radius(self) -> float:
        """max ``|eigenvalue|``."""
        return max(abs(float(self.largest[0])), abs(float(self.smallest[0])))


def curvature(net, X, Y, k: int = 1, l1: float = 0.0, l2: float = 0.0, sample_weight=None,
              *, method: str = "auto", tol: float = LANCZOS_TOL, seed=0) -> Curvature:
    """The k largest and k smallest eigenvalues of the Hessian of
    ``net.loss(X, Y, l1, l2, sample_weight)``, and the eigenvector of the smallest.

    Parameters
    ----------
    net : MLP
    X, Y, l1, l2, sample_weight
        As for :func:`hessian`.
    k : int >= 1
        Eigenvalues wanted at each end of the spectrum.
    method : {"auto", "dense", "lanczos"}
        ``lanczos``: ARPACK's ``eigsh`` on a ``LinearOperator`` of Hessian-vector products
        (about a hundred products, so any size; needs 2k < P). ``dense``: ``eigh`` of
        :func:`hessian` (P <= HESSIAN_LIMIT). ``auto``: dense up to DENSE_LIMIT (64)
        parameters or when 2k >= P, where it is cheaper or Lanczos cannot run.
    tol : float > 0
        Lanczos accuracy, relative to the spread of the spectrum.
    seed : int or None
        Seed of Lanczos's start vector (results agree to ``tol`` whatever it is).

    Returns
    -------
    Curvature
    """
    k = check.positive_int(k, "k")
    method = _choose_method(method, net.n_params, k)
    tol = check.positive_number(tol, "tol")
    return _curvature(_GradientAt(net, X, Y, l1, l2, sample_weight), k, method, tol, seed)


def _choose_method(method: str, n_params: int, k: int) -> str:
    if method not in ("auto", "dense", "lanczos"):
        raise ValueError(f"unknown method {method!r}; choose one of 'auto', 'dense', "
                         "'lanczos'")
    if k > n_params:
        raise ValueError(f"k = {k} eigenvalues at each end, but the Hessian has only "
                         f"{n_params} (the network's parameters)")
    if method == "auto":
        method = "dense" if n_params <= DENSE_LIMIT or 2 * k >= n_params else "lanczos"
    if method == "lanczos" and 2 * k >= n_params:
        raise ValueError(f"Lanczos needs 2k < P, got k = {k} and P = {n_params}; use "
                         "method='dense'")
    if method == "dense":
        _check_dense_size(n_params, HESSIAN_LIMIT)
    return method


def _curvature(grad_at: _GradientAt, k: int, method: str, tol: float, seed) -> Curvature:
    if method == "dense":
        values, vectors = np.linalg.eigh(_dense_hessian(grad_at))
    else:
        values, vectors = _lanczos(grad_at, k, tol, seed)
    return Curvature(largest=values[::-1][:k].copy(), smallest=values[:k].copy(),
                     smallest_eigenvector=_fixed_sign(vectors[:, 0]), method=method)


def _lanczos(grad_at: _GradientAt, k: int, tol: float, seed) -> tuple[np.ndarray, np.ndarray]:
    """The k eigenpairs at each end of the spectrum, ascending, by Lanczos on H + cI.

    ARPACK stops when a Ritz value's residual is below ``tol`` times that value, so an
    eigenvalue near 0 -- a flat direction, common at the minima of over-parameterized
    networks -- would never converge. Shifting by twice the spectral radius rho moves every
    eigenvalue into [rho, 3 rho]: the same Krylov space, errors relative to the spread.
    """
    # imported here: scipy.sparse.linalg is a tenth of a second of every `import fastmlp`
    from scipy.sparse.linalg import LinearOperator, eigsh

    n = grad_at.n_params
    H = LinearOperator((n, n), matvec=lambda v: _hvp(grad_at, np.ravel(v)), dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(n)
    if not H.matvec(v0).any():
        # H v0 = 0 for a random v0: H = 0 (almost surely; a fully saturated network), where
        # ARPACK stops with "starting vector is zero". Any orthonormal basis diagonalizes it.
        return np.zeros(2 * k), np.eye(n, 2 * k)
    # 1% suffices: the shift needs only c > rho
    rho = abs(float(eigsh(H, k=1, which="LM", v0=v0, tol=1e-2, return_eigenvectors=False)[0]))
    shift = 2.0 * rho if rho > 0 else 1.0
    shifted = LinearOperator((n, n), matvec=lambda v: H.matvec(v) + shift * np.ravel(v),
                             dtype=np.float64)
    values, vectors = eigsh(shifted, k=2 * k, which="BE", v0=v0, tol=tol)
    order = np.argsort(values)
    return values[order] - shift, vectors[:, order]


def _fixed_sign(u: np.ndarray) -> np.ndarray:
    """``u`` or ``-u`` (both are eigenvectors), whichever has its largest component
    positive, so that results do not depend on the solver's start vector."""
    u = np.array(u, dtype=np.float64)
    return -u if u[np.argmax(np.abs(u))] < 0 else u


# ----------------------------------------------------------------------------- where it stands
@dataclass
class StationaryPoint:
    """Where training stands (:func:`stationary_point`).

    Attributes
    ----------
    kind : {"minimum", "saddle", "maximum", "plateau", "not stationary"}
    loss : float
    gradient_norm : float
        L2 norm of the gradient.
    grad_tol : float
        The gradient norm at or below which the point counts as stationary.
    curvature : Curvature
        The extreme eigenvalues (k = 1) and the eigenvector of the smallest.
    curvature_tol : float
        An eigenvalue below -curvature_tol is negative curvature; above +curvature_tol,
        positive.
    flat_tol : float
        Every ``|eigenvalue|`` at or below flat_tol makes a stationary point a plateau.
    """

    kind: str
    loss: float
    gradient_norm: float
    grad_tol: float
    curvature: Curvature
    curvature_tol: float
    flat_tol: float

    @property
    def smallest_eigenvalue(self) -> float:
        return float(self.curvature.smallest[0])

    @property
    def largest_eigenvalue(self) -> float:
        return float(self.curvature.largest[0])

    @property
    def escape_direction(self) -> np.ndarray | None:
        """At a saddle or maximum, the unit eigenvector of the most negative eigenvalue: a
        step along it (either sign) lowers the loss. None elsewhere."""
        if self.kind in ("saddle", "maximum"):
            return self.curvature.smallest_eigenvector
        return None

    def __str__(self) -> str:
        return _MESSAGES[self.kind](self)


def stationary_point(net, X, Y, l1: float = 0.0, l2: float = 0.0, sample_weight=None, *,
                     grad_rtol: float = GRAD_RTOL, curvature_rtol: float = CURVATURE_RTOL,
                     flat_rtol: float = FLAT_RTOL, method: str = "auto",
                     seed=0) -> StationaryPoint:
    """Classify the network's current parameters as a minimum, a saddle point, a plateau or
    not a stationary point of ``net.loss(X, Y, l1, l2, sample_weight)``.

    The tolerances are relative to the problem's own scales: the loss scale
    ``S = max(|loss|, sqrt(eps))`` (the floor keeps a perfect fit, loss -> 0, from asking a
    gradient to vanish faster than it can: near a zero-residual minimum g ~ sqrt(loss)) and
    the parameter scale ``r = max(1, rms(theta))`` (at least 1, so that zero weights keep
    the inputs' unit scale). Then, in this order:

    - ``not stationary``: ``|g| > grad_rtol * S / r``: moving every parameter by r would
      change the loss, to first order, by more than ``grad_rtol`` of itself;
    - ``plateau``: every ``|eigenvalue| <= flat_rtol * S / r^2``: flat in every direction,
      to second order, at an elevated loss;
    - ``saddle``: the smallest eigenvalue is below ``-curvature_rtol * max|eigenvalue|``
      (``maximum`` if the largest is too);
    - ``minimum`` otherwise: no clearly negative curvature.

    Parameters
    ----------
    net : MLP
    X, Y, l1, l2, sample_weight
        As for :func:`hessian`.
    grad_rtol, curvature_rtol, flat_rtol : float > 0
        Defaults GRAD_RTOL, CURVATURE_RTOL, FLAT_RTOL (1e-3 each).
    method, seed
        As for :func:`curvature` (k = 1).

    Returns
    -------
    StationaryPoint
    """
    grad_rtol = check.positive_number(grad_rtol, "grad_rtol")
    curvature_rtol = check.positive_number(curvature_rtol, "curvature_rtol")
    flat_rtol = check.positive_number(flat_rtol, "flat_rtol")
    method = _choose_method(method, net.n_params, 1)
    grad_at = _GradientAt(net, X, Y, l1, l2, sample_weight)
    loss, grad = grad_at.loss_and_gradient(grad_at.theta)
    curv = _curvature(grad_at, 1, method, LANCZOS_TOL, seed)
    theta = grad_at.theta.astype(np.float64)
    loss_scale = max(abs(loss), float(np.finfo(grad_at.theta.dtype).eps) ** 0.5)
    param_scale = max(1.0, float(np.sqrt(np.mean(theta ** 2))))
    gradient_norm = float(np.linalg.norm(grad))
    grad_tol = grad_rtol * loss_scale / param_scale
    curvature_tol = curvature_rtol * curv.spectral_radius
    flat_tol = flat_rtol * loss_scale / param_scale ** 2
    kind = _classify(gradient_norm, grad_tol, curv, curvature_tol, flat_tol)
    return StationaryPoint(kind, loss, gradient_norm, grad_tol, curv, curvature_tol, flat_tol)


def _classify(gradient_norm: float, grad_tol: float, curv: Curvature, curvature_tol: float,
              flat_tol: float) -> str:
    if not gradient_norm <= grad_tol:  # a NaN norm is not stationary either
        return "not stationary"
    if curv.spectral_radius <= flat_tol:
        return "plateau"
    if curv.largest[0] < -curvature_tol:
        return "maximum"
    if curv.smallest[0] < -curvature_tol:
        return "saddle"
    return "minimum"


def _range(p: StationaryPoint) -> str:
    return f"Hessian eigenvalues from {p.smallest_eigenvalue:.3g} to {p.largest_eigenvalue:.3g}"


def _gradient(p: StationaryPoint, relation: str) -> str:
    return f"gradient norm {p.gradient_norm:.3g} {relation} {p.grad_tol:.3g}"


_MESSAGES = {
    "not stationary": lambda p: (
        f"not at a stationary point ({_gradient(p, '>')}): training is still descending; "
        f"{_range(p)}"),
    "minimum": lambda p: (
        f"at a minimum ({_gradient(p, '<=')}; no eigenvalue below {-p.curvature_tol:.3g}: "
        f"{_range(p)})"),
    "saddle": lambda p: (
        f"SADDLE POINT: the gradient vanishes ({_gradient(p, '<=')}), so training looks "
        f"converged, but the Hessian has the negative eigenvalue {p.smallest_eigenvalue:.3g} "
        f"(largest {p.largest_eigenvalue:.3g}): a saddle, not a minimum. The direction to "
        "escape is that eigenvalue's eigenvector (escape_direction): a step of length t "
        f"along it lowers the loss by about {abs(p.smallest_eigenvalue) / 2:.3g} t^2. "
        "Remedies: momentum or nesterov, smaller batches (SGD noise), a small random "
        "perturbation of the parameters, or a step along the escape direction."),
    "maximum": lambda p: (
        f"LOCAL MAXIMUM: the gradient vanishes ({_gradient(p, '<=')}) and every Hessian "
        f"eigenvalue is negative ({_range(p)}). A step along escape_direction lowers the "
        "loss; re-initialize, or perturb the parameters."),
    "plateau": lambda p: (
        f"PLATEAU: gradient and curvature both nearly vanish ({_gradient(p, '<=')}; every "
        f"|eigenvalue| <= {p.curvature.spectral_radius:.3g}, below {p.flat_tol:.3g}) at loss "
        f"{p.loss:.3g}: a flat region that gradient descent crawls across. Remedies: "
        "momentum or adam, a larger learning rate (with care: it can diverge), or "
        "re-initializing (saturated units often cause it)."),
}
