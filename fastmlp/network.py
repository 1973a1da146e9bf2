"""The :class:`MLP`: layer spec, flat parameter vector, forward / loss / gradient / fit."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from . import _validation as check
from . import fitting, inference, persistence
from .config import FitConfig
from .full_data import FullDataPass
from .history import History
from .initializers import INITS, initialize
from .kernels.structs import Data, Network
from .labels import check_classes, encode_labels, labels_given, with_class_weight
from .layout import ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS, Layout, lookup
from .parameters import LayerArrays, checked_values
from .state import OptimizerState
from .workspace import Workspace


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
        Any of those, ``softmax``, or ``exp`` (only with ``loss="poisson"``).
    loss : {"mse", "half_mse", "cross_entropy", "binary_cross_entropy", "poisson"}, \
default "mse"
        ``mse`` = (1/N) sum (o - d)^2; ``half_mse`` = (1/(2N)) sum (o - d)^2;
        ``cross_entropy`` = -(1/N) sum d log p (softmax output);
        ``binary_cross_entropy`` = -(1/N) sum [d log o + (1-d) log(1-o)] (sigmoid output);
        ``poisson`` = (1/N) sum [d log(d/o) - d + o], half the Poisson deviance, for counts
        or rates d >= 0 (``exp`` output, which it requires; scikit-learn's
        ``MLPRegressor(loss="poisson")``).
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

    # declared for the type checker (set in __init__, used by methods defined before it)
    layout: Layout
    network: Network
    dtype: np.dtype
    _params: np.ndarray
    _act_params: np.ndarray
    bias_init: float
    init_scale: float

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
        if (loss == "poisson") != (output_activation == "exp"):
            raise ValueError("loss='poisson' and output_activation='exp' go together (exp is "
                             "the Poisson loss's link and is trained only with it), got "
                             f"loss={loss!r} with output_activation={output_activation!r}")
        if output_activation == "softmax" and self.layer_sizes[-1] < 2:
            raise ValueError("output_activation='softmax' needs at least 2 outputs: over one "
                             "output it is the constant 1")
        self.leaky_relu_slope = check.non_negative_number(leaky_relu_slope, "leaky_relu_slope")
        self.elu_alpha = check.positive_number(elu_alpha, "elu_alpha")
        self.activations = tuple(hidden) + (output_activation,)
        try:
            self.dtype = np.dtype(dtype)
        except (TypeError, ValueError, SyntaxError):  # NumPy parses strings: "," -> SyntaxError
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}") from None
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of "
                             f"{', '.join(map(repr, INITS))}")
        self.init = init
        self.init_scale = check.positive_number(init_scale, "init_scale")
        if (isinstance(bias_init, bool) or not isinstance(bias_init, numbers.Real)
                or not np.isfinite(bias_init)):
            raise ValueError(f"bias_init must be a finite real number, got {bias_init!r}")
        self.bias_init = float(bias_init)
        largest = float(np.finfo(self.dtype).max)
        # normal draws reach several standard deviations: a scale within a tenth of the
        # dtype's range is refused whatever this seed would draw
        if self.init_scale > largest / 10 or abs(self.bias_init) > largest:
            raise ValueError(
                f"init_scale={init_scale!r} / bias_init={bias_init!r} reach beyond "
                f"{self.dtype.name}'s range (largest {largest:.3g}); choose smaller values")

        self.layout = Layout.from_sizes(self.layer_sizes)
        self._act_params = np.array([self._activation_param(a) for a in self.activations])
        #: The kernels' description of this network (fastmlp.kernels.structs.Network).
        self.network = self.layout.network(self.activations, self._act_params, loss)
        self._params = np.empty(self.layout.n_params, dtype=self.dtype)
        #: What partial_fit continues: the optimizer state of the last fit or partial_fit.
        self._optimizer_state: OptimizerState | None = None
        self._classes: np.ndarray | None = None
        #: JSON-serializable notes saved with the network (the command line keeps the
        #: feature names and the input scaling here).
        self.metadata: dict = {}
        self._bind_views()
        self.reset(seed)

    # ----------------------------------------------------------------- parameters
    def reset(self, seed=None) -> "MLP":
        """Draw fresh initial parameters (in place, so views stay valid) and forget the
        optimizer state that :meth:`partial_fit` would continue."""
        fresh = np.empty_like(self._params)
        with np.errstate(over="ignore", invalid="ignore"):
            initialize(fresh, self.layout, self.init, check.random_generator(seed, "seed"),
                       self.init_scale, self.bias_init)
        if not np.isfinite(fresh).all():
            raise ValueError(
                f"init_scale={self.init_scale!r} and bias_init={self.bias_init!r} give initial "
                f"parameters beyond {self.dtype.name}'s range (largest "
                f"{np.finfo(self.dtype).max:.3g}); choose smaller values")
        self._params[...] = fresh
        self._optimizer_state = None
        return self

    @property
    def params(self) -> np.ndarray:
        """The flat parameter vector (weights and biases of every layer, in order)."""
        return self._params

    @params.setter
    def params(self, values) -> None:
        self._params[...] = checked_values(values, self._params.shape, self.dtype, "params")

    @property
    def activation_params(self) -> tuple[float, ...]:
        """Per weight layer, the parameter of its activation: the leaky-ReLU slope, the ELU
        alpha, or 0.0 (the form :mod:`fastmlp.reference` takes)."""
        return tuple(float(p) for p in self._act_params)

    @property
    def n_params(self) -> int:
        """Length of the flat parameter vector ``params`` (all weights and biases)."""
        return self.layout.n_params

    def copy(self) -> "MLP":
        """An independent network with the same configuration and parameters."""
        clone = MLP.__new__(MLP)
        state = self._optimizer_state
        clone.__setstate__({**self.__getstate__(), "_params": self._params.copy(),
                            "_optimizer_state": None if state is None else state.copy()})
        return clone

    # Pickling (joblib workers, saved models) would turn the views into independent copies;
    # they are left out and rebuilt over the unpickled parameter vector instead.
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["weights"], state["biases"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._bind_views()

    def _bind_views(self) -> None:
        weights, biases = self.layout.unflatten(self._params)
        #: Each layer's weights (n_in, n_out) as views into :attr:`params`; assigning
        #: ``net.weights[l] = W`` copies W in (shape and finiteness checked).
        self.weights = LayerArrays(weights, "weights", self.dtype)
        #: Each layer's biases (n_out,), likewise.
        self.biases = LayerArrays(biases, "biases", self.dtype)

    def config(self) -> dict:
        """The constructor arguments that rebuild this network's architecture."""
        return dict(layer_sizes=list(self.layer_sizes), activation=list(self.activations[:-1]),
                    output_activation=self.activations[-1], loss=self.loss_name,
                    dtype=self.dtype.name, init=self.init, init_scale=self.init_scale,
                    bias_init=self.bias_init, leaky_relu_slope=self.leaky_relu_slope,
                    elu_alpha=self.elu_alpha)

    def save(self, path) -> None:
        """Write configuration, parameters, :attr:`classes_` and :attr:`metadata` to
        ``path`` (an ``.npz`` file in the versioned format of :mod:`fastmlp.persistence`),
        or to a binary file object (a stream, an object store's writer).

        A file is written under a temporary name and then renamed over ``path``, so an
        interrupted save never leaves a half-written file.

        Raises
        ------
        ValueError
            When ``path`` does not name a file, the parameters hold NaN or inf or the
            metadata is not a JSON-serializable dict (nothing is written).
        PermissionError, OSError
            When ``path`` is read-only or cannot be written (no file is left behind).
        """
        persistence.save(self, path)

    def to_onnx(self, path=None, *, dtype=None, opset: int | None = None):
        """This network as an ``onnx.ModelProto`` (written to ``path`` when given): outputs
        ``output`` (:meth:`predict`), and for classifiers ``label`` and ``probabilities``.
        See :func:`fastmlp.export.mlp_to_onnx`; needs ``pip install fastmlp[onnx]``."""
        from .export import DEFAULT_OPSET, mlp_to_onnx

        return mlp_to_onnx(self, path, dtype=dtype, opset=opset or DEFAULT_OPSET)

    @classmethod
    def load(cls, path) -> "MLP":
        """Read a network written by :meth:`save` of this or any earlier fastmlp (0.1.0
        on), from a path or a seekable binary file object; it predicts what it predicted
        when saved.

        Raises
        ------
        FileNotFoundError
            When there is no such file.
        ValueError
            For anything that is not a file written by :meth:`save` -- empty, truncated,
            another format, a newer fastmlp's model format, an array or configuration field
            its format does not define, a config that does not describe the stored
            parameters -- naming the path and the reason. The file's sizes are checked
            against the stored parameters before any network is built, and nothing in it is
            unpickled.
        """
        return persistence.load(path, cls)

    def _activation_param(self, name: str) -> float:
        if name == "leaky_relu":
            return self.leaky_relu_slope
        if name == "elu":
            return self.elu_alpha
        return 0.0

    def _require_trainable(self) -> None:
        if "step" in self.activations:
            layer = self.activations.index("step") + 1
            raise ValueError(
                f"cannot train through the 'step' activation (layer {layer}): its derivative "
                "is zero almost everywhere, so backpropagation gets no signal; use 'sigmoid' "
                "(the smooth step) for training")

    # ----------------------------------------------------------------- class labels
    @property
    def classes_(self) -> np.ndarray | None:
        """The class label of each output (softmax), or the two labels of a single sigmoid
        output (the second is the positive class); None until a fit on labels sets it (or
        you do). Saved with the network."""
        return self._classes

    @classes_.setter
    def classes_(self, classes) -> None:
        if classes is None:
            self._classes = None
            return
        expected = 2 if self.layer_sizes[-1] == 1 else self.layer_sizes[-1]
        self._classes = check_classes(classes, expected)

    def _is_classifier(self) -> bool:
        return self.loss_name in ("cross_entropy", "binary_cross_entropy")

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities: the softmax outputs (n, K); for a single sigmoid output the
        two columns (1 - p, p) in the order of :attr:`classes_`; for several sigmoid
        outputs (multilabel) each label's probability."""
        if not self._is_classifier():
            raise ValueError(f"predict_proba needs a classification loss (cross_entropy or "
                             f"binary_cross_entropy); this network's loss is {self.loss_name!r}")
        out = self.forward(X)
        if self.layer_sizes[-1] == 1:
            # (1 - p, p) written into one array: np.hstack cost more than the pass, one row
            proba = np.empty((out.shape[0], 2), out.dtype)
            np.subtract(1, out[:, 0], out=proba[:, 0])
            proba[:, 1] = out[:, 0]
            return proba
        return out

    def predict_classes(self, X) -> np.ndarray:
        """The most probable class of each row: a label of :attr:`classes_` (or the output's
        index when it is not set); for several sigmoid outputs, 0/1 indicators (n, K)."""
        proba = self.predict_proba(X)
        if self.loss_name == "binary_cross_entropy" and self.layer_sizes[-1] > 1:
            return (proba >= 0.5).astype(np.int64)
        index = np.argmax(proba, axis=1)
        return index if self._classes is None else self._classes[index]

    def _data(self, X, Y, sample_weight, names=("X", "Y", "sample_weight")) -> Data:
        """(X, Y, sample_weight) checked and converted into the kernels' Data; ``names``
        are the arguments' names in the error messages. Class labels in ``Y`` are
        one-hot encoded (:meth:`_labels_given`)."""
        classes = self._classes
        try:  # classes_ set from these labels only when all of the data passes
            if labels_given(self, Y):
                Y = encode_labels(self, Y, names[1])
            X = check.as_features(X, self.layer_sizes[0], self.dtype, names[0])
            Y = check.as_targets(Y, X.shape[0], self.layer_sizes[-1], self.dtype,
                                 self.loss_name, names[1], rows_name=names[0])
            return Data(X, Y, check.as_sample_weight(sample_weight, X.shape[0], self.dtype,
                                                     names[2]))
        except BaseException:
            self._classes = classes
            raise

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
        X = check.as_features(X, self.layer_sizes[0], self.dtype, finite=False)
        out = np.empty((X.shape[0], self.layer_sizes[-1]), self.dtype)
        return inference.forward(self._params, self.network, X, out)

    def predict(self, X) -> np.ndarray:
        """Same as :meth:`forward`."""
        return self.forward(X)

    def _loss_gradient(self, X, Y, l1, l2, sample_weight, need_grad):
        data = self._data(X, Y, sample_weight)
        l1 = check.non_negative_number(l1, "l1")
        l2 = check.non_negative_number(l2, "l2")
        full = FullDataPass(Workspace(self.network, self.dtype), data)
        value, grad, _ = full.loss_and_gradient(self._params, l1, l2, need_grad)
        return float(value), grad

    def loss(self, X, Y, l1: float = 0.0, l2: float = 0.0, sample_weight=None) -> float:
        """Mean loss over the rows of (X, Y), plus ``l1 * sum|W| + (l2/2) * sum W^2``.

        With ``sample_weight`` (n,), the mean is weighted: sum_n w_n E_n / sum_n w_n.
        """
        return self._loss_gradient(X, Y, l1, l2, sample_weight, need_grad=False)[0]

    def gradient(self, X, Y, l1: float = 0.0, l2: float = 0.0,
                 sample_weight=None) -> np.ndarray:
        """Gradient of :meth:`loss` with respect to :attr:`params` (same layout)."""
        self._require_trainable()
        return self._loss_gradient(X, Y, l1, l2, sample_weight, need_grad=True)[1]

    # ----------------------------------------------------------------- training
    def fit(self, X, Y=None, optimizer: str = "sgd", learning_rate: float = 0.1,
            momentum: float = 0.9, batch_size: int | None = 1, epochs: int = 10,
            shuffle: bool = True, seed=None, *, beta_1: float = 0.9, beta_2: float = 0.999,
            epsilon: float = 1e-8, weight_decay: float = 0.01, schedule: str = "constant",
            schedule_b: float = 1.0, warmup_steps: int = 0, decay_steps: int | None = None,
            min_learning_rate: float = 0.0, plateau_factor: float = 0.1,
            plateau_patience: int = 10, plateau_min_delta: float = 1e-4,
            clip_value: float | None = None, clip_norm: float | None = None, l1: float = 0.0,
            l2: float = 0.0, tol: float | None = None, n_iter_no_change: int = 10,
            grad_tol: float | None = None, validation_data=None, early_stopping: bool = False,
            callback=None, verbose: int = 0, sample_weight=None,
            engine: str | None = None, checkpoint=None,
            checkpoint_every: int = 1, class_weight=None) -> History:
        """Train in place by gradient descent, starting from the current parameters with
        fresh optimizer state (zero velocity / moments, t = 0).

        Parameters
        ----------
        X : array-like (n, n_inputs), np.memmap, or an iterable of chunks
            The inputs. Data larger than memory: an ``np.memmap`` (or
            ``np.load(path, mmap_mode="r")``) is read a block of whole batches at a time,
            and an iterable of ``(X, Y)`` / ``(X, Y, sample_weight)`` chunks (with ``Y``
            None; a list, a re-iterable, or a function returning a fresh iterator) is
            iterated once per epoch. Memory then stays bounded by a block, and
            ``shuffle`` permutes blocks and the rows within them, not the whole data
            (:mod:`fastmlp.feeds`); such data needs a ``batch_size`` and no ``grad_tol``.
        Y : array-like or np.memmap (n, n_outputs), or None
            The targets; 1-D is accepted for a single output. None when X holds chunks.
        optimizer : {"sgd", "momentum", "nesterov", "adam", "adamw"}
            sgd: theta <- theta - alpha g. momentum: v <- gamma v + alpha g, theta <- theta - v.
            nesterov: as momentum with g taken at theta - gamma v. adam: Kingma & Ba (2015),
            bias corrected: m <- b1 m + (1-b1) g, v <- b2 v + (1-b2) g^2,
            theta <- theta - alpha m_hat / (sqrt(v_hat) + epsilon). adamw: Loshchilov &
            Hutter (2019), theta <- theta (1 - alpha weight_decay) before adam's step, as
            ``torch.optim.AdamW`` (the registry: :data:`fastmlp.rules.RULES`).
        learning_rate : float > 0
            The step size alpha (``a`` of the schedules).
        momentum : float in [0, 1)
            gamma of momentum and nesterov.
        batch_size : int >= 1 or None
            1 is per-sample SGD, m is mini-batch SGD (the last batch holds the remaining
            rows), None is full-batch gradient descent (one update per epoch).
        epochs : int >= 1
            Maximum number of passes over the data.
        shuffle : bool
            Visit rows in a new random order each epoch; False visits them in the given
            order, so trajectories are deterministic.
        seed : int, Generator or None
            Seed of the shuffling.
        beta_1, beta_2 : float in [0, 1)
            Adam's decay rates of the first and second moment estimates.
        epsilon : float > 0
            Adam's denominator offset.
        weight_decay : float >= 0
            AdamW's decoupled weight decay lambda (of weights and biases; PyTorch's default).
        schedule : {"constant", "inverse", "inverse_sqrt", "cosine", "plateau"}
            Step size of update t (t = 1 at the first update of this fit): alpha_t = a,
            a / (schedule_b + t), or a / sqrt(t); "cosine": linear warmup a t / T_w over
            ``warmup_steps`` updates, then cosine decay to ``min_learning_rate`` at update
            ``decay_steps`` (T), a_min + (a - a_min) (1 + cos(pi (t - T_w) / (T - T_w))) / 2;
            "plateau": a, multiplied by ``plateau_factor`` (not below ``min_learning_rate``)
            after ``plateau_patience`` epochs in a row whose monitored loss -- the
            validation loss when there is validation data, else the training loss -- did not
            improve on its best by more than ``plateau_min_delta`` (Keras'
            ReduceLROnPlateau).
        schedule_b : float >= 0
        warmup_steps : int >= 0
        decay_steps : int > warmup_steps or None
            None: the updates this fit plans (epochs times batches per epoch).
        min_learning_rate : float >= 0
        plateau_factor : float in (0, 1)
        plateau_patience : int >= 1
        plateau_min_delta : float >= 0
        clip_value : float > 0 or None
            Clip each gradient component to [-clip_value, clip_value].
        clip_norm : float > 0 or None
            Rescale the gradient to L2 norm clip_norm when it is longer. Clipping applies to
            the batch gradient (penalty included), before it enters the optimizer.
        l1, l2 : float >= 0
            Penalties l1 * sum|W| and (l2/2) * sum W^2 over weights (not biases).
        tol : float >= 0 or None
            Stop when the training loss (the epoch loss of ``history.loss``) has not
            improved on its best by at least tol for ``n_iter_no_change`` consecutive epochs
            (stop_reason "tol"). With ``early_stopping``, tol is the improvement asked of the
            validation loss instead.
        n_iter_no_change : int >= 1
        grad_tol : float > 0 or None
            After each epoch, stop when the L2 norm of the full-data gradient is below
            grad_tol (stop_reason "grad_tol"): "repeat until the gradient is zero". Costs one
            extra pass.
        validation_data : (Xv, Yv) or (Xv, Yv, sample_weight_v) or None
            Record the data loss on it after each epoch (``history.val_loss``); it decides
            ``history.best_epoch``, and stopping only with ``early_stopping``.
        early_stopping : bool
            Needs validation_data: stop when the validation loss has not improved by at
            least ``tol`` (0 if None) for n_iter_no_change epochs, and in any case finish with
            the parameters of the best validation epoch (stop_reason "early_stopping" when it
            stopped training), also when training diverges or the callback raises.
        callback : callable(epoch, history) or None
            Called after each epoch (0-based); returning False stops. An exception it raises
            (KeyboardInterrupt, say) propagates; the network then holds the parameters of
            the epochs completed (the best epoch's with ``early_stopping``).
        verbose : {0, 1, 2}
            0 silent; 1 a live progress bar over the epochs (tqdm: loss, validation loss,
            ETA; in notebooks too); 2 one line per epoch. True is 1.
        sample_weight : array-like (n,) or None
            Non-negative row weights, not all zero: each batch's loss is
            sum_n w_n E_n / sum_n w_n (so integer weights equal repeated rows for full-batch
            GD, and with batch_size=1 a row's weight only decides whether it counts). A
            batch whose weights sum to 0 makes no update.
        class_weight : "balanced", dict or None
            Weigh each row by its class: "balanced" gives class c the weight
            n / (k * n_c) (k classes, n_c rows of class c; scikit-learn's definition), a dict
            maps labels to weights (other classes weigh 1). Multiplies ``sample_weight``.
            Needs class labels in memory: a 1-D ``Y`` and a classification loss.
        engine : {"per_sample", "chunked", "row_parallel"} or None
            How the epochs run (:mod:`fastmlp.engines`); None picks the fastest engine that
            supports the options, a name insists on one (a ValueError saying why when it
            cannot run them). The results agree to rounding.
        checkpoint : str, os.PathLike or None
            A file to record the fit in every ``checkpoint_every`` epochs (parameters,
            optimizer state, history, random state, epoch; written atomically). If the file
            exists when the fit starts, the fit continues from it: rerunning a killed
            script with the same call ends with the same parameters, bit for bit, as a fit
            never interrupted. A checkpoint of another network, other options or other data
            is refused (ValueError). A fit that finishes removes the file; one stopped by
            Ctrl-C keeps it. See :mod:`fastmlp.checkpoint`.
        checkpoint_every : int >= 1
            Epochs between checkpoints.

        Returns
        -------
        History

        Raises
        ------
        DivergenceError
            When the loss or a parameter becomes NaN or inf. The parameters (and optimizer
            state) are first restored to those at the end of the last completed epoch (the
            start of this fit when the first epoch diverged): the state ``history``
            describes, rather than the last finite one, which after a blow-up is typically
            finite but useless. With ``early_stopping``, the best validation epoch's
            parameters are restored instead.
        ValueError
            For an invalid option, and when the network's parameters already hold NaN or inf
            (set through ``net.weights`` or ``net.params``).

        Any exception leaves the network as it was before the call -- parameters, optimizer
        state, :attr:`classes_` -- when it comes from the data, also part-way through a
        streamed epoch (a memory-map block or a chunk that fails to read or to validate;
        the message names the block or chunk). Exceptions from the callback, and a second
        Ctrl-C, keep the epochs completed.
        """
        config = FitConfig.from_options(
            optimizer=optimizer, learning_rate=learning_rate, momentum=momentum,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, weight_decay=weight_decay,
            batch_size=batch_size, epochs=epochs, shuffle=shuffle, schedule=schedule,
            schedule_b=schedule_b, warmup_steps=warmup_steps, decay_steps=decay_steps,
            min_learning_rate=min_learning_rate, plateau_factor=plateau_factor,
            plateau_patience=plateau_patience, plateau_min_delta=plateau_min_delta,
            clip_value=clip_value, clip_norm=clip_norm, l1=l1, l2=l2, tol=tol,
            n_iter_no_change=n_iter_no_change, grad_tol=grad_tol,
            early_stopping=early_stopping, callback=callback, verbose=verbose, engine=engine)
        config = fitting.planned_decay(config, X, Y, "fit")
        if checkpoint is None:
            check.positive_int(checkpoint_every, "checkpoint_every")
        state = OptimizerState.fresh(config.optimizer, self.n_params, self.dtype)
        if class_weight is not None:
            sample_weight = with_class_weight(self, Y, sample_weight, class_weight)
        return fitting.run(self, X, Y, sample_weight, config, state, validation_data, seed,
                           checkpoint=(checkpoint, checkpoint_every))

    def partial_fit(self, X, Y=None, optimizer: str = "sgd", learning_rate: float = 0.1,
                    momentum: float = 0.9, batch_size: int | None = 1, shuffle: bool = True,
                    seed=None, *, beta_1: float = 0.9, beta_2: float = 0.999,
                    epsilon: float = 1e-8, weight_decay: float = 0.01,
                    schedule: str = "constant", schedule_b: float = 1.0,
                    warmup_steps: int = 0, decay_steps: int | None = None,
                    min_learning_rate: float = 0.0, clip_value: float | None = None,
                    clip_norm: float | None = None, l1: float = 0.0, l2: float = 0.0,
                    verbose: int = 0, sample_weight=None,
                    engine: str | None = None) -> History:
        """One pass over (X, Y) that continues the optimizer state -- velocity, Adam's
        moments and the update count t of the schedules and of Adam's bias correction --
        of the previous :meth:`partial_fit` or :meth:`fit` with the same optimizer.

        The first call, or a call with another optimizer than the state's, starts fresh
        state (as :meth:`fit` does); :meth:`reset` forgets it. With ``shuffle=False`` and
        batch boundaries that fall on the chunks' boundaries, k calls on k chunks give the
        parameters of one epoch over their concatenation. The options are those of
        :meth:`fit`. If the pass diverges, parameters and state are restored to those before
        the call and :class:`fastmlp.DivergenceError` is raised; any other exception leaves
        them (and :attr:`classes_`) as they were before the call too.

        Returns
        -------
        History
            Of this one pass.
        """
        config = FitConfig.from_options(
            optimizer=optimizer, learning_rate=learning_rate, momentum=momentum,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, weight_decay=weight_decay,
            batch_size=batch_size, epochs=1,
            shuffle=shuffle, schedule=schedule, schedule_b=schedule_b,
            warmup_steps=warmup_steps, decay_steps=decay_steps,
            min_learning_rate=min_learning_rate, clip_value=clip_value,
            clip_norm=clip_norm, l1=l1, l2=l2, verbose=verbose, engine=engine)
        if config.schedule == "plateau":
            raise ValueError("schedule='plateau' watches epochs, and partial_fit makes one "
                             "pass: use fit, or lower learning_rate between calls")
        config = fitting.planned_decay(config, X, Y, "partial_fit")
        state = self._optimizer_state
        if state is None or not state.fits(config.optimizer, self.n_params, self.dtype):
            state = OptimizerState.fresh(config.optimizer, self.n_params, self.dtype)
        return fitting.run(self, X, Y, sample_weight, config, state, None, seed)

    def diagnose(self, X, Y):
        """Gradient-health report on (X, Y): see :func:`fastmlp.diagnostics.diagnose`."""
        from .diagnostics import diagnose

        return diagnose(self, X, Y)

    def hessian(self, X, Y, l1: float = 0.0, l2: float = 0.0,
                sample_weight=None) -> np.ndarray:
        """The full (P, P) Hessian of :meth:`loss` with respect to :attr:`params` (same
        layout, float64, symmetric), by central differences of the compiled gradient; for
        networks of up to 2000 parameters, beyond which use :meth:`hessian_vector_product`
        or :meth:`curvature`. The parameters are left untouched. See
        :func:`fastmlp.curvature.hessian`."""
        from .curvature import hessian

        return hessian(self, X, Y, l1, l2, sample_weight)

    def hessian_vector_product(self, X, Y, v, l1: float = 0.0, l2: float = 0.0,
                               sample_weight=None) -> np.ndarray:
        """H v for a direction ``v`` (P,) in the layout of :attr:`params`, where H is the
        Hessian of :meth:`loss`, without forming H (two gradient passes, any size). See
        :func:`fastmlp.curvature.hessian_vector_product`."""
        from .curvature import hessian_vector_product

        return hessian_vector_product(self, X, Y, v, l1, l2, sample_weight)

    def curvature(self, X, Y, k: int = 1, l1: float = 0.0, l2: float = 0.0,
                  sample_weight=None, *, method: str = "auto"):
        """The k largest and k smallest eigenvalues of the Hessian of :meth:`loss` and the
        eigenvector of the smallest (the direction to escape a saddle point when it is
        negative), by Lanczos on Hessian-vector products or, for small networks, from the
        dense Hessian. See :func:`fastmlp.curvature.curvature`."""
        from .curvature import curvature

        return curvature(self, X, Y, k, l1, l2, sample_weight, method=method)

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
    if isinstance(activation, str):
        names = [activation] * n_hidden
    elif isinstance(activation, (list, tuple)):
        names = list(activation)
    else:
        raise TypeError(f"activation must be a name or a list of names (one per hidden "
                        f"layer), got {activation!r}")
    if len(names) != n_hidden:
        raise ValueError(f"activation must be one name or {n_hidden} names (one per hidden "
                         f"layer), got {len(names)}")
    for name in names:
        if name in ("softmax", "exp"):
            raise ValueError(f"activation {name!r} is only available as output_activation")
        lookup(ACTIVATIONS, name, "activation")
    return names
