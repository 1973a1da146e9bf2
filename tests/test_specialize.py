"""The tiered per-sample kernels (fastmlp.engines.specialize): the kernel specialized on a
network's sizes computes the same bits as the general one, for every activation, loss,
optimizer, dtype, clipping and weighting; a fit switches at an epoch boundary without
changing its results; a child process that fails, or a kernel that cannot take the
arguments, leaves the fit on the general kernel.

The specialized kernels are compiled for real, by the child processes a user's fit starts.
"""

import subprocess
import sys

import numpy as np
import pytest
from helpers import HIDDEN, OUTPUT_LOSS

import fastmlp
from fastmlp.engines import per_sample, specialize

# The fits compare bits over every activation and loss on random data at large steps: the
# guard rail's after-training warnings about dead or saturated units are expected there.
pytestmark = pytest.mark.filterwarnings(
    "ignore:fastmlp. after training, .* units are (dead|saturated):UserWarning")

SHAPE = (3, 5, 4, 2)
N_ROWS = 300


@pytest.fixture
def fresh(monkeypatch, children_at_normal_priority):
    """This module's own tier state: counts and kernels start empty, and every per-sample fit
    asks for its specialized kernel at once."""
    monkeypatch.setattr(specialize, "_updates", {})
    monkeypatch.setattr(specialize, "_kernels", {})
    monkeypatch.setattr(specialize, "SPECIALIZE_UPDATES", 0)
    monkeypatch.delenv("FASTMLP_SPECIALIZE", raising=False)
    if not specialize.enabled():
        pytest.skip("no writable kernel cache: nothing is specialized")
    return monkeypatch


def data(output, loss, dtype="float64", shape=SHAPE, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_ROWS, shape[0])).astype(dtype)
    if loss == "cross_entropy":
        Y = np.eye(shape[-1], dtype=dtype)[rng.integers(0, shape[-1], N_ROWS)]
    elif loss == "poisson":
        # small counts: the per-sample steps below (nesterov at 0.05) overshoot larger ones
        Y = rng.poisson(0.3, size=(N_ROWS, shape[-1])).astype(dtype)
    elif output in ("sigmoid", "softmax") or loss == "binary_cross_entropy":
        Y = rng.uniform(size=(N_ROWS, shape[-1])).astype(dtype)
    else:
        Y = rng.normal(size=(N_ROWS, shape[-1])).astype(dtype)
    return X, Y


def fit(hidden, output, loss, dtype, options, weights=None, shape=SHAPE):
    net = fastmlp.MLP(shape, activation=hidden, output_activation=output, loss=loss,
                      dtype=dtype, seed=3)
    X, Y = data(output, loss, dtype, shape)
    history = net.fit(X, Y, sample_weight=weights, batch_size=1, epochs=3, seed=5,
                      engine="per_sample", **options)
    return net.params.copy(), history


def general_only(*args, **kwargs):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FASTMLP_SPECIALIZE", "0")
        return fit(*args, **kwargs)


def assert_same_bits(one, other):
    (params_1, history_1), (params_2, history_2) = one, other
    np.testing.assert_array_equal(params_1, params_2)
    np.testing.assert_array_equal(history_1.loss, history_2.loss)
    np.testing.assert_array_equal(history_1.grad_norms, history_2.grad_norms)


def refuse_general_kernel(monkeypatch):
    """Make the general kernel fail if called: a fit that still runs ran the specialized one
    in every epoch."""
    def general(*args):
        raise AssertionError("the general kernel ran")
    monkeypatch.setattr(per_sample, "_train_epoch", general)


#: One compiled kernel pair per line (dtype, optimizer family, clipping and weights decide
#: the signature, the sizes the specialization); the activations and losses are run-time
#: codes of the same kernels. The wider network's layers are long enough for LLVM to
#: vectorize their loops in the specialized kernel.
SIGNATURES = [
    pytest.param("float64", {"optimizer": "sgd", "learning_rate": 0.05}, False, SHAPE,
                 id="f64-sgd"),
    pytest.param("float32", {"optimizer": "adam", "learning_rate": 0.01}, False, SHAPE,
                 id="f32-adam"),
    pytest.param("float64", {"optimizer": "momentum", "learning_rate": 0.05, "clip_norm": 0.5},
                 False, SHAPE, id="f64-momentum-clip_norm"),
    pytest.param("float64", {"optimizer": "nesterov", "learning_rate": 0.05}, True, SHAPE,
                 id="f64-nesterov-weights"),
    pytest.param("float32", {"optimizer": "sgd", "learning_rate": 0.05, "clip_norm": 0.5,
                             "schedule": "inverse"}, True, SHAPE,
                 id="f32-sgd-clip_norm-schedule-weights"),
    pytest.param("float32", {"optimizer": "sgd", "learning_rate": 0.02}, False, (24, 19, 16),
                 id="f32-sgd-24-19-16"),
]


@pytest.mark.parametrize("dtype, options, weighted, shape", SIGNATURES)
def test_the_specialized_kernel_computes_the_general_kernels_bits(fresh, dtype, options,
                                                                  weighted, shape):
    weights = (np.random.default_rng(1).uniform(0, 2, N_ROWS) * (np.arange(N_ROWS) % 7 != 0)
               if weighted else None)
    fit("tanh", "sigmoid", "mse", dtype, options, weights, shape)  # asks for the kernel
    assert specialize.wait(timeout=600)
    (entry,) = specialize._kernels.values()
    assert entry.kernel is not None and not entry.failed
    general_kernel = per_sample._train_epoch
    refuse_general_kernel(fresh)
    combos = [(hidden, "sigmoid", "mse") for hidden in HIDDEN]
    combos += [("tanh", output, loss) for output, loss in OUTPUT_LOSS
               if (output, loss) != ("sigmoid", "mse")]
    for hidden, output, loss in combos:
        specialized = fit(hidden, output, loss, dtype, options, weights, shape)
        assert np.isfinite(specialized[0]).all(), (hidden, output, loss)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(per_sample, "_train_epoch", general_kernel)
            general = general_only(hidden, output, loss, dtype, options, weights, shape)
        assert_same_bits(specialized, general)


def test_a_fit_that_switches_kernels_mid_fit_keeps_its_results(fresh):
    options = {"optimizer": "momentum", "learning_rate": 0.05}
    fit("relu", "softmax", "cross_entropy", "float64", options)
    assert specialize.wait(timeout=600)
    (entry,) = specialize._kernels.values()
    kernel = entry.kernel
    assert kernel is not None
    # the specialized kernel becomes ready after the second epoch
    polls = []
    fresh.setattr(type(entry), "ready", lambda self: kernel if len(polls) >= 2 else None)
    fresh.setattr(type(entry), "pending", lambda self: len(polls) < 2)  # as if compiling
    general = per_sample._train_epoch

    def counting_general(*args):
        polls.append(1)
        return general(*args)

    fresh.setattr(per_sample, "_train_epoch", counting_general)
    switched = fit("relu", "softmax", "cross_entropy", "float64", options)
    assert len(polls) == 2  # two epochs on the general kernel, the third specialized
    assert_same_bits(switched, general_only("relu", "softmax", "cross_entropy", "float64",
                                            options))


def test_updates_are_counted_per_kind_of_fit_until_the_threshold(fresh):
    fresh.setattr(specialize, "SPECIALIZE_UPDATES", 2 * 3 * N_ROWS)
    options = {"learning_rate": 0.05}
    fit("tanh", "sigmoid", "mse", "float64", options)
    assert specialize._kernels == {}
    fit("tanh", "sigmoid", "mse", "float32", options)  # another kind: counted apart
    assert specialize._kernels == {}
    fit("tanh", "sigmoid", "mse", "float64", options)
    assert len(specialize._kernels) == 1
    (kind,) = specialize._kernels
    assert kind[0][0] == SHAPE and kind[1] == np.dtype("float64").str
    assert specialize.wait(timeout=600)
    assert specialize.count(kind, 1)  # every later fit of the kind takes the kernel
    assert not specialize.count(("another",), 1)


def test_turned_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("FASTMLP_SPECIALIZE", "0")
    assert not specialize.enabled()
    monkeypatch.setattr(specialize, "_kernels", {})
    monkeypatch.setattr(specialize, "SPECIALIZE_UPDATES", 0)
    fit("tanh", "sigmoid", "mse", "float64", {"learning_rate": 0.05})
    assert specialize._kernels == {}


@pytest.mark.parametrize("child", ["fails", "cannot start"])
def test_a_failed_compile_leaves_the_fit_on_the_general_kernel(fresh, child):
    def failing_child(factory, shape, signature):
        if child == "cannot start":
            return None
        return subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])

    fresh.setattr(specialize, "_start_compile", failing_child)
    fresh.setattr(specialize, "_load_cached", lambda dispatcher, signature: None)
    options = {"optimizer": "nesterov", "learning_rate": 0.01}
    result = fit("elu", "identity", "half_mse", "float64", options)
    assert specialize.wait(timeout=60)
    (entry,) = specialize._kernels.values()
    assert entry.failed and entry.ready() is None
    assert_same_bits(result, general_only("elu", "identity", "half_mse", "float64", options))


def test_a_kernel_that_cannot_take_the_arguments_is_given_up(fresh):
    # a specialization whose kernel was made for float32 arguments, offered to a float64 fit:
    # the call is refused before it runs, and the fit goes on with the general kernel
    options = {"learning_rate": 0.05}
    fit("tanh", "sigmoid", "mse", "float32", options)
    assert specialize.wait(timeout=600)
    (entry,) = specialize._kernels.values()
    assert entry.kernel is not None
    fresh.setattr(specialize, "request", lambda *request: entry)
    result = fit("tanh", "sigmoid", "mse", "float64", options)
    assert entry.failed and entry.ready() is None
    assert_same_bits(result, general_only("tanh", "sigmoid", "mse", "float64", options))


def test_the_child_process_imports_this_fastmlp_not_the_one_in_its_working_directory(
        fresh, tmp_path):
    # run from a source checkout, the working directory holds another copy of the package
    # (CI runs the tests from one): a child importing that copy would compile into its cache
    decoy = tmp_path / "fastmlp"
    decoy.mkdir()
    (decoy / "__init__.py").write_text("raise ImportError('the decoy package')\n")
    fresh.chdir(tmp_path)
    fresh.setattr(specialize, "_load_cached", lambda dispatcher, signature: None)
    fit("tanh", "sigmoid", "mse", "float64", {"learning_rate": 0.05})
    (entry,) = specialize._kernels.values()
    process = entry._process
    assert process is not None
    process.wait(timeout=600)
    assert process.returncode == 0


def test_fits_in_threads_share_one_specialization(fresh):
    from concurrent.futures import ThreadPoolExecutor

    options = {"optimizer": "momentum", "learning_rate": 0.05}
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda hidden: fit(hidden, "sigmoid", "mse", "float64",
                                                   options), ["tanh", "relu"] * 4))
    assert len(specialize._kernels) == 1
    assert specialize.wait(timeout=600)
    for hidden, result in zip(["tanh", "relu"] * 4, results):
        assert_same_bits(result, general_only(hidden, "sigmoid", "mse", "float64", options))


def test_a_shorter_fit_takes_a_kernel_from_the_cache_but_does_not_compile_one(fresh):
    options = {"optimizer": "sgd", "learning_rate": 0.05}
    fit("arctan", "sigmoid", "mse", "float64", options)  # compiles (SPECIALIZE_UPDATES = 0)
    assert specialize.wait(timeout=600)
    # a new process's state: nothing counted or loaded; fits between the two thresholds
    fresh.setattr(specialize, "_updates", {})
    fresh.setattr(specialize, "_kernels", {})
    fresh.setattr(specialize, "LOOKUP_UPDATES", 3 * N_ROWS)
    fresh.setattr(specialize, "SPECIALIZE_UPDATES", 10**12)

    def no_compile(factory, shape, signature):
        raise AssertionError("a child process was started")

    fresh.setattr(specialize, "_start_compile", no_compile)
    general_kernel = per_sample._train_epoch
    refuse_general_kernel(fresh)
    from_cache = fit("arctan", "sigmoid", "mse", "float64", options)  # found in the cache
    fresh.setattr(per_sample, "_train_epoch", general_kernel)
    assert_same_bits(from_cache, general_only("arctan", "sigmoid", "mse", "float64", options))
    # a kind not in the cache: looked up once, then the general kernel, no child process
    fresh.setattr(specialize, "_load_cached", lambda dispatcher, signature: None)
    missing = fit("arctan", "sigmoid", "mse", "float32", options)
    entry = [e for k, e in specialize._kernels.items() if k[1] == np.dtype("float32").str][0]
    assert entry.kernel is None and not entry.pending() and not entry.failed
    assert_same_bits(missing, general_only("arctan", "sigmoid", "mse", "float32", options))
    fresh.setattr(specialize, "LOOKUP_UPDATES", 10**12)
    assert not specialize.count(("short",), 1)


def test_warmup_compiles_the_specialized_kernels_that_later_fits_take(fresh):
    shape = (3, 7, 2)
    fresh.setattr(specialize, "SPECIALIZE_UPDATES", 10**12)  # warmup's own fits ask nothing
    seconds = fastmlp.warmup(dtypes=("float64",), layer_sizes=[shape])
    assert "specialized" in seconds
    assert len(specialize._kernels) == 2  # Adam's and the other optimizers'
    assert all(entry.kernel is not None for entry in specialize._kernels.values())
    # a later process: fits planning LOOKUP_UPDATES take them from the cache
    fresh.setattr(specialize, "_updates", {})
    fresh.setattr(specialize, "_kernels", {})
    fresh.setattr(specialize, "LOOKUP_UPDATES", 3 * N_ROWS)
    fresh.setattr(specialize, "SPECIALIZE_UPDATES", 10**12)
    general_kernel = per_sample._train_epoch
    refuse_general_kernel(fresh)
    for options in ({"optimizer": "nesterov", "learning_rate": 0.05},
                    {"optimizer": "adam", "learning_rate": 0.01}):
        specialized = fit("tanh", "sigmoid", "mse", "float64", options, shape=shape)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(per_sample, "_train_epoch", general_kernel)
            general = general_only("tanh", "sigmoid", "mse", "float64", options, shape=shape)
        assert_same_bits(specialized, general)


def test_the_warmup_command_compiles_specialized_kernels(fresh, tmp_path):
    import os

    # the sizes of the warmup test above: there it compiled these specialized kernels (the
    # compile itself is tested there); here the command finds them in the cache instead of
    # compiling them again in its children (80 s of this suite on a busy machine)
    run = subprocess.run([sys.executable, "-m", "fastmlp", "warmup", "--dtypes", "float64",
                          "--layers", "3,7,2"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=900, env={**os.environ, "FASTMLP_SPECIALIZE": "1"})
    assert run.returncode == 0, run.stderr
    assert "specialized per-sample kernels for 1 network(s)" in run.stdout
    assert "compiled or loaded every kernel" in run.stdout
