"""fastmlp.reference is the test oracle and the benchmarks' baseline: production code does not
import it, and the diagnostics that used it run the compiled inference path instead."""

import ast
import os
import subprocess
import sys

import numpy as np
import pytest

import fastmlp
from fastmlp import reference
from fastmlp.diagnostics import hidden_preactivations, unit_health

PACKAGE = os.path.dirname(os.path.abspath(fastmlp.__file__))
#: Modules of the package that may use the oracle: itself and the benchmarks.
ORACLE_USERS = {"fastmlp.reference", "fastmlp.bench"}
#: Modules outside fastmlp/bench that time the oracle as a baseline, and why.
BASELINE_DEMOS = {
    # `fastmlp demo`: trains the digits and reports the speed-up over reference.py on the
    # same work -- a benchmark shown to users
    "fastmlp.cli.digits_demo",
}


def module_names():
    """(module name, path) of every Python file of the package."""
    for folder, _, files in os.walk(PACKAGE):
        for file in sorted(files):
            if file.endswith(".py"):
                path = os.path.join(folder, file)
                parts = os.path.relpath(path, os.path.dirname(PACKAGE))[: -len(".py")]
                parts = parts.split(os.sep)
                if parts[-1] == "__init__":
                    parts.pop()
                yield ".".join(parts), path


def imported_modules(name: str, path: str) -> set:
    """Every module ``path`` imports, anywhere in it (functions included), as absolute names;
    ``from package import name`` counts as importing ``package.name`` too."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    is_package = path.endswith("__init__.py")
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            found.add(str(node.args[0].value))
    return found


def uses_oracle(imports: set) -> bool:
    return any(m == "fastmlp.reference" or m.startswith("fastmlp.reference.") for m in imports)


def is_oracle_user(name: str) -> bool:
    return any(name == user or name.startswith(user + ".") for user in ORACLE_USERS)


def test_the_import_scan_sees_each_way_of_importing_the_oracle(tmp_path):
    # guards the test below: relative, absolute and function-level imports all count
    for source, name in [("from . import reference", "fastmlp.x"),
                         ("from .. import reference", "fastmlp.sub.x"),
                         ("from .reference import forward", "fastmlp.x"),
                         ("def f():\n    import fastmlp.reference", "fastmlp.x"),
                         ("from fastmlp import reference as r", "fastmlp.sub.x"),
                         ("import importlib\nimportlib.import_module('fastmlp.reference')",
                          "fastmlp.x")]:
        path = tmp_path / "x.py"
        path.write_text(source)
        assert uses_oracle(imported_modules(name, str(path))), source
    path.write_text("from . import references, reference_free\nimport fastmlp.referee")
    assert not uses_oracle(imported_modules("fastmlp.x", str(path)))


def test_production_modules_do_not_import_the_oracle():
    modules = dict(module_names())
    assert "fastmlp.diagnostics" in modules and "fastmlp.engines.per_sample" in modules
    offenders = sorted(name for name, path in modules.items()
                       if not is_oracle_user(name) and name not in BASELINE_DEMOS
                       and uses_oracle(imported_modules(name, path)))
    assert offenders == []
    # the exceptions are still needed (an entry no longer needed is removed)
    for name in BASELINE_DEMOS:
        assert uses_oracle(imported_modules(name, modules[name])), name


def test_training_predicting_diagnosing_and_saving_never_load_the_oracle(tmp_path):
    script = f"""
import sys, numpy as np, fastmlp
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 4)) * 500  # unscaled: the guard rails look at every layer
y = np.where(X[:, 0] > 0, "a", "b")
net = fastmlp.MLP((4, 6, 5, 1), ["relu", "tanh"], "sigmoid", "binary_cross_entropy", seed=0)
net.fit(X, y, epochs=2, batch_size=8)
net.predict(X); net.diagnose(X, net.predict(X))
net.save({str(tmp_path / "m.npz")!r}); fastmlp.MLP.load({str(tmp_path / "m.npz")!r})
print(sorted(m for m in sys.modules if m.startswith("fastmlp.reference")))
"""
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", script], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def truncated(net, layers: int, activation: str = "identity"):
    """The network's first ``layers`` weight layers as an MLP of their own, ending in
    ``activation`` (predict then gives that layer's z, or its activations)."""
    head = fastmlp.MLP(net.layer_sizes[: layers + 1], list(net.activations[: layers - 1]),
                       activation, dtype=net.dtype, leaky_relu_slope=net.leaky_relu_slope,
                       elu_alpha=net.elu_alpha)
    head.params = net.params[: head.n_params]
    return head


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_hidden_preactivations_are_those_predict_computes(dtype):
    net = fastmlp.MLP((5, 7, 6, 9, 4, 3), ["elu", "leaky_relu", "tanh", "logistic"],
                      "softmax", "cross_entropy", dtype=dtype, init="normal", init_scale=0.8,
                      bias_init=0.1, leaky_relu_slope=0.3, elu_alpha=1.7, seed=1)
    X = np.random.default_rng(2).normal(size=(300, 5))  # over a chunk: two of them
    zs = hidden_preactivations(net, X)
    assert [z.shape for z in zs] == [(300, 7), (300, 6), (300, 9), (300, 4)]
    assert all(z.dtype == dtype for z in zs)
    # beyond the first layer, the compiled inference pass: the bits of predict
    for l in range(2, 5):
        np.testing.assert_array_equal(zs[l - 1], truncated(net, l).predict(X))
    # the first layer's product in NumPy: to rounding
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(zs[0], truncated(net, 1).predict(X), rtol=tol, atol=tol)
    # and the oracle agrees
    ref, _ = reference.forward(net.params.astype(np.float64), list(net.layer_sizes),
                               list(net.activations), list(net.activation_params),
                               X.astype(net.dtype).astype(np.float64))
    for z, z_ref in zip(zs, ref[:-1]):
        np.testing.assert_allclose(z, z_ref, rtol=tol, atol=tol)
    assert hidden_preactivations(fastmlp.MLP((5, 3), seed=0), X) == []


def test_unit_health_counts_dead_and_saturated_units_in_deep_layers():
    net = fastmlp.MLP((4, 8, 10, 6, 2), ["tanh", "relu", "sigmoid"], seed=0)
    net.biases[1][:5] = -1e3  # half of layer 2's relu units never fire
    net.biases[2][:3] = 50.0  # half of layer 3's sigmoid units saturate
    X = np.random.default_rng(0).normal(size=(40, 4))
    dead, saturated = unit_health(net, X)
    assert dead == {2: 0.5}
    assert saturated == {1: 0.0, 3: 0.5}
    net.weights[0][...] = 40.0  # every tanh unit of layer 1 saturates
    X = np.abs(X) + 1
    assert unit_health(net, X)[1][1] == 1.0
