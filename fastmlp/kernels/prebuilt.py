"""Compiled kernels shipped inside the package, one set per x86-64 ISA level.

A fresh environment (a CI job, a container, a notebook VM, a Dask worker on a new node) starts
with an empty kernel cache, and every fastmlp path would first wait seconds for Numba. A wheel
built with :func:`build` carries the kernels ``fastmlp warmup`` compiles, for each level in
:data:`fastmlp.kernels.target.LEVELS` it was built for, under ``fastmlp/_prebuilt/<level>/``.
On import, :func:`seed` copies the set for the level this process compiles for
(:mod:`fastmlp.kernels.target`) into the kernel cache (:mod:`fastmlp.kernels.cache`), where
Numba loads them as if this machine had compiled them.

They are the same code this machine would compile: the cache folder is keyed on the content
of every source file of the package (an edited source finds no prebuilt kernel and compiles),
and each entry on the kernel's argument types, the level (not the host's model) and the Numba
and Python versions. Anything not shipped -- another level, another Python, a configuration
warmup does not cover -- compiles as before.

Build a wheel with them::

    python -m fastmlp.prebuild --levels x86-64-v3 x86-64-v4
    python -m pip wheel --no-deps --no-build-isolation -w dist .

Each level is built by running ``fastmlp warmup`` for it, so it needs a machine that can run
that level's code (an AVX-512 machine builds both).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import cache, target

PREBUILT_DIR = cache.PACKAGE_DIR / "_prebuilt"
MARKER_PREFIX = ".prebuilt-"


def seed(level: str | None, source: Path | None = None) -> int:
    """Copy the prebuilt kernels of ``level`` into this installation's kernel cache.

    Done once per cache folder and level (a marker file records it); an index already in the
    cache (kernels this machine compiled) is kept, never overwritten. Does nothing when no
    set was shipped for ``level`` or the cache cannot be written.

    Parameters
    ----------
    level : str or None
        The level this process compiles for (:func:`fastmlp.kernels.target.apply`); None
        (Numba's own choice of CPU) matches no prebuilt set.
    source : Path, optional
        The folder holding one sub-folder per level; :data:`PREBUILT_DIR` by default.

    Returns
    -------
    int
        How many kernel indexes were copied.
    """
    if level is None:
        return 0
    shipped = (PREBUILT_DIR if source is None else Path(source)) / level
    if not shipped.is_dir():
        return 0
    destination = cache.cache_dir()
    marker = destination / (MARKER_PREFIX + level)
    if marker.exists():
        return 0
    try:
        destination.mkdir(parents=True, exist_ok=True)
        with cache.exclusive(str(destination)):
            if marker.exists():  # another process seeded it while this one waited
                return 0
            copied = _copy_missing_indexes(shipped, destination)
            # warmup's record that the set is complete (fastmlp.warmup then loads, no more)
            for done in shipped.glob(".warmed-*"):
                if not (destination / done.name).exists():
                    _atomic_copy(done, destination / done.name)
            marker.write_text(f"{copied} kernel indexes from {shipped}\n")
    except OSError:
        return 0  # a read-only cache: the kernels compile, as without a prebuilt set
    return copied


def _copy_missing_indexes(shipped: Path, destination: Path) -> int:
    """Copy each index (``*.nbi``) of ``shipped`` whose counterpart ``destination`` lacks,
    with its data files (``<same stem>.<n>.nbc``): data first, index last, each written to a
    temporary name and renamed, so a process that loads meanwhile sees a whole entry or
    none."""
    copied = 0
    for index in sorted(shipped.rglob("*.nbi")):
        relative = index.relative_to(shipped)
        folder = destination / relative.parent
        if (folder / relative.name).exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        stem = index.name[: -len(".nbi")]
        for data in sorted(index.parent.glob(stem + ".*.nbc")):
            _atomic_copy(data, folder / data.name)
        _atomic_copy(index, folder / relative.name)
        copied += 1
    return copied


def _atomic_copy(source: Path, destination: Path) -> None:
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".copy-")
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, destination)
    except BaseException:
        os.unlink(temporary)
        raise


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
        if host is None or target.LEVELS.index(level) > target.LEVELS.index(host):
            raise ValueError(f"levels: this machine ({host}) cannot run {level} code, "
                             "which warmup must run to compile it")
        began = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="fastmlp-prebuild-") as scratch:
            env = {key: value for key, value in os.environ.items()
                   if key not in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "NUMBA_CACHE_DIR",
                                  "NUMBA_DISABLE_JIT")}
            env.update(FASTMLP_CACHE_DIR=scratch, FASTMLP_CPU=level)
            subprocess.run([sys.executable, "-m", "fastmlp", "warmup"], env=env, check=True,
                           stdout=None if verbose else subprocess.DEVNULL)
            compiled = Path(scratch) / cache.cache_dir().name
            if not compiled.is_dir():
                raise RuntimeError(f"warmup compiled nothing into {compiled}")
            staging = out / (".staging-" + level)
            shutil.rmtree(staging, ignore_errors=True)
            shutil.copytree(compiled, staging,
                            ignore=shutil.ignore_patterns(".lock", MARKER_PREFIX + "*"))
            shutil.rmtree(out / level, ignore_errors=True)
            os.replace(staging, out / level)
        seconds[level] = time.perf_counter() - began
        if verbose:
            print(f"{level}: {seconds[level]:.1f} s -> {out / level}")
    return seconds
