"""The rules that keep the cold compile short, checked instead of remembered.

- Compiled variants only where they are meant: after fits of every configuration, each
  kernel's compiled signatures differ only in the dtype, in the optimizer family (Adam's 2-D
  slots against the 1-D ones of the other rules) and in optional arguments (``clip``: None
  or a value). The per-sample kernel's sample weights are an array always (empty: every row
  weighs 1), so weighted fits share the unweighted fits' kernel.
  Any other difference (an int argument passed as a bool somewhere, a float as an int, a
  non-contiguous array) means another full compile of the kernel and of everything inlined
  into it.
- Inlining depth: a helper compiled into its caller (``inline="always"``) is copied block by
  block with its own inlined helpers, so nesting multiplies the compile time. The chunk
  drivers copy in helpers that copy in nothing; the per-sample kernel allows one more level.
- Single call sites: the per-sample kernel's inlined layer pass and output stage are called
  from one place each (every call site is one more inlined copy).
- No slice assignment (``a[i:j] = b``) in the per-sample kernel or its inlined helpers: it
  compiles Numba's shape-mismatch error message (string formatting helpers).
"""

import ast
import importlib
import inspect
import itertools
import pkgutil
import re
import textwrap

import numpy as np
import pytest
from numba import types
from numba.core.registry import CPUDispatcher

import fastmlp
from fastmlp import engines, kernels
from fastmlp.engines import chunked, per_sample
from fastmlp.kernels import passes

INLINE_DEPTH = {chunked._train_epoch: 1, passes.loss_and_gradient: 1, passes.forward: 1,
                per_sample._train_epoch: 2}


def compiled_functions():
    """Every Numba dispatcher defined in fastmlp.kernels and fastmlp.engines."""
    found = {}
    for package in (kernels, engines):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for name, obj in vars(module).items():
                if isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == module.__name__:
                    found[f"{module.__name__}.{name}"] = obj
    return found


def is_inlined(dispatcher) -> bool:
    return dispatcher.targetoptions.get("inline") == "always"


def called_dispatchers(dispatcher):
    """The dispatchers a compiled function calls by name."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(dispatcher.py_func)))
    names = {node.func.id for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    scope = dispatcher.py_func.__globals__
    return [scope[name] for name in sorted(names)
            if isinstance(scope.get(name), CPUDispatcher)]


def inline_depth(dispatcher) -> int:
    """How deep inlined helpers nest below this function (0: it inlines nothing)."""
    return max([1 + inline_depth(callee) for callee in called_dispatchers(dispatcher)
                if is_inlined(callee)], default=0)


def every_configuration():
    """Fits, passes and inference of every kind, in both dtypes."""
    rng = np.random.default_rng(0)
    for dtype in ("float32", "float64"):
        X = rng.normal(size=(40, 3))
        Y = rng.uniform(size=(40, 2))
        w = rng.uniform(0, 2, 40)
        for optimizer in ("sgd", "momentum", "nesterov", "adam"):
            for batch_size in (1, 7, None):
                for extra in ({}, dict(clip_norm=0.5), dict(clip_value=0.5, l1=0.01, l2=0.01),
                              dict(schedule="inverse"), dict(sample_weight=w)):
                    net = fastmlp.MLP((3, 5, 2), dtype=dtype, seed=0)
                    net.fit(X, Y, optimizer=optimizer, batch_size=batch_size, epochs=2,
                            seed=0, **extra)
                    net.partial_fit(X, Y, optimizer=optimizer, batch_size=batch_size, **extra)
        net = fastmlp.MLP((3, 5, 2), dtype=dtype, seed=0)
        net.fit(X, Y, epochs=2, validation_data=(X, Y), early_stopping=True, grad_tol=1e-9)
        net.loss(X, Y, l2=0.1)
        net.gradient(X, Y, sample_weight=w)
        net.predict(X)
        wide = fastmlp.MLP((3, 300, 40, 2), output_activation="softmax", loss="cross_entropy",
                           dtype=dtype, seed=0)  # products large enough for BLAS
        wide.fit(X, np.eye(2)[rng.integers(0, 2, 40)], batch_size=40, epochs=1)
        wide.predict(X)
        fastmlp.set_num_threads(2)
        try:
            many = rng.normal(size=(5000, 3))
            net.fit(many, rng.uniform(size=(5000, 2)), batch_size=None, epochs=1,
                    optimizer="nesterov")
            net.predict(many)
        finally:
            fastmlp.set_num_threads(None)
        # the Poisson loss and exp output: branches of the same kernels, no variant of their own
        counts = fastmlp.MLP((3, 5, 2), "tanh", "exp", "poisson", dtype=dtype, seed=0)
        for batch_size in (1, 7):
            counts.fit(X, rng.poisson(1.0, size=(40, 2)), batch_size=batch_size, epochs=1)
        counts.predict(X)


@pytest.fixture(scope="module")
def every_configuration_run():
    """every_configuration() once for the module: the tests below read the signatures it
    leaves on the kernels (a second run would compile nothing new, only fit again)."""
    every_configuration()


def normalized(argument) -> str:
    """An argument type with what may vary between variants made the same: the dtype and the
    arrays' number of dimensions (Adam's 2-D slots)."""
    text = str(argument).replace("float32", "float64")
    text = re.sub(r"Array\((\w+), \d, ", r"Array(\1, N, ", text)
    return re.sub(r"array\((\w+), \dd, ", r"array(\1, Nd, ", text)


def meant_variants(a, b) -> bool:
    """Whether two signatures of a kernel differ only as meant: in dtype, optimizer family,
    and in optional arguments (None in one, a value in the other: ``clip``, the per-sample
    kernel's ``sample_weight``)."""
    return len(a) == len(b) and all(
        normalized(x) == normalized(y) or types.none in (x, y) for x, y in zip(a, b))


def test_kernels_compile_only_the_variants_they_are_meant_to(every_configuration_run):
    functions = compiled_functions()
    assert len(functions) > 20
    for name, dispatcher in functions.items():
        if is_inlined(dispatcher):
            continue  # copied into callers: never compiled on its own
        signatures = dispatcher.signatures
        for a, b in itertools.combinations(signatures, 2):
            assert meant_variants(a, b), f"{name} compiled for {a} and {b}"


def test_weighted_and_clipped_per_sample_fits_share_the_plain_kernel():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(30, 3)), rng.uniform(size=(30, 2))
    plain = fastmlp.MLP((3, 4, 2), seed=0)
    plain.fit(X, Y, batch_size=1, epochs=2, seed=1, engine="per_sample")
    signatures = list(per_sample._train_epoch.signatures)
    weighted = fastmlp.MLP((3, 4, 2), seed=0)
    weighted.fit(X, Y, batch_size=1, epochs=2, seed=1, engine="per_sample",
                 sample_weight=np.ones(30))
    assert list(per_sample._train_epoch.signatures) == signatures
    assert np.array_equal(weighted.params, plain.params)  # weights of 1: the same bits
    skipping = fastmlp.MLP((3, 4, 2), seed=0)
    skipping.fit(X, Y, batch_size=1, epochs=2, seed=1, engine="per_sample",
                 sample_weight=np.r_[np.ones(29), 0.0])
    assert not np.array_equal(skipping.params, plain.params)  # a weight of 0 skips the row
    clipped = fastmlp.MLP((3, 4, 2), seed=0)
    clipped.fit(X, Y, batch_size=1, epochs=2, seed=1, engine="per_sample", clip_norm=0.05)
    assert list(per_sample._train_epoch.signatures) == signatures  # clipping: run time too
    assert not np.array_equal(clipped.params, plain.params)


def test_the_fit_compiles_the_epoch_kernels_it_needs(every_configuration_run):
    # chunked: dtype x rule family (``moments``, from fastmlp.rules: every rule of a family
    # shares a kernel; clipping and weights are decided at run time); per-sample: dtype x
    # family (clipping and weights at run time too); passes: dtype (counted in the notes' forms:
    # scikit-learn's estimators, tested elsewhere in the same process, add their own
    # variants with the argument ``sklearn`` True, and fits with dropout theirs with the
    # argument ``dropout`` set: tests/test_dropout.py checks those)
    expected = {chunked._train_epoch: 4, per_sample._train_epoch: 4,
                passes.loss_and_gradient: 2, passes.forward: 2}
    for kernel, count in expected.items():
        names = list(inspect.signature(kernel.py_func).parameters)
        notes = [sig for sig in kernel.signatures
                 if all(name not in names or sig[names.index(name)] == types.none
                        for name in ("sklearn", "dropout"))]
        assert len(notes) == count, kernel


def test_only_the_scikit_learn_convention_compiles_its_forms():
    # the kernels' argument sklearn: None prunes scikit-learn's forms (kernels.optimizers)
    from fastmlp.config import FitConfig

    assert FitConfig.from_options().sklearn_forms() is None
    assert FitConfig.from_options(convention="scikit-learn").sklearn_forms() is True
    for optimizer in ("nesterov", "adam"):
        notes = FitConfig.from_options(optimizer=optimizer).rule()
        sklearn = FitConfig.from_options(optimizer=optimizer, convention="scikit-learn").rule()
        assert notes.optimizer != sklearn.optimizer


def test_the_variant_check_sees_other_differences():
    # guards the test above: an int where a float was compiled is another variant
    a = (types.float32[::1], types.int64, types.none)
    b = (types.float64[:, ::1], types.int64, types.UniTuple(types.float64, 2))
    c = (types.float64[::1], types.float64, types.none)
    d = (types.float64[:], types.int64, types.none)  # not C-contiguous
    assert meant_variants(a, b)
    assert not meant_variants(a, c) and not meant_variants(a, d)


@pytest.mark.parametrize("kernel,depth", INLINE_DEPTH.items(),
                         ids=lambda k: getattr(k, "__qualname__", str(k)))
def test_inlined_helpers_do_not_nest_deeper_than_allowed(kernel, depth):
    assert inline_depth(kernel) <= depth


def test_the_depth_check_sees_nesting():
    # guards the test above: the per-sample kernel does nest two levels
    assert inline_depth(per_sample._train_epoch) == 2
    assert inline_depth(chunked._train_epoch) == 1


def count_calls(function, name) -> int:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return sum(1 for node in ast.walk(tree) if isinstance(node, ast.Call)
               and isinstance(node.func, ast.Name) and node.func.id == name)


def test_per_sample_inlined_helpers_have_one_call_site():
    for helper in ("layer_pass", "adam_layer_pass", "output_row",
                   "forward_layer_row"):
        assert count_calls(per_sample._train_epoch.py_func, helper) == 1, helper


def slice_assignments(function) -> list[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AugAssign) else [])
        for target in targets:
            if isinstance(target, ast.Subscript) and any(
                    isinstance(part, ast.Slice) for part in ast.walk(target.slice)):
                found.append(ast.unparse(target))
    return found


def test_no_slice_assignment_in_the_per_sample_kernel():
    functions = [per_sample._train_epoch] + [
        callee for callee in called_dispatchers(per_sample._train_epoch) if is_inlined(callee)]
    for function in functions:
        assert slice_assignments(function.py_func) == [], function.py_func.__name__


def test_the_slice_check_sees_slice_assignments():
    def assigns(a, b):
        a[1:3] = b
        a[0] = 1

    assert slice_assignments(assigns) == ["a[1:3]"]
