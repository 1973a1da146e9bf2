"""Compiling made visible: a notice when a first call waits on the compiler
(:func:`fastmlp.warmup.warmup` compiles every path ahead of time).

Numba compiles a kernel on its first call in an environment and caches the machine code on
disk; later processes load it (bench/README.md, "Cold start"). The first fit in a fresh
environment therefore waits seconds to a minute. When a call finds a kernel with nothing
compiled in this process and has not returned after :data:`NOTICE_AFTER` seconds, one
:class:`CompileNotice` warning says so (silence it with ``warnings.filterwarnings("ignore",
category=fastmlp.CompileNotice)``).
"""

from __future__ import annotations

import threading
import warnings
from contextlib import contextmanager

#: Seconds a first call may take before the notice is shown.
NOTICE_AFTER = 1.0

_announced = False
_compiled: set[int] = set()  # ids of kernels seen compiled in this process


class CompileNotice(UserWarning):
    """fastmlp is compiling kernels (shown once per process)."""


def _announce(what: str) -> None:
    global _announced
    if not _announced:
        _announced = True
        # explicit location: raised from the timer thread, the default one would point into
        # threading.py
        warnings.warn_explicit(
            f"compiling the {what} kernels for this configuration (the first time in this "
            "environment, seconds to a minute); they are cached on disk afterwards. "
            "fastmlp.warmup() compiles every path ahead of time.", CompileNotice,
            filename="fastmlp", lineno=0, module="fastmlp")


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
    timer = threading.Timer(NOTICE_AFTER, _announce, args=(what,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
