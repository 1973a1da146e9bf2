"""PyTorch peers written the way an expert writes them, doing fastmlp's work.

Both start from fastmlp's initial parameters (``MLP(..., seed=0)``; ``nn.Linear`` keeps its
weight as (n_out, n_in), the transpose of fastmlp's) and take the same plain SGD steps on the
same loss, with PyTorch's intra-op pool set to the machine's two cores
(``torch.set_num_threads(2)``) -- its default would be the same here, but the bench says so:

* :func:`prepare_torch_eager` -- ``nn.Sequential``, ``torch.optim.SGD`` (its ``foreach``
  update), each epoch's rows permuted once and the batches taken as views;
* :func:`prepare_torch_compile` -- a functional step (``torch.func.grad`` of the loss of a
  parameter list, then ``p - lr * g``) compiled by ``torch.compile``; None where compiling
  fails on this machine (the C++ compiler that Inductor needs, for one).
"""

from __future__ import annotations

import numpy as np

from .. import MLP
from .cases import Case

THREADS = 2

_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")


def _setup(case: Case, X, Y):
    """(torch, start parameters as tensors [W^T, b, ...], logits function, loss function,
    X tensor, target tensor), or None when the case is not expressed alike here."""
    import torch

    if case.optimizer != "sgd" or case.activation not in _ACTIVATIONS:
        return None  # torch's momentum and Nesterov are written in other forms
    if not (case.loss == "cross_entropy"
            or (case.loss == "mse" and case.output_activation == "sigmoid")):
        return None
    torch.set_num_threads(THREADS)
    net = MLP(case.layer_sizes, case.activation, case.output_activation, case.loss,
              dtype=case.dtype, seed=0)
    weights, biases = net.layout.unflatten(net.params)
    start = []
    for W, b in zip(weights, biases):
        start += [torch.from_numpy(np.ascontiguousarray(W.T)), torch.from_numpy(b.copy())]
    hidden = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
              "identity": lambda z: z}[case.activation]
    linear = torch.nn.functional.linear

    def logits(params, x):
        for l in range(0, len(params) - 2, 2):
            x = hidden(linear(x, params[l], params[l + 1]))
        return linear(x, params[-2], params[-1])

    if case.loss == "cross_entropy":
        target = torch.from_numpy(Y.argmax(axis=1))  # softmax folded into the loss

        def loss(z, t):
            return torch.nn.functional.cross_entropy(z, t)
    else:
        target = torch.from_numpy(Y)

        def loss(z, t):  # fastmlp's mse sums over outputs and averages over rows
            return ((torch.sigmoid(z) - t) ** 2).sum() / z.shape[0]

    return torch, start, logits, loss, torch.from_numpy(X), target


def _outputs(torch, case, z):
    if case.output_activation == "softmax":
        return torch.softmax(z, dim=1)
    return torch.sigmoid(z) if case.output_activation == "sigmoid" else z


def _flat(torch, params) -> np.ndarray:
    """Parameters in fastmlp's flat layout (W^(1) as (n_in, n_out), b^(1), ...)."""
    parts = []
    for l in range(0, len(params), 2):
        parts += [params[l].detach().T.contiguous().reshape(-1), params[l + 1].detach()]
    return torch.cat(parts).numpy()


def _batches(torch, case, n, generator):
    """The epoch's batches as (start, stop) over rows permuted once (or in order)."""
    b = case.batch_size or n
    order = torch.randperm(n, generator=generator) if case.shuffle else None
    return order, [(first, min(first + b, n)) for first in range(0, n, b)]


def prepare_torch_eager(case: Case, X, Y):
    """``nn.Sequential`` trained by ``torch.optim.SGD`` in eager mode; a forward case runs
    the model under ``torch.inference_mode``."""
    setup = _setup(case, X, Y)
    if setup is None:
        return None
    torch, start, logits, loss, Xt, target = setup
    sizes = case.layer_sizes
    layers: list = []
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(n_in, n_out, dtype=Xt.dtype))
        if l < len(sizes) - 2:
            layers.append({"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh,
                           "relu": torch.nn.ReLU, "identity": torch.nn.Identity}
                          [case.activation]())
    model = torch.nn.Sequential(*layers)
    params = list(model.parameters())  # W^T, b per layer: the order of ``start``

    def reset():
        with torch.no_grad():
            for p, p0 in zip(params, start):
                p.copy_(p0)

    if case.mode == "forward":
        reset()

        def infer():
            with torch.inference_mode():
                return _outputs(torch, case, model(Xt)).numpy()
        return infer

    optimizer = torch.optim.SGD(params, lr=case.learning_rate)
    generator = torch.Generator().manual_seed(0)
    n = len(X)

    def work():
        reset()
        for _ in range(case.epochs):
            order, batches = _batches(torch, case, n, generator)
            xs, ts = (Xt, target) if order is None else (Xt[order], target[order])
            for first, stop in batches:
                optimizer.zero_grad()
                loss(model(xs[first:stop]), ts[first:stop]).backward()
                optimizer.step()
        return _flat(torch, params)

    work()
    return work


def prepare_torch_compile(case: Case, X, Y):
    """A functional SGD step compiled by ``torch.compile``, called per batch; a forward
    case is the compiled outputs function. None when ``torch.compile`` fails here."""
    setup = _setup(case, X, Y)
    if setup is None:
        return None
    torch, start, logits, loss, Xt, target = setup
    lr = case.learning_rate

    if case.mode == "forward":
        forward = torch.compile(lambda params, x: _outputs(torch, case, logits(params, x)))

        def infer():
            with torch.inference_mode():
                return forward(start, Xt).numpy()
        try:
            infer()
        except Exception as exc:  # Inductor's errors have no common base class
            _report_failure(case, exc)
            return None
        return infer

    gradient = torch.func.grad(lambda params, x, t: loss(logits(params, x), t))

    @torch.compile
    def step(params, x, t):
        return [p - lr * g for p, g in zip(params, gradient(params, x, t))]

    generator = torch.Generator().manual_seed(0)
    n = len(X)

    def work():
        params = list(start)
        for _ in range(case.epochs):
            order, batches = _batches(torch, case, n, generator)
            xs, ts = (Xt, target) if order is None else (Xt[order], target[order])
            for first, stop in batches:
                params = step(params, xs[first:stop], ts[first:stop])
        return _flat(torch, params)

    try:
        work()  # compiled here, for the full batches and the short last one
    except Exception as exc:
        _report_failure(case, exc)
        return None
    return work


def _report_failure(case, exc):
    print(f"(torch.compile failed on {case.name}: {type(exc).__name__}: "
          f"{str(exc).splitlines()[0] if str(exc) else ''}; skipped)")
