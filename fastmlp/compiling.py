"""Compiling made visible: a notice when a first call waits on the compiler
(:func:`fastmlp.warmup.warmup` compiles every path ahead of time), and a clock of the time
spent in Numba's compiler (:func:`compile_seconds`), so that progress bars and summaries can
time the training apart from the compiling.

Numba compiles a kernel on its first call in an environment and caches the machine code on
disk; later processes load it (bench/README.md, "Cold start"). The first fit in a fresh
environment therefore waits seconds to a minute. When a call finds a kernel with nothing
compiled in this process and has not returned after :data:`NOTICE_AFTER` seconds, one
:class:`CompileNotice` warning says so (silence it with ``warnings.filterwarnings("ignore",
category=fastmlp.CompileNotice)``). The notice is written on a line of its own, also while
a progress bar is drawn.
"""

from __future__ import annotations

import sys
import threading
import time
import warnings
from contextlib import contextmanager, nullcontext

import numba.core.event as _numba_event

#: Seconds a first call may take before the notice is shown.
NOTICE_AFTER = 1.0

_announced = False
_compiled: set[int] = set()  # ids of kernels seen compiled in this process


class CompileNotice(UserWarning):
    """fastmlp is compiling kernels (shown once per process)."""


def _message(what: str) -> str:
    return (f"compiling the {what} kernels for this configuration (the first time in this "
            "environment, seconds to a minute); they are cached on disk afterwards. "
            "'fastmlp warmup' (fastmlp.warmup() in Python) compiles every path ahead "
            "of time.")


def _shower(what: str):
    """What shows the notice a second from now, decided now, in the calling thread: the
    ``warnings.showwarning`` in force with the warning as the filters let it through, or
    None when they silence it (or turn it into an error, which a notice must not raise in a
    fit).

    Decided before the compile starts because Numba's compiler, while it runs, records every
    warning raised in any thread (``warnings.catch_warnings(record=True)``) and emits it
    again only when a compile stage ends -- seconds late, after the progress bar was drawn
    again."""
    message = _message(what)
    try:
        with warnings.catch_warnings(record=True) as seen:
            # explicit location: the default one would point into fastmlp's internals
            warnings.warn_explicit(message, CompileNotice, filename="fastmlp", lineno=0,
                                   module="fastmlp")
    except Warning:  # an "error" filter
        return None
    if not seen:
        return None
    shown = seen[0]
    show = warnings.showwarning
    # a record=True context around the fit (a test's, pytest's) collects through this one
    record = getattr(warnings, "_showwarnmsg_impl", None)
    original = getattr(warnings, "_showwarning_orig", None)

    def announce():
        if show is original and record is not None:
            record(shown)
        else:
            show(shown.message, shown.category, shown.filename, shown.lineno)

    return announce


def _announce(show) -> None:
    global _announced
    if not _announced:
        _announced = True
        with _progress_bars_aside():
            show()


def _progress_bars_aside():
    """While the notice is written: tqdm bars cleared from the terminal, and drawn again
    below it (without this the notice lands at the end of the bar's line). Only when tqdm
    is already imported: a process without a bar does not pay for the import."""
    # the class the bars are made of (tqdm.auto's): it shares the list of bars with
    # tqdm.tqdm but holds a lock of its own, the one its bars draw under
    module = sys.modules.get("tqdm.auto") or sys.modules.get("tqdm")
    bars = getattr(module, "tqdm", None)
    if bars is None:
        return nullcontext()
    return bars.external_write_mode(file=sys.stderr)


class _CompileClock(_numba_event.Listener):
    """Seconds spent holding Numba's compiler lock -- typing, lowering, LLVM and loading
    machine code from the disk cache -- in this process, from its first acquisition in a
    thread to its release (the lock is re-entrant: nested acquisitions are counted once)."""

    def __init__(self):
        super().__init__()
        self.seconds = 0.0
        self._local = threading.local()
        self._lock = threading.Lock()

    def on_start(self, event) -> None:
        depth = getattr(self._local, "depth", 0)
        if depth == 0:
            self._local.began = time.perf_counter()
        self._local.depth = depth + 1

    def on_end(self, event) -> None:
        depth = getattr(self._local, "depth", 0) - 1
        self._local.depth = max(depth, 0)
        if depth == 0:
            elapsed = time.perf_counter() - self._local.began
            with self._lock:
                self.seconds += elapsed


_clock = _CompileClock()
_numba_event.register("numba:compiler_lock", _clock)


def compile_seconds() -> float:
    """Seconds this process has spent in Numba's compiler so far (compiling kernels or
    loading them from the disk cache), in every thread. Take the difference around a call
    to know how much of its time was compiling."""
    return _clock.seconds


@contextmanager
def notice_if_compiling(kernel, what: str):
    """Run the block; if ``kernel`` (a Numba dispatcher) has nothing compiled in this
    process yet and the block is still running after NOTICE_AFTER seconds, show the
    notice."""
    # a dispatcher's ``overloads`` dict is the cheap test (``signatures`` rebuilds a list of
    # types, tens of microseconds: a fair share of a small fit); once compiled, remembered
    if _announced or kernel is None or id(kernel) in _compiled:
        yield
        return
    if getattr(kernel, "overloads", None):
        _compiled.add(id(kernel))
        yield
        return
    show = _shower(what)
    if show is None:
        yield
        return
    timer = threading.Timer(NOTICE_AFTER, _announce, args=(show,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
