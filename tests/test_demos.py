"""The notes' classic demos print what the notes say, from the command line too."""

import subprocess
import sys

from fastmlp import demos


def test_mp_xor_prints_the_truth_table():
    assert demos.mp_xor()[-4:] == [" 0  0 |  0", " 0  1 |  1", " 1  0 |  1", " 1  1 |  0"]


def test_perceptron_fails_where_the_two_layer_network_succeeds():
    lines = demos.perceptron_vs_xor()
    assert lines[0].startswith("perceptron on AND: converged")
    assert lines[1].startswith("perceptron on OR: converged")
    assert lines[2] == ("perceptron on XOR: did not converge in 100 epochs (no line "
                        "separates it)")
    assert "predicts [0, 1, 1, 0]" in lines[3]


def test_worked_examples_print_the_notes_values():
    assert demos.worked_examples() == [
        "f(x) = x^2, step size 0.1, x(0) = 3", "  x(1) = 2.4", "  x(2) = 1.92",
        "f(x) = x^2, step size 0.8, x(0) = -4", "  x(1) = 2.4", "  x(2) = -1.44",
        "  x(3) = 0.864", "  x(4) = -0.5184", "  x(5) = 0.31104", "  x(30) = -8.84296e-07"]


def test_the_saddle_is_named_and_escaped():
    first, stuck, escaped = demos.saddle()
    assert "diagnose(): saddle" in first and "gradient norm 2.8e-17" in first
    start = float(first.split("loss ")[1].split(",")[0])
    assert f"loss {start:.6f} after 20 epochs" in stuck  # zero gradient: no progress
    final = float(escaped.rsplit("loss ", 1)[1])
    assert final < 0.1 * start


def test_python_m_fastmlp_demos_runs():
    run = subprocess.run([sys.executable, "-m", "fastmlp.demos"], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "x(30) = -8.84296e-07" in run.stdout and "1  1 |  0" in run.stdout
