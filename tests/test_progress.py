"""Honest progress while compiling: the compile clock, a progress bar whose elapsed time,
rate and ETA leave the compiling out, the compile notice on a line of its own, and the
command line's summary that says how much of the time was compiling."""

import io
import os
import re
import subprocess
import sys
import textwrap
import time

import numba
from tqdm import tqdm

from fastmlp.compiling import compile_seconds
from fastmlp.training import _exclude_from_clock


def test_the_compile_clock_counts_compiling_and_nothing_else():
    @numba.njit  # a new function: compiled on its first call, not taken from a cache
    def polynomial(x):
        return 3.0 * x * x + 2.0 * x + 1.0

    before, began = compile_seconds(), time.perf_counter()
    assert polynomial(2.0) == 17.0
    wall = time.perf_counter() - began
    spent = compile_seconds() - before
    assert 0 < spent <= wall
    before = compile_seconds()
    time.sleep(0.05)
    assert polynomial(3.0) == 34.0  # compiled already
    assert compile_seconds() == before


def test_the_bar_leaves_compile_time_out_of_its_elapsed_time_and_rate():
    bar = tqdm(total=10, file=io.StringIO(), mininterval=0, unit="epoch")
    time.sleep(0.3)  # stands for a first epoch that waited 0.3 s on the compiler
    _exclude_from_clock(bar, 0.3)
    bar.update()
    info = bar.format_dict
    assert info["elapsed"] < 0.15
    assert info["rate"] is None or info["rate"] > 1 / 0.15
    bar.close()
    plain = tqdm(total=10, file=io.StringIO(), mininterval=0)
    time.sleep(0.3)
    plain.update()
    assert plain.format_dict["elapsed"] >= 0.3  # what the bar showed before
    plain.close()


def test_a_cold_train_shows_the_notice_apart_and_times_the_compiling_apart(tmp_path):
    """A fresh Numba cache (the first run in a new environment): the compile notice is on
    a line of its own, not glued to the bar; the finished bar's elapsed time is the
    training's (well under a second), not the compiler's; the summary says both."""
    rows = "\n".join(f"{i % 7},{(i * 3) % 5},{'yes' if i % 7 > 3 else 'no'}"
                     for i in range(200))
    (tmp_path / "t.csv").write_text("a,b,y\n" + rows + "\n")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    # bytes, not text: text mode would turn the bar's carriage returns into newlines
    run = subprocess.run([sys.executable, "-m", "fastmlp", "train", "t.csv", "--target", "y",
                          "--out", "m.npz", "--epochs", "20", "--validation-fraction", "0"],
                         cwd=tmp_path, capture_output=True, timeout=900, env=env)
    err, out = run.stderr.decode(), run.stdout.decode()
    assert run.returncode == 0, err
    assert err.count("note: compiling") == 1, err
    before = err[:err.index("fastmlp train: note: compiling the training kernels")]
    # on a terminal the notice starts a line of its own: right after the bar was wiped
    # (a carriage return) or after a newline, not after the bar's text
    assert before == "" or before.endswith(("\r", "\n")), repr(before[-200:])
    final = re.split(r"[\r\n]", err.rstrip())[-1]
    assert "20/20" in final and "[00:00<00:00" in final, final
    match = re.search(r"time: ([\d.]+) s training, ([\d.]+) s compiling or loading kernels",
                      out)
    assert match, out
    training, compiling = map(float, match.groups())
    assert compiling > 1.0 > training  # the notice waits a second before it shows


def test_the_notice_reaches_a_recording_context_during_the_compile(tmp_path):
    """Numba's compiler records warnings raised in any thread while it compiles and emits
    them again only later; the notice is decided before the compile, so a caller's
    ``catch_warnings(record=True)`` still collects it, and an "ignore" filter silences it."""
    code = textwrap.dedent("""
        import warnings, numpy as np, fastmlp
        with warnings.catch_warnings(record=True) as log:
            warnings.simplefilter("always")
            warnings.filterwarnings("ignore" if IGNORE else "always",
                                    category=fastmlp.CompileNotice)
            fastmlp.MLP((3, 4, 2)).fit(np.zeros((64, 3)), np.zeros((64, 2)), batch_size=8,
                                       epochs=1)
        print([type(w.message).__name__ for w in log].count("CompileNotice"))
    """)
    for ignore, expected in ((False, "1"), (True, "0")):
        env = {**os.environ, "FASTMLP_CACHE_DIR": str(tmp_path / f"cache{ignore}")}
        env.pop("NUMBA_CACHE_DIR", None)
        run = subprocess.run([sys.executable, "-c", f"IGNORE = {ignore}\n" + code],
                             capture_output=True, text=True, timeout=900, env=env)
        assert run.returncode == 0, run.stderr[-2000:]
        assert run.stdout.strip() == expected
        assert "CompileNotice" not in run.stderr  # nothing printed beside the record
