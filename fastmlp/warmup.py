"""``fastmlp.warmup()`` and ``fastmlp warmup``: compile (or load from the disk cache) every
kernel ahead of time, so that no later call waits on the compiler."""

from __future__ import annotations

import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _child
from .network import MLP
from .threads import get_num_threads, set_num_threads

#: What ahead-of-time compiling covers, as groups of the calls users make: each group's
#: kernels compile in one process, the groups side by side (see :func:`warmup`), the
#: longest first (per-sample kernels are the largest compiles) so that the last to start are
#: the short ones. Kernels that a group shares with another (the chunked engine's helpers,
#: which the scikit-learn paths also call) compile in both: the chunked engine's optimizer
#: families are one group so that its helpers compile once for both.
GROUPS = ("per_sample", "chunked", "sklearn", "per_sample_adam", "inference")


def warmup(dtypes=("float64", "float32"), verbose: bool = False, layer_sizes=(),
           n_jobs: int | None = None) -> dict:
    """Compile (or load from the disk cache) every kernel a fit, a prediction or a loss can
    use, for each dtype: the per-sample, chunked and row-parallel engines with each
    optimizer family (Adam's and the others'), clipping, weights and penalties, the
    inference, loss and gradient passes, and the scikit-learn estimators' paths (when
    scikit-learn is installed). Returns the seconds taken: ``"compile"`` for the parallel
    compile, ``"load"`` for loading everything into this process.

    Run it once after installing (``fastmlp warmup`` on the command line), in a container
    image's build, or at the start of a job, so that no later call waits on the compiler; the
    kernels go to the disk cache that every installation of the same sources shares
    (:mod:`fastmlp.kernels.cache`).

    Parameters
    ----------
    dtypes : sequence of {"float64", "float32"}
    verbose : bool
        Print each step's time.
    layer_sizes : sequence of sequences of int
        Networks (input size first) whose per-sample kernels specialized on their sizes
        (:mod:`fastmlp.engines.specialize`) are compiled too, for each dtype, for Adam and
        for the other optimizers (each kernel clips or not, weights or not, at run time),
        without dropout. Per-sample fits of those networks planning 10^6 updates or more then
        run on them from their first epoch.
        ``seconds["specialized"]`` is the time until the last is ready. Skipped where
        kernels are not specialized (``FASTMLP_SPECIALIZE=0``, no writable kernel cache).
    n_jobs : int, optional
        Processes compiling side by side (default: the CPUs this process may use). With 1,
        or without a writable disk cache, everything compiles in this process.
    """
    from .engines import specialize

    dtypes = [np.dtype(dtype).name for dtype in dtypes]
    for dtype in dtypes:
        if dtype not in ("float64", "float32"):
            raise ValueError(f"dtypes must hold 'float64' or 'float32', got {dtype!r}")
    if n_jobs is None:
        n_jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
    if int(n_jobs) < 1:
        raise ValueError(f"n_jobs must be a positive integer, got {n_jobs!r}")
    layer_sizes = [tuple(sizes) for sizes in layer_sizes]
    jobs = [(group, dtype) for group in GROUPS for dtype in dtypes]
    seconds = {}
    began = time.perf_counter()
    done = _done_markers(dtypes)
    # a cache a previous warmup filled, or a shipped set built by one: loading it here is all
    # that is left, and starting children that would only load it too costs seconds each
    if int(n_jobs) > 1 and specialize.enabled() and not _done(done):
        _compile_in_children(jobs, int(n_jobs), verbose)
        seconds["compile"] = time.perf_counter() - began
        if verbose:
            print(f"compiled in {int(n_jobs)} processes: {seconds['compile']:.1f} s",
                  flush=True)
    loaded = time.perf_counter()
    for group, dtype in jobs:  # from the cache now: anything missed compiles here
        _run_group(group, dtype)
    seconds["load"] = time.perf_counter() - loaded
    try:
        for marker in done:
            marker.write_text("every group of fastmlp.warmup was compiled into this folder "
                              "for this dtype\n")
    except OSError:  # no writable cache: the next warmup compiles again, as it must
        pass
    if verbose:
        print(f"loaded into this process: {seconds['load']:.1f} s", flush=True)
    if layer_sizes:
        seconds["specialized"] = _specialized(layer_sizes, dtypes)
        if verbose:
            print(f"specialized per-sample kernels for {len(layer_sizes)} network(s): "
                  f"{seconds['specialized']:.1f} s", flush=True)
    return seconds


def _done_markers(dtypes) -> list:
    """The files that say a warmup of each of ``dtypes`` finished in this cache folder, for
    what Numba keys this process's cache entries on besides the sources (the folder's name):
    the CPU name and features it compiles for (:mod:`fastmlp.kernels.target`), Numba's
    version and Python's -- and whether the scikit-learn paths could be compiled. A marker
    left by another Numba or Python, or by a process compiling for another CPU in a shared
    folder, does not count: their kernels are not the ones this process looks up; nor does
    one left where scikit-learn was missing, once it is installed."""
    import hashlib
    import importlib
    import platform

    import numba
    from numba.core.registry import cpu_target

    from .kernels import cache, target

    try:  # the scikit-learn group compiles only where it imports (see _run_sklearn)
        importlib.import_module(".sklearn", __package__)
        groups = "all groups"
    except ImportError:
        groups = "no scikit-learn"
    keyed_on = repr((cpu_target.target_context.codegen().magic_tuple(), numba.__version__,
                     platform.python_implementation(), platform.python_version_tuple()[:2],
                     groups))
    tag = hashlib.sha256(keyed_on.encode()).hexdigest()[:12]
    return [cache.cache_dir() / f".warmed-{target.compiled_for()}-{tag}-{dtype}"
            for dtype in dtypes]


def _done(markers) -> bool:
    """Whether every one of ``markers`` (:func:`_done_markers`) is in this installation's
    cache or in the set shipped for this process's level (:mod:`fastmlp.kernels.prebuilt`)."""
    from .kernels import _jit

    return all(marker.exists() or (_jit.SHIPPED is not None
                                   and (_jit.SHIPPED / marker.name).exists())
               for marker in markers)


def _compile_in_children(jobs, n_jobs: int, verbose: bool) -> None:
    """Run each (group, dtype) job of :func:`warmup` in a child process, at most ``n_jobs``
    at a time, each started as soon as a slot is free, in the order given (they fill the
    disk cache; the parent then loads it)."""
    def run(job):
        group, dtype = job
        started = time.perf_counter()
        process = _child.start("fastmlp.warmup:_run_group", group, dtype,
                               env={"FASTMLP_SPECIALIZE": "0"}, capture_errors=True)
        if process is None:  # no child processes here: the parent compiles it
            return
        errors = process.stderr.read()  # read as it comes: a full pipe would block the child
        process.wait()
        if verbose:
            state = ("ok" if process.returncode == 0
                     else f"failed: {errors.decode(errors='replace').strip()[-300:]}")
            print(f"  {group} {dtype}: {time.perf_counter() - started:.1f} s, {state}",
                  flush=True)

    # threads only wait on the children, which do the work
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        list(pool.map(run, jobs))


def _run_group(group: str, dtype: str) -> None:
    """Make the calls of one :data:`GROUPS` entry (or ``"predict"``, the part of
    ``"inference"`` that :mod:`fastmlp.prefetch` compiles) for ``dtype``, compiling what
    they use."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    Y = (X[:, :2] > 0).astype(float)
    weights = rng.uniform(0.5, 1.5, len(X))
    net = MLP((3, 4, 2), "tanh", "sigmoid", "binary_cross_entropy", dtype=dtype, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if group == "per_sample":
            for options in (dict(), dict(sample_weight=weights), dict(clip_norm=1.0)):
                net.fit(X, Y, batch_size=1, epochs=1, **options)
        elif group == "per_sample_adam":
            for clip_norm in (None, 1.0):
                net.fit(X, Y, batch_size=1, epochs=1, optimizer="adam", clip_norm=clip_norm)
        elif group == "chunked":  # both optimizer families: the helpers compile once
            net.fit(X, Y, batch_size=8, epochs=1)
            net.fit(X, Y, batch_size=8, epochs=1, optimizer="nesterov", clip_value=1.0,
                    sample_weight=weights)
            net.fit(X, Y, batch_size=None, epochs=1, optimizer="momentum")
            net.fit(X, Y, batch_size=8, epochs=1, optimizer="adam", l2=1e-3)
        elif group == "predict":  # what fastmlp.prefetch compiles beside a first fit
            net.predict(X)
        elif group == "inference":
            net.predict(X)
            net.loss(X, Y)
            net.gradient(X, Y)
            threads = get_num_threads()
            try:  # the row-parallel engine and passes (two slices of 2048 rows)
                set_num_threads(2)
                big = np.repeat(X, 64, axis=0)
                net.fit(big, np.repeat(Y, 64, axis=0), batch_size=None, epochs=1)
                net.predict(big)
            finally:
                set_num_threads(threads)
        elif group == "sklearn":
            _run_sklearn(X, dtype)
        else:
            raise ValueError(f"unknown warm-up group {group!r}")


def _run_sklearn(X, dtype: str) -> None:
    """The scikit-learn estimators' default paths (Adam; sgd with Nesterov; L-BFGS), fit and
    predict, when scikit-learn is installed."""
    try:
        from .sklearn import MLPClassifier, MLPRegressor
    except ImportError:
        return
    X = X.astype(dtype)
    y = (X[:, 0] > 0).astype(int)
    MLPClassifier(hidden_layer_sizes=(4,), max_iter=2).fit(X, y).predict_proba(X)
    MLPRegressor(hidden_layer_sizes=(4,), solver="sgd", max_iter=2).fit(X, X[:, 1]).predict(X)
    MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=2).fit(X, X[:, 1]).predict(X)


def _specialized(layer_sizes, dtypes) -> float:
    """Have the per-sample kernels specialized on each of ``layer_sizes`` compiled (child
    processes, one per kernel, all at once) and loaded; the seconds taken."""
    from .engines import specialize

    began = time.perf_counter()
    if not specialize.enabled():
        return 0.0
    with specialize.eagerly():
        for sizes in layer_sizes:
            X, Y = np.zeros((4, sizes[0])), np.zeros((4, sizes[-1]))
            for dtype in dtypes:
                net = MLP(sizes, dtype=dtype, seed=0)
                for optimizer in ("sgd", "adam"):
                    net.fit(X, Y, optimizer, batch_size=1, epochs=1, engine="per_sample")
    specialize.wait()
    return time.perf_counter() - began
