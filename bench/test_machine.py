"""Benchmark figures name their CPU: the model and vector ISA from /proc/cpuinfo, and the ISA
that Numba compiles for."""

import pytest

from fastmlp.bench import machine

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
    monkeypatch.delenv("NUMBA_CPU_NAME", raising=False)
    monkeypatch.delenv("NUMBA_CPU_FEATURES", raising=False)
    info = machine.describe(str(path))
    assert info["cpu_model"] == "AMD EPYC 7B13"
    assert info["cpu_isa"] == "AVX2"
    assert info["numba_isa"] == "AVX2"  # the host's, when nothing narrows it


def test_numba_cpu_name_narrows_the_kernels_isa(tmp_path, monkeypatch):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO.replace("avx2", "avx2 avx512f"))
    monkeypatch.setenv("NUMBA_CPU_NAME", "haswell")
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    info = machine.describe(str(path))
    assert (info["cpu_isa"], info["numba_cpu_name"], info["numba_isa"]) == (
        "AVX-512", "haswell", "AVX2")
    line = machine.header(info)
    assert "AMD EPYC 7B13 (AVX-512)" in line
    assert "Numba compiles for haswell (AVX2)" in line
    assert "OPENBLAS_CORETYPE=Haswell" in line


def test_numba_cpu_features_decide_the_isa(monkeypatch):
    monkeypatch.setenv("NUMBA_CPU_NAME", "generic")
    monkeypatch.setenv("NUMBA_CPU_FEATURES", "+sse2,+sse4.2,+avx,+avx2,-avx512f")
    assert machine.describe()["numba_isa"] == "AVX2"


def test_unknown_cpu_name_is_named_not_guessed(monkeypatch):
    monkeypatch.delenv("NUMBA_CPU_FEATURES", raising=False)
    monkeypatch.setenv("NUMBA_CPU_NAME", "someday-lake")
    assert machine.describe()["numba_isa"] == "as someday-lake has"


def test_no_cpuinfo_falls_back_to_platform(tmp_path):
    info = machine.describe(str(tmp_path / "absent"))
    assert info["cpu_model"] and info["cpu_isa"] == "unknown"
