"""``python -m fastmlp.bench``: the report command itself, on one small case."""

import json
import sys

import pytest

from fastmlp.bench.__main__ import main


def test_quick_report_writes_the_table_as_json(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert main(["--quick", "--cases", "per-sample SGD 3-4-2", "--peers", "--no-startup",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "per-sample SGD 3-4-2" in printed and "large-GEMM rate" in printed
    result = json.loads(out.read_text())
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
