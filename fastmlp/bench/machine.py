"""Which CPU and which vector instruction set produced a benchmark figure.

A figure without its CPU cannot be compared with another: the same kernels run at different
speeds on an AVX2 and an AVX-512 core, and Numba (like XLA, PyTorch and OpenBLAS) can be told
to compile for a narrower ISA than the host has (``FASTMLP_CPU=x86-64-v3``, or
``NUMBA_CPU_NAME=haswell`` with ``NUMBA_CPU_FEATURES=""``). :func:`describe`
gathers both -- the host's CPU model and widest ISA, and the ISA that Numba compiles for -- with
the environment variables that narrow the peers' ISAs, and :func:`header` prints them in one line
for the top of a table.
"""

from __future__ import annotations

import os
import platform

#: Environment variables that pick the instruction set of fastmlp's kernels or of a peer's, or
#: their thread counts; a results header records the ones that are set.
ISA_VARIABLES = ("FASTMLP_CPU", "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "OPENBLAS_CORETYPE",
                 "XLA_FLAGS", "ATEN_CPU_CAPABILITY", "FASTMLP_CFLOOR_MARCH", "NUMBA_NUM_THREADS",
                 "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "FASTMLP_SPECIALIZE")

# LLVM / GCC CPU names by the widest vector ISA they enable (x86-64): the names a user passes
# as NUMBA_CPU_NAME; LLVM's host name is matched here too
_AVX512_CPUS = ("skylake-avx512", "cascadelake", "cooperlake", "cannonlake", "icelake-client",
                "icelake-server", "tigerlake", "rocketlake", "sapphirerapids", "emeraldrapids",
                "graniterapids", "graniterapids-d", "znver4", "znver5", "knl", "knm",
                "diamondrapids", "x86-64-v4")
_AVX2_CPUS = ("haswell", "broadwell", "skylake", "alderlake", "raptorlake", "meteorlake",
              "arrowlake", "arrowlake-s", "lunarlake", "gracemont", "sierraforest",
              "grandridge", "clearwaterforest", "znver1", "znver2", "znver3", "bdver4",
              "x86-64-v3")
_AVX_CPUS = ("sandybridge", "ivybridge", "btver2", "bdver1", "bdver2", "bdver3")


def isa_of_flags(flags) -> str:
    """The widest vector ISA among CPU feature flags (``/proc/cpuinfo`` spelling: ``avx512f``,
    ``avx2``, ...): "AVX-512", "AVX2", "AVX", "SSE4.2", "SSE2" or "none"."""
    flags = set(flags)
    for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"),
                       ("sse4_2", "SSE4.2"), ("sse2", "SSE2")):
        if flag in flags:
            return name
    return "none"


def isa_of_cpu_name(name: str) -> str | None:
    """The widest vector ISA of an LLVM / GCC CPU name (``haswell`` -> "AVX2"), or None when
    the name is not one this table knows."""
    name = name.strip().lower()
    if name in _AVX512_CPUS:
        return "AVX-512"
    if name in _AVX2_CPUS:
        return "AVX2"
    if name in _AVX_CPUS:
        return "AVX"
    if name in ("x86-64-v2", "nehalem", "westmere", "silvermont", "goldmont", "tremont"):
        return "SSE4.2"
    if name in ("x86-64", "generic", "core2"):
        return "SSE2"
    return None


def _cpuinfo(path: str = "/proc/cpuinfo") -> tuple[str, list[str]]:
    """The first processor's model name and feature flags ("", [] where there is no such
    file, as on macOS and Windows)."""
    model, flags = "", list[str]()
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not model:
                    model = value.strip()
                elif key == "flags" and not flags:
                    flags = value.split()
                if model and flags:
                    break
    except OSError:
        pass
    return model, flags


def _numba_target() -> tuple[str, str | None]:
    """The CPU name Numba compiles fastmlp's kernels for and the feature list it passes
    (None: the host's own features, whatever the name): fastmlp's ISA level
    (:mod:`fastmlp.kernels.target`, with no extra features), or NUMBA_CPU_NAME /
    NUMBA_CPU_FEATURES when set, or the host."""
    from numba.core import config

    from ..kernels import target  # importing the kernels applies fastmlp's level

    try:
        return target.compiled_for(), getattr(config, "CPU_FEATURES", None)
    except Exception:  # llvmlite is Numba's dependency; without it there is no host name
        return "unknown", None


def describe(cpuinfo_path: str = "/proc/cpuinfo") -> dict:
    """This machine and the instruction sets in use, for a results file.

    Returns
    -------
    dict
        ``cpu_model`` (from ``/proc/cpuinfo``, else :func:`platform.processor`), ``cpu_isa``
        (the widest vector ISA of the host's flags), ``cores``, ``numba_cpu_name`` and
        ``numba_isa`` (what fastmlp's kernels are compiled for: the ISA level fastmlp chose,
        ``FASTMLP_CPU``'s, or NUMBA_CPU_NAME's with ``NUMBA_CPU_FEATURES=""``, or the host's),
        ``load_average`` (1, 5, 15 minutes; the machine may be shared) and ``environment``
        (the set variables among :data:`ISA_VARIABLES`).
    """
    model, flags = _cpuinfo(cpuinfo_path)
    cpu_isa = isa_of_flags(flags) if flags else "unknown"
    numba_cpu, features = _numba_target()
    numba_isa: str | None
    if features is None:
        # Numba passes the host's feature list whatever the CPU name (NUMBA_CPU_NAME alone
        # does not narrow the ISA: AVX-512 stays on with NUMBA_CPU_NAME=haswell)
        numba_isa = cpu_isa
    elif features.strip():  # an explicit feature list decides: "+avx2,-avx512f,..."
        enabled = [f[1:] for f in features.split(",") if f.startswith("+")]
        numba_isa = isa_of_flags(f.replace("sse4.2", "sse4_2") for f in enabled)
    else:  # no features: the CPU name's own
        numba_isa = isa_of_cpu_name(numba_cpu)
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "cpu_model": model or platform.processor() or platform.machine(),
        "cpu_isa": cpu_isa,
        "cores": os.cpu_count(),
        "numba_cpu_name": numba_cpu,
        "numba_isa": numba_isa or f"as {numba_cpu} has",
        "load_average": load,
        "environment": {k: os.environ[k] for k in ISA_VARIABLES if os.environ.get(k)},
    }


def header(info: dict | None = None) -> str:
    """One line naming the CPU, its ISA and the ISA of fastmlp's kernels, e.g. ``CPU: Intel(R)
    Xeon(R) Processor (AVX-512), 2 cores; Numba compiles for haswell (AVX2); load 1.02``."""
    info = describe() if info is None else info
    line = (f"CPU: {info['cpu_model']} ({info['cpu_isa']}), {info['cores']} cores; "
            f"Numba compiles for {info['numba_cpu_name']} ({info['numba_isa']})")
    if info["load_average"]:
        line += f"; load {info['load_average'][0]:.2f}"
    if info["environment"]:
        line += "; " + " ".join(f"{k}={v}" for k, v in info["environment"].items())
    return line
