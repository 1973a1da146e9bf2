"""The :class:`MLP`: layer spec, flat parameter vector, forward / loss / gradient / fit."""

from __future__ import annotations

import json
import numbers
import os
import secrets
from collections.abc import Sequence

import numpy as np

from . import _validation as check
from . import parallel
from .initializers import INITS, initialize
from .kernels import epochs
from .layout import ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS, Layout, lookup

#: Rows per chunk in the kernels' buffers: large enough for efficient BLAS calls, small
#: enough that memory stays flat in the number of rows.
CHUNK_ROWS = 256


class MLP:
    """A fixed-architecture multilayer perceptron trained by Numba-compiled kernels.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer: inputs, hidden layers..., outputs (at least one weight layer).
    activation : str or sequence of str, default "sigmoid"
        Hidden-layer activation, one name for all hidden layers or one per hidden layer:
        ``identity``, ``sigmoid`` (alias ``logistic``), ``tanh``, ``arctan``, ``softsign``,
        ``relu``, ``leaky_relu``, ``elu``, ``step`` (forward only).
    output_activation : str, default "sigmoid"
        Any of those, or ``softmax``.
    loss : {"mse", "half_mse", "cross_entropy", "binary_cross_entropy"}, default "mse"
        ``mse`` = (1/N) sum (o - d)^2; ``half_mse`` = (1/(2N)) sum (o - d)^2;
        ``cross_entropy`` = -(1/N) sum d log p (softmax output);
        ``binary_cross_entropy`` = -(1/N) sum [d log o + (1-d) log(1-o)] (sigmoid output).
    dtype : {"float64", "float32"}, default "float64"
        Precision of parameters, buffers and arithmetic; float32 stays float32 end to end.
    init : {"xavier", "he", "uniform", "normal"}, default "xavier"
        Weight initialization (see :func:`fastmlp.initializers.initialize`).
    seed : int, numpy Generator or None
        Seed of the initialization.
    init_scale : float, default 0.1
        Half-width (``uniform``) or std (``normal``) of the initial weights.
    bias_init : float, default 0.0
        Initial value of every bias.
    leaky_relu_slope : float, default 0.01
        Slope of ``leaky_relu`` for z < 0 (>= 0).
    elu_alpha : float, default 1.0
        Scale of ``elu`` for z < 0 (> 0).

    Attributes
    ----------
    params : ndarray (n_params,)
        The flat parameter vector; layer l's weights (row-major) then its biases.
    weights, biases : list of ndarray
        ``weights[l]`` (n_in, n_out) and ``biases[l]`` (n_out,): writable views into
        ``params``. Training uses whatever is written there.

    Examples
    --------
    >>> import numpy as np, fastmlp
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    >>> Y = np.array([[0], [1], [1], [0]], float)
    >>> net = fastmlp.MLP((2, 4, 1), loss="binary_cross_entropy", seed=0)
    >>> history = net.fit(X, Y, learning_rate=1.0, epochs=2000, shuffle=False)
    >>> bool(((net.predict(X) > 0.5) == Y).all())
    True
    """

    def __init__(self, layer_sizes: Sequence[int], activation: str | Sequence[str] = "sigmoid",
                 output_activation: str = "sigmoid", loss: str = "mse",
                 dtype: str | np.dtype = "float64", init: str = "xavier", seed=None, *,
                 init_scale: float = 0.1, bias_init: float = 0.0,
                 leaky_relu_slope: float = 0.01, elu_alpha: float = 1.0):
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        n_layers = len(self.layer_sizes) - 1
        hidden = _check_hidden_activations(activation, n_layers - 1)
        lookup(OUTPUT_ACTIVATIONS, output_activation, "output_activation")
        self.loss_name = loss
        lookup(LOSSES, loss, "loss")
        if loss == "cross_entropy" and output_activation != "softmax":
            raise ValueError("loss='cross_entropy' needs output_activation='softmax', got "
                             f"{output_activation!r}; use 'binary_cross_entropy' for sigmoid "
                             "outputs")
        if loss == "binary_cross_entropy" and output_activation not in ("sigmoid", "logistic"):
            raise ValueError("loss='binary_cross_entropy' needs output_activation='sigmoid', "
                             f"got {output_activation!r}")
        if output_activation == "softmax" and self.layer_sizes[-1] < 2:
            raise ValueError("output_activation='softmax' needs at least 2 outputs: over one "
                             "output it is the constant 1")
        self.leaky_relu_slope = check.non_negative_number(leaky_relu_slope, "leaky_relu_slope")
        self.elu_alpha = check.positive_number(elu_alpha, "elu_alpha")
        self.activations = tuple(hidden) + (output_activation,)
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}") from None
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of "
                             f"{', '.join(map(repr, INITS))}")
        self.init = init
        self.init_scale = check.positive_number(init_scale, "init_scale")
        if isinstance(bias_init, bool) or not isinstance(bias_init, numbers.Real):
            raise ValueError(f"bias_init must be a real number, got {bias_init!r}")
        self.bias_init = float(bias_init)

        self.layout = Layout.from_sizes(self.layer_sizes)
        self._codes = np.array([OUTPUT_ACTIVATIONS[a] for a in self.activations], np.int64)
        self._act_params = np.array([self._activation_param(a) for a in self.activations])
        self._params = np.empty(self.layout.n_params, dtype=self.dtype)
        self.weights, self.biases = self.layout.unflatten(self._params)
        self.reset(seed)

    # ----------------------------------------------------------------- parameters
    def reset(self, seed=None) -> "MLP":
        """Draw fresh initial parameters (in place, so views stay valid)."""
        initialize(self._params, self.layout, self.init, np.random.default_rng(seed),
                   self.init_scale, self.bias_init)
        return self

    @property
    def params(self) -> np.ndarray:
        """The flat parameter vector (weights and biases of every layer, in order)."""
        return self._params

    @params.setter
    def params(self, values) -> None:
        values = np.asarray(values)
        if values.shape != self._params.shape:
            raise ValueError(f"params must have shape {self._params.shape}, got {values.shape}")
        if not np.isfinite(values).all():
            raise ValueError("params contains NaN or inf")
        self._params[...] = values

    @property
    def activation_params(self) -> tuple[float, ...]:
        """Per weight layer, the parameter of its activation: the leaky-ReLU slope, the ELU
        alpha, or 0.0 (the form :mod:`fastmlp.reference` takes)."""
        return tuple(float(p) for p in self._act_params)

    @property
    def n_params(self) -> int:
        return self.layout.n_params

    def copy(self) -> "MLP":
        """An independent network with the same configuration and parameters."""
        clone = MLP.__new__(MLP)
        clone.__setstate__({**self.__getstate__(), "_params": self._params.copy()})
        return clone

    # Pickling (joblib workers, saved models) would turn the views into independent copies;
    # they are left out and rebuilt over the unpickled parameter vector instead.
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["weights"], state["biases"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.weights, self.biases = self.layout.unflatten(self._params)

    def config(self) -> dict:
        """The constructor arguments that rebuild this network's architecture."""
        return dict(layer_sizes=list(self.layer_sizes), activation=list(self.activations[:-1]),
                    output_activation=self.activations[-1], loss=self.loss_name,
                    dtype=self.dtype.name, init=self.init, init_scale=self.init_scale,
                    bias_init=self.bias_init, leaky_relu_slope=self.leaky_relu_slope,
                    elu_alpha=self.elu_alpha)

    def save(self, path) -> None:
        """Write configuration and parameters to ``path`` (an ``.npz`` file).

        The file is written under a temporary name and then renamed over ``path``, so an
        interrupted save never leaves a half-written file.
        """
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        # not tempfile.mkstemp: its files are private (mode 0600), and the rename would keep
        # that; created like any new file, the model gets the usual permissions (umask)
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, params=self._params, config=json.dumps(self.config()),
                         format_version=1)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path) -> "MLP":
        """Read a network written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as data:
            if "config" not in data or "params" not in data:
                raise ValueError(f"{os.fspath(path)!r} is not a file written by MLP.save")
            config = json.loads(str(data["config"]))
            params = data["params"]
        net = cls(**config, seed=0)
        net.params = params  # checks shape and finiteness
        return net

    def _activation_param(self, name: str) -> float:
        if name == "leaky_relu":
            return self.leaky_relu_slope
        if name == "elu":
            return self.elu_alpha
        return 0.0

    # ----------------------------------------------------------------- kernel plumbing
    def _layout_args(self):
        lay = self.layout
        return lay.sizes, lay.w_off, lay.b_off, lay.u_off, self._codes, self._act_params

    def _chunk_buffers(self, n_rows: int):
        """(chunk, acts, deltas, scratch, grad) for kernels working on up to n_rows rows."""
        chunk = max(1, min(n_rows, CHUNK_ROWS))
        units = int(self.layout.u_off[-1])
        return (chunk, np.empty(chunk * units, self.dtype), np.empty(chunk * units, self.dtype),
                np.empty(self.n_params, self.dtype), np.empty(self.n_params, self.dtype))

    def _require_trainable(self) -> None:
        if "step" in self.activations:
            layer = self.activations.index("step") + 1
            raise ValueError(
                f"cannot train through the 'step' activation (layer {layer}): its derivative "
                "is zero almost everywhere, so backpropagation gets no signal; use 'sigmoid' "
                "(the smooth step) for training")

    # ----------------------------------------------------------------- evaluation
    def forward(self, X) -> np.ndarray:
        """Network outputs a^(L) for each row of X.

        Parameters
        ----------
        X : array-like (n, layer_sizes[0])

        Returns
        -------
        ndarray (n, layer_sizes[-1]) of the network's dtype
        """
        X = check.as_features(X, self.layer_sizes[0], self.dtype)
        out = np.empty((X.shape[0], self.layer_sizes[-1]), self.dtype)
        threads = parallel.threads_for(self, X.shape[0])
        if threads > 1:
            return parallel.forward(self, self._params, X, out,
                                    parallel.buffers(self, X.shape[0], threads))
        chunk, acts, _, _, _ = self._chunk_buffers(X.shape[0])
        epochs.forward(self._params, X, *self._layout_args(), acts, chunk, out)
        return out

    def predict(self, X) -> np.ndarray:
        """Same as :meth:`forward`."""
        return self.forward(X)

    def _loss_gradient(self, X, Y, l1, l2, need_grad):
        X = check.as_features(X, self.layer_sizes[0], self.dtype)
        Y = check.as_targets(Y, X.shape[0], self.layer_sizes[-1], self.dtype, self.loss_name)
        l1 = check.non_negative_number(l1, "l1")
        l2 = check.non_negative_number(l2, "l2")
        chunk, acts, deltas, scratch, grad = self._chunk_buffers(X.shape[0])
        threads = parallel.threads_for(self, X.shape[0])
        if threads > 1:
            value = parallel.loss_and_gradient(self, self._params, X, Y, l1, l2, need_grad,
                                               parallel.buffers(self, X.shape[0], threads),
                                               grad)
        else:
            value = epochs.loss_and_gradient(
                self._params, X, Y, *self._layout_args(), LOSSES[self.loss_name], acts,
                deltas, grad, scratch, chunk, l1, l2, need_grad)
        return float(value), grad

    def loss(self, X, Y, l1: float = 0.0, l2: float = 0.0) -> float:
        """Mean loss over the rows of (X, Y), plus ``l1 * sum|W| + (l2/2) * sum W^2``."""
        return self._loss_gradient(X, Y, l1, l2, need_grad=False)[0]

    def gradient(self, X, Y, l1: float = 0.0, l2: float = 0.0) -> np.ndarray:
        """Gradient of :meth:`loss` with respect to :attr:`params` (same layout)."""
        self._require_trainable()
        return self._loss_gradient(X, Y, l1, l2, need_grad=True)[1]

    # ----------------------------------------------------------------- training
    def fit(self, X, Y, optimizer: str = "sgd", learning_rate: float = 0.1,
            momentum: float = 0.9, batch_size: int | None = 1, epochs: int = 10,
            shuffle: bool = True, seed=None, **controls):
        """Train in place by (mini-)batch gradient descent; see :func:`fastmlp.training.fit`
        for every option. Returns the :class:`fastmlp.History`."""
        from .training import fit

        return fit(self, X, Y, optimizer=optimizer, learning_rate=learning_rate,
                   momentum=momentum, batch_size=batch_size, epochs=epochs, shuffle=shuffle,
                   seed=seed, **controls)

    def diagnose(self, X, Y):
        """Gradient-health report on (X, Y): see :func:`fastmlp.diagnostics.diagnose`."""
        from .diagnostics import diagnose

        return diagnose(self, X, Y)

    def __repr__(self) -> str:
        hidden = self.activations[:-1]
        act = hidden[0] if len(set(hidden)) == 1 else list(hidden)
        return (f"MLP(layer_sizes={self.layer_sizes}, activation={act!r}, "
                f"output_activation={self.activations[-1]!r}, loss={self.loss_name!r}, "
                f"dtype={self.dtype.name!r}, n_params={self.n_params})")


def _check_layer_sizes(layer_sizes) -> tuple[int, ...]:
    try:
        sizes = tuple(layer_sizes)
    except TypeError:
        raise ValueError(f"layer_sizes must be a sequence of ints, got {layer_sizes!r}") from None
    if len(sizes) < 2:
        raise ValueError("layer_sizes needs at least an input and an output size, got "
                         f"{layer_sizes!r}")
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1:
            raise ValueError(f"layer_sizes must hold positive ints, got {layer_sizes!r}")
    return tuple(int(s) for s in sizes)


def _check_hidden_activations(activation, n_hidden: int) -> list[str]:
    names = [activation] * n_hidden if isinstance(activation, str) else list(activation)
    if len(names) != n_hidden:
        raise ValueError(f"activation must be one name or {n_hidden} names (one per hidden "
                         f"layer), got {len(names)}")
    for name in names:
        if name == "softmax":
            raise ValueError("activation 'softmax' is only available as output_activation")
        lookup(ACTIVATIONS, name, "activation")
    return names
