"""Compile the inference kernels on another core while a first fit compiles its own.

A program's first fit in a fresh environment waits seconds for its training kernel; its
first ``predict`` then waits again for the inference kernel (bench/README.md, "Cold start").
When a fit is about to train with a dtype whose inference kernel is in neither this process
nor the disk cache, a child process compiles that kernel into the cache meanwhile, at low
priority (another core does the work where there is one); ``predict`` after the fit then
loads it instead of compiling it. The kernel is the same code whichever process compiled it,
so results do not depend on whether the child finished.

Opt-in: set ``FASTMLP_PREFETCH=1``. On this project's 2-vCPU machine the two compiles
slowed each other more than the overlap saved (a cold scikit-learn fit + predict_proba took
10.2-11.2 s with it against 9.1-9.7 s without: bench/README.md, "Cold start"), so it pays only
where idle cores are real. Never where kernels are not compiled in the background at all
(``FASTMLP_SPECIALIZE=0``, no writable kernel cache, a frozen application:
:func:`fastmlp.engines.specialize.enabled`).
"""

from __future__ import annotations

import os
import subprocess
import threading

from . import _child

_lock = threading.Lock()
_started: dict[str, object] = {}  # dtype name -> the child process (or None: none needed)


def _cached(dispatcher) -> bool:
    """Whether ``dispatcher`` has code in this process or an index in the disk cache (for
    some argument types: close enough to say a compile is not likely)."""
    if dispatcher.overloads:
        return True
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    index = getattr(cache_file, "_index_path", None)
    return index is None or os.path.exists(index)


def inference_kernels(dtype) -> None:
    """Start compiling the inference kernel (``predict``'s) for ``dtype`` (a NumPy dtype)
    in a child process, once per dtype and process, unless it is compiled or cached
    already."""
    name = str(dtype)
    if name in _started:
        return
    with _lock:
        if name in _started:
            return
        _started[name] = None
        from .engines import specialize
        from .kernels import passes

        if (os.environ.get("FASTMLP_PREFETCH", "0").strip() == "1" and specialize.enabled()
                and not _cached(passes.forward)):
            _started[name] = _child.start("fastmlp.warmup:_run_group", "predict", name,
                                          env={"FASTMLP_SPECIALIZE": "0"}, nice=10)


#: Seconds an inference call waits for a child still compiling its kernel, before
#: compiling the kernel itself.
SETTLE_SECONDS = 60.0


def settle(dtype) -> None:
    """Before a first inference call with ``dtype``: if a child is still compiling its
    kernel, wait for it (at most :data:`SETTLE_SECONDS`), so that the call loads the kernel
    from the cache instead of compiling it a second time. It started before, so waiting is
    shorter than compiling."""
    if not _started:
        return
    process = _started.get(str(dtype))
    if process is not None:
        _started[str(dtype)] = None
        try:
            process.wait(SETTLE_SECONDS)  # type: ignore[attr-defined]
        except subprocess.TimeoutExpired:  # compile here after all
            pass
