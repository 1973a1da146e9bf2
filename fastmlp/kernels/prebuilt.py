"""Compiled kernels shipped inside the package, one set per x86-64 ISA level.

A fresh environment (a CI job, a container, a notebook VM, a Dask worker on a new node) starts
with an empty kernel cache, and every fastmlp path would first wait seconds for Numba. A wheel
built after :func:`build` carries the kernels ``fastmlp warmup`` compiles, for each level in
:data:`fastmlp.kernels.target.LEVELS` it was built for, under ``fastmlp/_prebuilt/<level>/``:
a copy of a kernel-cache folder (:mod:`fastmlp.kernels.cache`). When a kernel is not in this
installation's cache, :func:`load` looks it up in the set of the level this process compiles
for (:mod:`fastmlp.kernels.target`) and loads it from there, read-only; nothing is copied,
and what this machine compiles itself goes to its own cache as before (looked up first).

A shipped kernel is the code this machine would compile: the sets are keyed, like the cache,
on the content of every source file of the package (an edited source finds no shipped kernel
and compiles), and each entry on the kernel's argument types, the level (not the host's model)
and the Numba and Python versions. Anything not shipped -- another level, another Python, a
configuration warmup does not cover -- compiles as before.

Build a wheel with them::

    python -m fastmlp.prebuild --levels x86-64-v3 x86-64-v4
    python -m pip wheel --no-deps --no-build-isolation -w dist .

Each level is built by running ``fastmlp warmup`` for it, so it needs a machine that can run
that level's code (an AVX-512 machine builds both).
"""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from numba.core import caching

from . import cache, target

PREBUILT_DIR = cache.PACKAGE_DIR / "_prebuilt"


def shipped_folder(level: str | None) -> Path | None:
    """The folder of the set shipped for ``level``, or None (no level, or none shipped)."""
    if level is None:
        return None
    folder = PREBUILT_DIR / level
    return folder if folder.is_dir() else None


def load(numba_cache, signature, target_context, shipped: Path):
    """Load the kernel ``numba_cache`` (a dispatcher's Numba cache) misses for ``signature``
    from the shipped set in ``shipped``, as Numba loads its own entries; None when the set has
    no such entry or it cannot be read.

    The entry is found from the kernel's source file (its folder inside the package, as
    :mod:`fastmlp.kernels.cache` lays out a cache folder) and checked against this
    installation's source digest, not against where this installation caches: when fastmlp's
    cache folder is not writable, Numba caches beside the sources instead (``__pycache__``),
    and the shipped set serves that installation too."""
    own = numba_cache._cache_file
    try:
        source = Path(inspect.getfile(numba_cache._py_func)).resolve()
        module_folder = source.parent.relative_to(cache.PACKAGE_DIR)
    except (AttributeError, TypeError, ValueError, OSError):  # not one of fastmlp's files
        return None
    folder = shipped / module_folder
    try:
        if not (folder / own._index_name).is_file():
            return None
        index = caching.IndexDataCacheFile(str(folder), own._index_name[:-len(".nbi")],
                                           cache.package_digest())
        data = index.load(numba_cache._index_key(signature, target_context.codegen()))
        if data is None:
            return None
        return numba_cache._impl.rebuild(target_context, data)
    except Exception:  # an unreadable shipped entry is a miss: the kernel compiles
        return None


def build(levels, out: Path | None = None, verbose: bool = True) -> dict[str, float]:
    """Compile ``fastmlp warmup``'s kernels for each level into ``out/<level>``.

    Each level runs warmup in a new process with an empty kernel cache and ``FASTMLP_CPU``
    set to the level; its cache folder, with the lock files left out, becomes the level's
    set. A previous set of that level is replaced.

    Parameters
    ----------
    levels : iterable of str
        Levels from :data:`fastmlp.kernels.target.LEVELS`, each at most the host's.
    out : Path, optional
        Where the sets go; :data:`PREBUILT_DIR` (inside the package, so a wheel built next
        carries them) by default.
    verbose : bool, default=True
        Print each level's build time.

    Returns
    -------
    dict
        Seconds each level took.
    """
    out = PREBUILT_DIR if out is None else Path(out)
    host = target.host_level()
    seconds = {}
    for level in levels:
        if level not in target.LEVELS:
            raise ValueError(f"levels: {level!r} is not one of {target.LEVELS}")
        if not target.runs_on(level, host):
            raise ValueError(f"levels: this machine ({host}) cannot run {level} code, "
                             "which warmup must run to compile it")
        began = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="fastmlp-prebuild-") as scratch:
            env = {key: value for key, value in os.environ.items()
                   if key not in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "NUMBA_CACHE_DIR",
                                  "NUMBA_DISABLE_JIT")}
            env.update(FASTMLP_CACHE_DIR=scratch, FASTMLP_CPU=level)
            # run in the empty scratch folder, with this fastmlp first on the path: the
            # working directory may hold another copy of fastmlp (``-m`` would import it) or
            # a .numba_config.yaml naming a CPU (the kernels would be compiled for it and
            # never match the level's key)
            env["PYTHONPATH"] = os.pathsep.join(
                [str(cache.PACKAGE_DIR.parent)] + [part for part in
                                                   env.get("PYTHONPATH", "").split(os.pathsep)
                                                   if part])
            subprocess.run([sys.executable, "-m", "fastmlp", "warmup"], env=env, check=True,
                           cwd=scratch, stdout=None if verbose else subprocess.DEVNULL)
            compiled = Path(scratch) / cache.cache_dir().name
            if not compiled.is_dir():
                raise RuntimeError(f"warmup compiled nothing into {compiled}")
            staging = out / (".staging-" + level)
            shutil.rmtree(staging, ignore_errors=True)
            shutil.copytree(compiled, staging, ignore=shutil.ignore_patterns(".lock"))
            shutil.rmtree(out / level, ignore_errors=True)
            os.replace(staging, out / level)
        seconds[level] = time.perf_counter() - began
        if verbose:
            print(f"{level}: {seconds[level]:.1f} s -> {out / level}")
    return seconds
