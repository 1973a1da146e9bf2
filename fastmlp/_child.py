"""Run one of fastmlp's functions in a child Python process: compiles that must not hold this
process's GIL (Numba's compiler holds it for seconds) or that run side by side on other cores.

The child is this interpreter in isolated mode (``-I``: no user site, no ``PYTHON*``
variables) with this process's import path, sent before anything is imported: with ``-c`` the
path would start with the working directory, which may hold another copy of fastmlp (a source
checkout) whose kernels would be cached elsewhere.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys

_PROGRAM = ("import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
            "from fastmlp._child import _main; _main()")


def start(function: str, *args, env: dict | None = None, nice: int = 0,
          capture_errors: bool = False):
    """Start a child process that calls ``function`` (``"module:name"``, a function of
    fastmlp) with ``args`` (picklable), at priority ``nice`` (POSIX), in this environment
    updated with ``env``; its standard error is readable from the result when
    ``capture_errors`` (read it, or the child may block on a full pipe), else discarded.
    Returns the ``subprocess.Popen``, or None if no child can be
    started (no interpreter, as in a frozen application; no processes allowed)."""
    if getattr(sys, "frozen", False) or not sys.executable:
        return None
    payload = pickle.dumps(list(sys.path)) + pickle.dumps((function, args, nice))
    try:
        process = subprocess.Popen([sys.executable, "-I", "-c", _PROGRAM],
                                   stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE if capture_errors else subprocess.DEVNULL,
                                   env={**os.environ, **_same_cpu(), **(env or {})})
        stdin = process.stdin
        assert stdin is not None  # stdin=PIPE
        stdin.write(payload)
        stdin.close()
    except OSError:
        return None
    return process


def _same_cpu() -> dict:
    """The child compiles for the CPU this process compiles for (fastmlp's ISA level, or the
    host's model when this process kept Numba's own choice: :mod:`fastmlp.kernels.target`),
    so the kernels it caches are the ones this process looks up."""
    jit = sys.modules.get("fastmlp.kernels._jit")
    if jit is None:
        return {}
    return {"FASTMLP_CPU": jit.LEVEL or "native"}


def _main() -> None:
    """The child, after :data:`_PROGRAM` has set its import path."""
    function, args, nice = pickle.load(sys.stdin.buffer)
    if nice and hasattr(os, "nice"):
        os.nice(nice)
    module, name = function.split(":")
    getattr(importlib.import_module(module), name)(*args)
