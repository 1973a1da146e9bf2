"""Benchmark figures name their CPU: the model and vector ISA from /proc/cpuinfo, and the ISA
that Numba compiles for."""

import json
import os
import subprocess
import sys

import pytest

from fastmlp.bench import machine
from fastmlp.kernels import target

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma bmi2

processor\t: 1
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma bmi2
"""


@pytest.mark.parametrize("flags, isa", [("sse2 avx avx2 avx512f avx512bw", "AVX-512"),
                                        ("sse2 sse4_2 avx fma avx2", "AVX2"),
                                        ("sse2 sse4_2 avx", "AVX"),
                                        ("sse2 sse4_2", "SSE4.2"), ("fpu", "none")])
def test_isa_of_flags(flags, isa):
    assert machine.isa_of_flags(flags.split()) == isa


def test_describe_reads_the_model_and_isa_from_cpuinfo(tmp_path, monkeypatch):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    monkeypatch.setattr(machine, "_numba_target", lambda: ("znver3", None))
    info = machine.describe(str(path))
    assert info["cpu_model"] == "AMD EPYC 7B13"
    assert info["cpu_isa"] == "AVX2"
    assert info["numba_isa"] == "AVX2"  # the host's, when nothing narrows it


def test_a_cpu_name_with_the_hosts_features_keeps_the_hosts_isa(tmp_path, monkeypatch):
    # NUMBA_CPU_NAME=haswell alone: Numba still passes the host's features (+avx512f...)
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO.replace("avx2", "avx2 avx512f"))
    monkeypatch.setattr(machine, "_numba_target", lambda: ("haswell", None))
    assert machine.describe(str(path))["numba_isa"] == "AVX-512"


def test_a_level_without_features_narrows_the_kernels_isa(tmp_path, monkeypatch):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO.replace("avx2", "avx2 avx512f"))
    monkeypatch.setattr(machine, "_numba_target", lambda: ("x86-64-v3", ""))
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    info = machine.describe(str(path))
    assert (info["cpu_isa"], info["numba_cpu_name"], info["numba_isa"]) == (
        "AVX-512", "x86-64-v3", "AVX2")
    line = machine.header(info)
    assert "AMD EPYC 7B13 (AVX-512)" in line
    assert "Numba compiles for x86-64-v3 (AVX2)" in line
    assert "OPENBLAS_CORETYPE=Haswell" in line


def test_numba_cpu_features_decide_the_isa(monkeypatch):
    monkeypatch.setattr(machine, "_numba_target",
                        lambda: ("generic", "+sse2,+sse4.2,+avx,+avx2,-avx512f"))
    assert machine.describe()["numba_isa"] == "AVX2"


def test_unknown_cpu_name_is_named_not_guessed(monkeypatch):
    monkeypatch.setattr(machine, "_numba_target", lambda: ("someday-lake", ""))
    assert machine.describe()["numba_isa"] == "as someday-lake has"


@pytest.mark.skipif(target.host_level() not in ("x86-64-v3", "x86-64-v4"),
                    reason="needs an x86-64-v3 (AVX2) machine or better")
def test_fastmlp_cpu_is_what_a_new_process_reports():
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CPU")}
    program = ("import json; from fastmlp.bench import machine; "
               "info = machine.describe(); "
               "print(json.dumps([info['numba_cpu_name'], info['numba_isa'], "
               "info['environment'].get('FASTMLP_CPU')]))")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          env={**env, "FASTMLP_CPU": "x86-64-v3"}, check=True, timeout=120)
    assert json.loads(done.stdout) == ["x86-64-v3", "AVX2", "x86-64-v3"]


def test_no_cpuinfo_falls_back_to_platform(tmp_path):
    info = machine.describe(str(tmp_path / "absent"))
    assert info["cpu_model"] and info["cpu_isa"] == "unknown"
