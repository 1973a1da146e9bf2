"""``python -m fastmlp.bench``: the report command itself, on one small case."""

import json
import sys

import pytest

from fastmlp.bench.__main__ import main
from fastmlp.bench.machine import describe


def test_quick_report_writes_the_table_as_json(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert main(["--quick", "--cases", "per-sample SGD 3-4-2", "--peers", "--no-startup",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "per-sample SGD 3-4-2" in printed and "large-GEMM rate" in printed
    result = json.loads(out.read_text())
    # the results file and the table name the CPU and the ISAs that made them
    here = describe()
    assert result["machine"]["cpu_model"] == here["cpu_model"]
    assert result["machine"]["cpu_isa"] == here["cpu_isa"] != ""
    assert result["machine"]["numba_isa"] == here["numba_isa"]
    table_header = printed.splitlines()[printed.splitlines().index(
        next(line for line in printed.splitlines() if line.startswith("case ")))- 1]
    assert f"CPU: {here['cpu_model']} ({here['cpu_isa']})" in table_header
    assert f"Numba compiles for {here['numba_cpu_name']} ({here['numba_isa']})" in table_header
    (row,) = result["rows"]
    assert row["case"] == "per-sample SGD 3-4-2"
    assert row["fastmlp_samples_per_s"] > 0 and row["reference_samples_per_s"] > 0
    assert result["gemm_gflops"] > 0
    assert [n for n, _ in result["scaling"]] == sorted(n for n, _ in result["scaling"])


def test_png_without_matplotlib_fails_before_the_sweep(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes the import raise
    with pytest.raises(SystemExit) as exit_info:
        main(["--quick", "--png", "chart.png"])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert "--png needs matplotlib" in captured.err
    assert "large-GEMM" not in captured.out  # nothing was measured


def test_report_with_the_c_floors_and_a_narrower_isa(tmp_path, capsys, monkeypatch):
    # the level is chosen at import (fastmlp.kernels.target): here FASTMLP_CPU only changes
    # the C floors' -march, and what Numba compiles for is stood in for; the header and the
    # -march are what this test checks (a new process compiling for a level:
    # bench/test_machine.py)
    from fastmlp.bench import machine

    monkeypatch.setenv("FASTMLP_CPU", "x86-64-v3")
    monkeypatch.delenv("FASTMLP_CFLOOR_MARCH", raising=False)
    monkeypatch.setattr(machine, "_numba_target", lambda: ("x86-64-v3", ""))
    out = tmp_path / "results.json"
    assert main(["--quick", "--cases", "per-sample SGD 3-4-2", "--peers", "c_strict",
                 "c_fast_math", "--no-startup", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert result["machine"]["numba_isa"] == "AVX2"
    assert result["machine"]["environment"]["c floors"] == "-march=x86-64-v3"
    assert "Numba compiles for x86-64-v3 (AVX2)" in printed
    (row,) = result["rows"]
    assert row["c_strict_samples_per_s"] > 0 and row["c_fast_math_samples_per_s"] > 0
