"""Per-sample kernels specialized on one network's sizes, made in the background.

The per-sample engine's general kernel reads the layer sizes at run time; compiled with the
sizes as constants, LLVM unrolls the layer loops and keeps a row's values in registers, and
an epoch takes about three quarters of the time (bench/README.md, "Tiered per-sample
kernels"). Such a kernel costs a compile of several seconds for every network shape, so it
is made only where it pays, the way a JIT tiers its code:

* every fit starts on the general kernel;
* a fit that plans, or comes after this process has run, :data:`LOOKUP_UPDATES` per-sample
  updates of one kind of fit (network shape, dtype, optimizer family, dropout; clipping and
  sample weights are run-time choices of the same kernel) looks the specialized kernel up in
  Numba's disk cache (about a millisecond on a miss): one compiled by an earlier process, or
  ahead of time by ``fastmlp.warmup(layer_sizes=...)``;
* from :data:`SPECIALIZE_UPDATES`, a kernel not in the cache is compiled into it by a child
  process at low priority, on an otherwise idle core;
* the engine takes the kernel at the next epoch boundary after it is ready, for the rest of
  the fit and for every later fit of that kind.

The two kernels are compiled from one source without fastmath and with explicit fused
multiply-adds, so they compute the same bits (``tests/test_specialize.py``): a fit's results
do not depend on when the swap happened, or whether it did. Compiling in a child process
rather than a thread keeps the training loop from waiting on the GIL, which Numba's compiler
holds. Set the environment variable ``FASTMLP_SPECIALIZE=0`` to keep every fit on the general
kernel. Nothing is specialized without a writable kernel cache (there is nowhere to pass the
kernel through) or in a frozen application (no interpreter to compile it in).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import threading
import time

from .. import _child

#: Updates (rows trained on, planned by a fit or summed over a process's fits of one kind)
#: from which the kernel specialized for that kind of fit is looked up in the disk cache:
#: about a tenth of a second of the general kernel on a small network, against a millisecond
#: for a miss and a few for a hit.
LOOKUP_UPDATES = 1_000_000
#: Updates from which a kernel not in the cache is compiled in a child process: about a
#: second of the general kernel, against some seconds of compile on another core.
SPECIALIZE_UPDATES = 10_000_000
#: What :func:`count` answers.
LOOK_UP, COMPILE = 1, 2

_lock = threading.Lock()
_updates: dict[tuple, int] = {}
_kernels: dict[tuple, "_Specialization"] = {}
_cached: bool | None = None  # whether Numba has a disk cache for the kernels
_eager = 0  # how many ``eagerly()`` blocks are open


def enabled() -> bool:
    """Whether fits may switch to specialized kernels: not turned off by
    ``FASTMLP_SPECIALIZE=0``, and Numba has a writable cache for the kernels."""
    global _cached
    if os.environ.get("FASTMLP_SPECIALIZE", "1").strip() == "0":
        return False
    if getattr(sys, "frozen", False) or not sys.executable:
        return False  # no Python interpreter to run the compile in (a frozen application)
    if _cached is None:
        from ..kernels.rng import shuffle_rows

        # without a writable location, fastmlp.kernels._jit compiles every kernel uncached
        _cached = type(getattr(shuffle_rows, "_cache", None)).__name__ == "FunctionCache"
    return _cached


def count(kind: tuple, updates: int) -> int:
    """Add ``updates`` (planned or run) to this process's count for ``kind``, and say what a
    fit of that kind asks for: 0 (nothing), :data:`LOOK_UP` (the kernel if it is in the disk
    cache) or :data:`COMPILE` (the kernel, compiled if need be). A kind whose kernel has been
    asked for is looked up by every later fit, however short."""
    with _lock:
        total = _updates.get(kind, 0) + updates
        _updates[kind] = total
        if total >= SPECIALIZE_UPDATES or _eager:
            return COMPILE
        return LOOK_UP if total >= LOOKUP_UPDATES or kind in _kernels else 0


def request(kind: tuple, args: tuple, compile: bool, factory) -> "_Specialization":
    """The specialization of ``kind`` (its first field the network layout,
    :func:`fastmlp.engines.per_sample.network_shape`) for the kernel arguments ``args``:
    looked up in the disk cache on first request, compiled by a child process if ``compile``
    and it is not there; shared by every later request. ``factory(shape)`` makes the
    kernel's dispatcher for a layout (a module-level function: the child process imports it
    by name)."""
    with _lock:
        entry = _kernels.get(kind)
        if entry is None:
            entry = _kernels[kind] = _Specialization(kind[0], args, factory)
        if compile:
            entry.compile()
        return entry


class eagerly:
    """Inside this block every per-sample fit asks for its specialized kernel, compiled if
    need be, however short (``fastmlp.warmup(layer_sizes=...)``)."""

    def __enter__(self):
        global _eager
        with _lock:
            _eager += 1

    def __exit__(self, *exc):
        global _eager
        with _lock:
            _eager -= 1


def wait(timeout: float | None = None) -> bool:
    """Wait until no specialized kernel is being compiled (for benchmarks and tests); True
    if none is left pending within ``timeout`` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    for entry in list(_kernels.values()):
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not entry.wait(left):
            return False
    return True


class _Specialization:
    """One specialized kernel: loaded from the disk cache, or compiled into it by a child
    process and loaded once that has exited."""

    def __init__(self, shape, args, factory):
        import numba

        self.shape = shape
        self.signature = tuple(numba.typeof(a) for a in args)
        self.factory = f"{factory.__module__}:{factory.__qualname__}"
        self.dispatcher = factory(shape)
        self.kernel = None
        self.failed = False  # no kernel now or later: the compile failed, or was refused
        self._process = None
        self._load()

    def compile(self) -> None:
        """Have a child process compile the kernel, unless it is loaded, being compiled, or
        failed (the caller holds ``_lock``)."""
        if self.kernel is None and self._process is None and not self.failed:
            self._process = _start_compile(self.factory, self.shape, self.signature)
            self.failed = self._process is None

    def pending(self) -> bool:
        """Whether a child process is compiling the kernel."""
        return self._process is not None

    def give_up(self) -> None:
        """Stop offering the kernel (a call it could not take)."""
        self.kernel = None
        self.failed = True

    def ready(self):
        """The specialized kernel once it can run, else None (polls the child process)."""
        if self.kernel is not None or self.failed:
            return self.kernel
        with _lock:
            if self._process is not None and self._process.poll() is not None:
                ok = self._process.returncode == 0
                self._process = None
                if not (ok and self._load()):
                    self.failed = True
        return self.kernel

    def wait(self, timeout: float | None = None) -> bool:
        process = self._process
        if process is not None:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
        self.ready()
        return True

    def _load(self) -> bool:
        """Take the kernel from Numba's disk cache, without compiling on a miss."""
        overload = _load_cached(self.dispatcher, self.signature)
        if overload is None:
            return False
        # from now on a call whose types differ from the signature fails instead of
        # compiling in the training loop: the engine then goes back to the general kernel
        self.dispatcher.disable_compile()
        self.kernel = self.dispatcher
        return True


def _load_cached(dispatcher, signature):
    """What ``dispatcher.compile(signature)`` does on a disk-cache hit (Numba's dispatcher
    has no load-only call); None on a miss or when Numba's internals are not as expected."""
    from numba.core.compiler_lock import global_compiler_lock

    cache = getattr(dispatcher, "_cache", None)
    if not hasattr(cache, "load_overload"):
        return None
    with global_compiler_lock:
        existing = dispatcher.overloads.get(signature)
        if existing is not None:
            return existing
        try:
            result = cache.load_overload(signature, dispatcher.targetctx)
        except Exception:  # an unreadable cache entry is a miss (see _jit._compiler)
            return None
        if result is None:
            return None
        dispatcher.targetctx.insert_user_function(result.entry_point, result.fndesc,
                                                  [result.library])
        dispatcher.add_overload(result)
        return result


def _start_compile(factory: str, shape, signature):
    """A child process that compiles the kernel ``factory`` (``"module:function"``) makes for
    ``shape`` into the disk cache for ``signature`` (this interpreter, this import path, this
    environment), at low priority, or None if it cannot be started."""
    return _child.start("fastmlp.engines.specialize:_compile_main", factory, shape, signature,
                        env={"FASTMLP_SPECIALIZE": "0"}, nice=10)


def _compile_main(factory: str, shape, signature) -> None:
    """The child process (:func:`_start_compile`): compile."""
    module, name = factory.split(":")
    getattr(importlib.import_module(module), name)(shape).compile(signature)
