"""The CPU fastmlp's kernels are compiled for: an x86-64 ISA level, not the host's model.

Numba compiles for the host's exact CPU model and feature list, and keys every cached kernel
on them. Two consequences matter here:

* a kernel compiled on one machine is never loaded on another with a different model or
  microcode feature list, so compiled kernels cannot be shipped with the package (the only
  way a fresh environment can start without waiting for the compiler);
* the kernels compiled with reassociation (:data:`fastmlp.kernels._jit.FASTMATH`) may sum in
  a different order for another vector width, so a shipped kernel built for another model
  and a kernel compiled here could give different bits for the same fit.

So fastmlp compiles for the highest x86-64 micro-architecture level the host supports
(``x86-64-v4``: AVX-512; ``x86-64-v3``: AVX2 and FMA; ``x86-64-v2``), with no extra features:
every machine of one level compiles the same code, a prebuilt kernel of that level
(:mod:`fastmlp.kernels.prebuilt`) is the code this machine would compile itself, and a fit
gives the same bits whether its kernels were shipped, cached or compiled now.

The choice is Numba's process-wide ``CPU_NAME`` / ``CPU_FEATURES`` setting, made when fastmlp
is imported, and kept when Numba re-reads its environment variables (it does before every
compile, and resets both when any ``NUMBA_*`` variable changed since). It is left alone
(the host's own model, as Numba chooses) when:

* the user chose: ``NUMBA_CPU_NAME`` or ``NUMBA_CPU_FEATURES`` is set (in the environment
  or as ``cpu_name`` / ``cpu_features`` in Numba's ``.numba_config.yaml``);
* ``FASTMLP_CPU=native``; ``FASTMLP_CPU=<level>`` picks a lower level than the host's instead
  (to build or time AVX2 kernels on an AVX-512 machine). Case and surrounding blanks are
  ignored. A value that is not a level, ``auto`` or ``native`` is warned about and ignored,
  as Numba treats its own unparsable variables (the import goes on with the automatic
  choice); a level above the host's raises, as NumPy's ``NPY_ENABLE_CPU_FEATURES`` does for
  features the machine lacks: that request is understood and cannot be met;
* Numba's CPU target was set up before fastmlp was imported: by a compile, and also by
  merely *defining* a function with ``@njit``, ``@vectorize`` and the like (its dispatcher
  creates Numba's code generator, which fixes the CPU it targets; changing the setting then
  would mislabel cache entries) -- also when a library imported earlier did it. Import
  fastmlp before other Numba code to get the shipped kernels;
* the host is not x86-64.
"""

from __future__ import annotations

import os
import platform
import warnings

#: LLVM feature names each level requires beyond the previous one (the x86-64 psABI levels).
LEVEL_FEATURES: dict[str, frozenset[str]] = {
    "x86-64-v2": frozenset({"cx16", "popcnt", "sahf", "sse3", "sse4.1", "sse4.2", "ssse3"}),
    "x86-64-v3": frozenset({"avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe",
                            "xsave"}),
    "x86-64-v4": frozenset({"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
}
LEVELS = tuple(LEVEL_FEATURES)

#: Why the setting was left alone, or None when fastmlp chose the level (see :func:`apply`).
reason_native: str | None = None


def host_level(features: dict[str, bool] | None = None) -> str | None:
    """The highest level in :data:`LEVELS` whose features the host (or ``features``, LLVM's
    feature map) all has, or None (not x86-64, or below ``x86-64-v2``)."""
    if features is None:
        if platform.machine().lower() not in ("x86_64", "amd64"):
            return None
        import llvmlite.binding as llvm

        try:
            features = dict(llvm.get_host_cpu_features())
        except RuntimeError:
            return None
    have = {name for name, on in features.items() if on}
    level = None
    required: set[str] = set()
    for name in LEVELS:
        required |= LEVEL_FEATURES[name]
        if not required <= have:
            break
        level = name
    return level


def runs_on(level: str, host: str | None) -> bool:
    """Whether code compiled for ``level`` runs on a machine of level ``host``."""
    return host is not None and LEVELS.index(level) <= LEVELS.index(host)


def _numba_has_compiled() -> bool:
    from numba.core.registry import cpu_target

    # the target context (and its code generator) is created at the first compile or load
    return "_toplevel_target_context" in vars(cpu_target)


def _numba_settings() -> dict:
    """The ``NUMBA_*`` settings Numba reads: the environment's, and those of a
    ``.numba_config.yaml`` in the working directory (Numba reads it as the same names)."""
    from numba.core import config

    settings = dict(getattr(getattr(config, "_env_reloader", None), "old_environ", None) or {})
    settings.update((name, value) for name, value in os.environ.items()
                    if name.startswith("NUMBA_"))
    return settings


def choose() -> tuple[str | None, str | None]:
    """The level to compile for and, when there is none, why (see the module docstring).

    Returns
    -------
    level : str or None
        One of :data:`LEVELS`, or None for Numba's own choice (the host's model).
    reason : str or None
        Why Numba's own choice stays, when ``level`` is None.
    """
    settings = _numba_settings()
    for variable in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES"):
        if variable in settings:
            return None, f"{variable} is set"
    wanted = os.environ.get("FASTMLP_CPU", "").strip().lower() or "auto"
    if wanted not in ("auto", "native", *LEVELS):
        # like Numba's own variables: a value that cannot be parsed is reported and ignored
        warnings.warn(f"FASTMLP_CPU must be 'auto', 'native' or one of {LEVELS}, not "
                      f"{wanted!r}: ignored, the level is chosen automatically",
                      RuntimeWarning, stacklevel=2)
        wanted = "auto"
    if wanted == "native":
        return None, "FASTMLP_CPU=native"
    level = host_level()
    if level is None:
        return None, "the host is not x86-64 (v2 or later)"
    if wanted != "auto":
        if not runs_on(wanted, level):
            raise ValueError(f"FASTMLP_CPU={wanted} asks for more than this CPU has "
                             f"({level})")
        level = wanted
    if _numba_has_compiled():
        return None, ("Numba's CPU target was set up before fastmlp was imported (a function "
                      "was compiled or defined with @njit, perhaps by a library imported "
                      "earlier)")
    return level, None


def apply() -> str | None:
    """Set Numba's CPU name and features to :func:`choose`'s level (once, at import).

    Returns
    -------
    str or None
        The level, or None when Numba's own choice stays (:data:`reason_native` says why).
    """
    global reason_native
    from numba.core import config

    level, reason_native = choose()
    if level is not None:
        _set(config, level)
        _keep_across_reloads(level)
        # fastmlp's own child processes (background compiles, warmup's jobs) are told the
        # parent's choice through FASTMLP_CPU (fastmlp._child)
    return level


def _set(config, level: str) -> None:
    """Numba's CPU: the level, with no features beyond the level's own."""
    config.CPU_NAME = level  # Numba's config sets its settings at run time
    config.CPU_FEATURES = ""


def _keep_across_reloads(level: str) -> None:
    """Set the level again whenever Numba re-reads its environment variables.

    Numba's compiler calls ``config.reload_config()`` before every compile, which re-reads
    every ``NUMBA_*`` variable as soon as any of them changed since Numba was imported (a
    user's ``os.environ["NUMBA_..."] = ...``, a notebook's ``%env``): that would reset
    ``CPU_NAME`` to the host's model while the code generator still compiles for the level,
    so every later lookup would miss this process's cache, the shipped set and the kernels
    its background compiles write. A user's own ``NUMBA_CPU_NAME`` / ``NUMBA_CPU_FEATURES``
    set since then is left to Numba. Left alone when Numba's reloader is not as expected
    (``tests/test_prebuilt_review.py`` checks the behaviour)."""
    from numba.core import config

    reloader = getattr(config, "_env_reloader", None)
    process = getattr(reloader, "process_environ", None)
    if process is None or getattr(process, "_fastmlp_level", None) is not None:
        return

    def process_environ(environ):
        process(environ)
        if not any(name in environ for name in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES")):
            _set(config, level)

    process_environ._fastmlp_level = level  # type: ignore[attr-defined]
    reloader.process_environ = process_environ  # type: ignore[union-attr]


def compiled_for() -> str:
    """The CPU name Numba compiles for in this process (a level, or the host's model)."""
    from numba.core import config

    name = getattr(config, "CPU_NAME", None)
    if name:
        return str(name)
    import llvmlite.binding as llvm

    return str(llvm.get_host_cpu_name())
