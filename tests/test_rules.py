"""The registry of update rules (fastmlp.rules) is the one place an optimizer is described:
the fit options, the optimizer state, the oracle and the kernels follow it. AdamW, added
through it, is checked against an independent implementation of PyTorch's algorithm."""

import inspect

import numpy as np
import pytest

import fastmlp
from fastmlp import reference, rules
from fastmlp.config import FitConfig
from fastmlp.kernels import optimizers
from fastmlp.optimize import minimize
from fastmlp.state import OptimizerState

#: Options of fit that are not FitConfig fields (data, seeds, checkpoints), and FitConfig
#: fields that fit does not take (set by the scikit-learn layer).
FIT_ONLY = {"self", "X", "Y", "seed", "validation_data", "sample_weight", "class_weight",
            "checkpoint", "checkpoint_every"}
CONFIG_ONLY = {"convention", "dropout"}  # dropout: the network's, MLP(dropout=)
#: The options that act between epochs (stopping, reduce-on-plateau), which partial_fit
#: (one pass) does not take.
STOPPING = {"epochs", "tol", "n_iter_no_change", "grad_tol", "early_stopping", "callback",
            "plateau_factor", "plateau_patience", "plateau_min_delta"}


def keyword_defaults(function) -> dict:
    return {name: p.default for name, p in inspect.signature(function).parameters.items()}


def config_defaults() -> dict:
    return {name: getattr(FitConfig, name) for name in FitConfig.__dataclass_fields__}


def test_fit_and_partial_fit_take_every_option_with_the_configs_defaults():
    config = {k: v for k, v in config_defaults().items() if k not in CONFIG_ONLY}
    fit = {k: v for k, v in keyword_defaults(fastmlp.MLP.fit).items() if k not in FIT_ONLY}
    assert fit == config
    partial = {k: v for k, v in keyword_defaults(fastmlp.MLP.partial_fit).items()
               if k not in FIT_ONLY}
    assert partial == {k: v for k, v in config.items() if k not in STOPPING}


def test_every_fit_option_is_documented():
    doc = fastmlp.MLP.fit.__doc__
    for name in keyword_defaults(fastmlp.MLP.fit):
        if name != "self":
            assert f"\n        {name} :" in doc or f", {name} :" in doc or f"{name}, " in doc, \
                name


def test_hyperparameters_come_from_the_registry():
    for name, hyper in rules.HYPERPARAMETERS.items():
        assert getattr(FitConfig, name) == hyper.default
        assert keyword_defaults(minimize)[name] == hyper.default
    for rule in rules.RULES.values():
        assert set(rule.hyperparameters) <= set(rules.HYPERPARAMETERS)
    with pytest.raises(ValueError, match=r"weight_decay must be a non-negative finite number"):
        FitConfig.from_options(optimizer="adamw", weight_decay=-1.0)
    with pytest.raises(ValueError, match=r"beta_2 must be in \[0, 1\), got 1.0"):
        FitConfig.from_options(optimizer="adam", beta_2=1.0)
    with pytest.raises(ValueError, match="unknown optimizer 'lion'; choose one of 'sgd', "
                       "'momentum', 'nesterov', 'adam', 'adamw'"):
        FitConfig.from_options(optimizer="lion")


def test_codes_are_distinct_and_slots_follow_the_registry():
    codes = [rule.code for rule in rules.RULES.values()]
    codes += [optimizers.NESTEROV_SKLEARN, optimizers.ADAM_SKLEARN]
    assert len(set(codes)) == len(codes)
    for name, rule in rules.RULES.items():
        state = OptimizerState.fresh(name, 7, np.float32)
        assert state.slots.shape == (rule.n_slots, 7) and state.slots.dtype == np.float32


@pytest.mark.parametrize("name", list(rules.RULES))
def test_the_oracle_knows_every_rule(name):
    X = np.random.default_rng(0).normal(size=(16, 3))
    theta = fastmlp.MLP((3, 2), seed=0).params
    out, losses = reference.train(theta, (3, 2), ["identity"], [0.0], "mse", X, X[:, :2],
                                  optimizer=name, epochs=1)
    assert np.all(np.isfinite(out)) and not np.array_equal(out, theta)


# --- AdamW -------------------------------------------------------------------------------

def torch_adamw(theta, grad_at, steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    """``torch.optim.AdamW.step`` (its single-tensor path, float64) written out: decay by
    ``param.mul_(1 - lr * weight_decay)``, ``exp_avg.lerp_(grad, 1 - beta1)``,
    ``exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)``, then
    ``param.addcdiv_(exp_avg, exp_avg_sq.sqrt() / sqrt(bias_correction2) + eps,
    value=-lr / bias_correction1)``. Independent of fastmlp's kernels and reference."""
    beta1, beta2 = betas
    theta = theta.copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t in range(1, len(steps) + 1):
        g = grad_at(theta, steps[t - 1])
        theta *= 1 - lr * weight_decay
        m += (g - m) * (1 - beta1)
        v = v * beta2 + g * g * (1 - beta2)
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        denom = np.sqrt(v) / np.sqrt(bias_correction2) + eps
        theta -= lr / bias_correction1 * (m / denom)
    return theta


ENGINES = [("per_sample", 1, 64), ("chunked", 8, 64), ("chunked", None, 64),
           ("row_parallel", None, 4096)]


@pytest.mark.parametrize("engine, batch_size, n", ENGINES)
def test_adamw_equals_pytorchs_algorithm_on_every_engine(engine, batch_size, n):
    sizes = (4, 6, 3)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4))
    Y = rng.uniform(size=(n, 3))
    net = fastmlp.MLP(sizes, "tanh", "sigmoid", "mse", seed=0)
    theta0 = net.params.copy()
    options = dict(optimizer="adamw", learning_rate=0.01, weight_decay=0.05,
                   batch_size=batch_size, epochs=1, shuffle=False, engine=engine)
    threads = fastmlp.get_num_threads()
    try:
        fastmlp.set_num_threads(2 if engine == "row_parallel" else 1)
        net.fit(X, Y, **options)
    finally:
        fastmlp.set_num_threads(threads)
    batch = n if batch_size is None else batch_size
    batches = [slice(s, s + batch) for s in range(0, n, batch)]

    def grad_at(theta, rows):
        return reference.loss_and_gradient(theta, sizes, ["tanh", "sigmoid"], [0.0, 0.0],
                                           "mse", X[rows], Y[rows])[1]

    expected = torch_adamw(theta0, grad_at, batches, lr=0.01, weight_decay=0.05)
    np.testing.assert_allclose(net.params, expected, rtol=1e-12, atol=1e-12)
    assert not np.allclose(expected, torch_adamw(theta0, grad_at, batches, lr=0.01,
                                                 weight_decay=0.0), rtol=1e-6, atol=0)


@pytest.mark.parametrize("engine, batch_size, n", ENGINES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_adamw_without_decay_is_adam_to_the_bit(engine, batch_size, n, dtype):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, 4))
    Y = rng.uniform(size=(n, 3))
    results = []
    threads = fastmlp.get_num_threads()
    try:
        fastmlp.set_num_threads(2 if engine == "row_parallel" else 1)
        for options in (dict(optimizer="adam"), dict(optimizer="adamw", weight_decay=0.0)):
            net = fastmlp.MLP((4, 6, 3), "relu", "identity", "mse", dtype=dtype, seed=0)
            net.fit(X, Y, learning_rate=0.01, batch_size=batch_size, epochs=2, seed=3,
                    engine=engine, **options)
            results.append(net.params)
    finally:
        fastmlp.set_num_threads(threads)
    assert np.array_equal(results[0], results[1])


def test_adamw_partial_fit_continues_its_moments():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(64, 4))
    Y = rng.uniform(size=(64, 3))
    whole = fastmlp.MLP((4, 5, 3), seed=0)
    whole.fit(X, Y, optimizer="adamw", batch_size=8, epochs=1, shuffle=False)
    parts = fastmlp.MLP((4, 5, 3), seed=0)
    for rows in (slice(0, 32), slice(32, 64)):
        parts.partial_fit(X[rows], Y[rows], optimizer="adamw", batch_size=8, shuffle=False)
    np.testing.assert_array_equal(parts.params, whole.params)


def test_the_command_line_offers_every_rule():
    from fastmlp.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    train = commands.choices["train"]
    optimizer = next(a for a in train._actions if a.dest == "optimizer")
    assert set(optimizer.choices) == set(rules.RULES)
