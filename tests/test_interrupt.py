"""A second Ctrl-C stops a fit at once, also in the middle of a long compiled epoch, keeping
the parameters of the completed epochs (issue 28, item 7). Run in a subprocess that gets
real SIGINTs."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

CHILD = textwrap.dedent("""
    import time
    import numpy as np
    import fastmlp

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300_000, 20))
    Y = np.tanh(X[:, :10] - X[:, 10:])
    net = fastmlp.MLP((20, 96, 10), "tanh", "identity", seed=0)
    net.fit(X[:200], Y[:200], epochs=1, learning_rate=0.01, seed=0)  # compiled before the long fit
    before = net.params.copy()
    began = time.perf_counter()
    print("fitting", flush=True)
    try:
        net.fit(X, Y, epochs=3, learning_rate=0.01, seed=0,
                callback=lambda epoch, history: print("epoch done", flush=True))
        print("finished", time.perf_counter() - began, flush=True)
    except KeyboardInterrupt:
        print("interrupted", time.perf_counter() - began,
              bool(np.array_equal(net.params, before)), flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_second_ctrl_c_stops_a_long_compiled_epoch_at_once():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in [os.getcwd(), os.environ.get("PYTHONPATH")] if p)}
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = child.stdout.readline().strip()
        if first != "fitting":
            child.kill()
            raise AssertionError(f"the child did not start fitting: {first!r} "
                                 f"{child.communicate()[1][-3000:]}")
        time.sleep(0.5)  # inside the first epoch
        child.send_signal(signal.SIGINT)
        time.sleep(0.3)
        child.send_signal(signal.SIGINT)
        second = time.monotonic()
        line = child.stdout.readline().split()
        stopped_after = time.monotonic() - second
        rest, stderr = child.communicate(timeout=600)
    finally:
        if child.poll() is None:
            child.kill()
    assert line[:1] == ["interrupted"], (line, rest, stderr[-2000:])
    # the second Ctrl-C arrived 0.8 s into a first epoch of several seconds: it stopped the
    # fit within a fraction of a second, before that epoch ended, and the parameters are
    # those the fit started from (no epoch completed)
    assert "epoch done" not in rest
    assert stopped_after < 0.5, stopped_after
    assert line[2] == "True"
    assert "stopping at the end of this epoch" in stderr


def test_a_background_epoch_gives_the_bits_of_a_foreground_epoch(monkeypatch):
    """The worker-thread path (a long epoch) and the main-thread path train the same bits."""
    import fastmlp
    from fastmlp import training

    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(300, 5)), rng.normal(size=(300, 2))
    results = []
    for seconds in (float("inf"), 0.0):  # never / always in the background
        monkeypatch.setattr(training, "BACKGROUND_EPOCH_SECONDS", seconds)
        monkeypatch.setattr(training, "BACKGROUND_FIRST_EPOCH_WORK", 0 if seconds == 0 else
                            10**30)
        net = fastmlp.MLP((5, 7, 2), "tanh", "identity", seed=0)
        history = net.fit(X, Y, optimizer="adam", learning_rate=0.01, batch_size=4, epochs=3,
                          seed=2)
        results.append((net.params.copy(), history.loss, net._optimizer_state.t))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert results[0][2] == results[1][2]
