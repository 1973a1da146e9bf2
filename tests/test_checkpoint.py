"""Long fits survive a crash: fit(checkpoint=path, checkpoint_every=N) records the fit and a
rerun of the same call continues from it, ending with the bits of an uninterrupted fit
(fastmlp.checkpoint; issue 28)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import fastmlp

SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    import fastmlp

    options = {options}
    checkpoint, out, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    Y = np.column_stack([np.sin(X[:, 0]) + X[:, 1] * X[:, 2], X[:, 3] > 0]).astype(float)
    net = fastmlp.MLP((5, 12, 2), "tanh", "identity", "mse", seed=1,
                      dropout=options.pop("dropout", 0.0))

    def callback(epoch, history):
        print("epoch", epoch, flush=True)
        if epoch == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    history = net.fit(X[:300], Y[:300], validation_data=(X[300:], Y[300:]), seed=7,
                      checkpoint=checkpoint, callback=callback, **options)
    np.save(out, net.params)
    with open(out + ".json", "w") as f:
        import json
        json.dump({{"loss": history.loss.tolist(), "val_loss": history.val_loss.tolist(),
                   "best_epoch": history.best_epoch, "stop": history.stop_reason}}, f)
""")

OPTIONS = [
    dict(optimizer="adam", learning_rate=0.01, batch_size=8, epochs=12, checkpoint_every=2,
         early_stopping=True, n_iter_no_change=100),
    dict(optimizer="momentum", learning_rate=0.01, batch_size=1, epochs=9, checkpoint_every=1,
         schedule="inverse", clip_norm=1.0),
    # the masks come from each epoch's seed, drawn from the fit's random state: the
    # checkpoint's state must give the resumed epochs the masks of the uninterrupted fit
    dict(optimizer="nesterov", learning_rate=0.01, batch_size=16, epochs=10, checkpoint_every=1,
         dropout=0.3),
]


def run(script, checkpoint, out, kill_at=-1, **popen):
    return subprocess.Popen([sys.executable, "-c", script, str(checkpoint), str(out),
                             str(kill_at)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **popen)


def result(out):
    with open(str(out) + ".json") as f:
        return np.load(str(out) + ".npy"), json.load(f)


@pytest.mark.parametrize("options", OPTIONS, ids=["adam-early-stopping", "per-sample",
                                                  "dropout"])
def test_a_fit_killed_by_sigkill_and_rerun_ends_with_the_same_bits(tmp_path, options):
    script = SCRIPT.format(options=repr(options))
    whole = run(script, tmp_path / "whole.npz", tmp_path / "whole")
    assert whole.wait(timeout=600) == 0, whole.stderr.read()[-2000:]
    assert not (tmp_path / "whole.npz").exists()  # a finished fit removes its checkpoint

    checkpoint = tmp_path / "ckpt.npz"
    killed = run(script, checkpoint, tmp_path / "resumed", kill_at=options["epochs"] // 2)
    assert killed.wait(timeout=600) == -signal.SIGKILL
    assert checkpoint.exists()
    printed = killed.stdout.read().split()
    assert printed.count("epoch") == options["epochs"] // 2 + 1
    rerun = run(script, checkpoint, tmp_path / "resumed")
    assert rerun.wait(timeout=600) == 0, rerun.stderr.read()[-2000:]
    # the rerun ran only the epochs after the last checkpoint
    epochs_rerun = rerun.stdout.read().split().count("epoch")
    assert epochs_rerun < options["epochs"]
    assert not checkpoint.exists()

    params, history = result(tmp_path / "resumed")
    expected_params, expected_history = result(tmp_path / "whole")
    np.testing.assert_array_equal(params, expected_params)
    assert history == expected_history


def test_a_fit_killed_at_any_moment_resumes_from_a_whole_checkpoint(tmp_path):
    """SIGKILL from outside, at an arbitrary moment after the first checkpoint (possibly
    while one is being written): the rerun still ends with the uninterrupted fit's bits."""
    options = dict(optimizer="adam", learning_rate=0.01, batch_size=4, epochs=300,
                   checkpoint_every=1)
    script = SCRIPT.format(options=repr(options))
    whole = run(script, tmp_path / "whole.npz", tmp_path / "whole")
    assert whole.wait(timeout=600) == 0, whole.stderr.read()[-2000:]
    checkpoint = tmp_path / "ckpt.npz"
    victim = run(script, checkpoint, tmp_path / "resumed")
    deadline = time.monotonic() + 300
    while not checkpoint.exists() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=60) == -signal.SIGKILL  # killed, not finished
    assert checkpoint.exists()
    rerun = run(script, checkpoint, tmp_path / "resumed")
    assert rerun.wait(timeout=600) == 0, rerun.stderr.read()[-2000:]
    params, history = result(tmp_path / "resumed")
    expected_params, expected_history = result(tmp_path / "whole")
    np.testing.assert_array_equal(params, expected_params)
    assert history == expected_history


def data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, np.column_stack([X[:, 0] * X[:, 1], X[:, 2]])


def interrupted_fit(path, epochs_before_failure=3, **options):
    """A fit whose callback raises after some epochs, leaving its checkpoint behind."""
    X, Y = data()

    def fail(epoch, history):
        if epoch == epochs_before_failure - 1:
            raise RuntimeError("crash")

    net = fastmlp.MLP((3, 6, 2), "tanh", "identity", seed=0)
    with pytest.raises(RuntimeError):
        net.fit(X, Y, epochs=6, seed=1, checkpoint=path, callback=fail, **options)
    assert os.path.exists(path)
    return X, Y


def test_in_process_resume_equals_the_uninterrupted_fit(tmp_path):
    path = tmp_path / "c.npz"
    X, Y = interrupted_fit(path, optimizer="nesterov", batch_size=16)
    net = fastmlp.MLP((3, 6, 2), "tanh", "identity", seed=0)
    history = net.fit(X, Y, epochs=6, seed=1, checkpoint=path, optimizer="nesterov",
                      batch_size=16)
    whole = fastmlp.MLP((3, 6, 2), "tanh", "identity", seed=0)
    expected = whole.fit(X, Y, epochs=6, seed=1, optimizer="nesterov", batch_size=16)
    np.testing.assert_array_equal(net.params, whole.params)
    np.testing.assert_array_equal(history.loss, expected.loss)
    np.testing.assert_array_equal(net._optimizer_state.slots, whole._optimizer_state.slots)
    assert net._optimizer_state.t == whole._optimizer_state.t
    assert not path.exists()


@pytest.mark.parametrize("change, words", [
    (dict(net=(3, 7, 2)), "another network"),
    (dict(learning_rate=0.05), "a fit with other options .*learning_rate"),
    (dict(seed=2), "a fit with another seed"),
    (dict(rows=100), "a fit on other data"),
])
def test_a_checkpoint_of_another_fit_is_refused(tmp_path, change, words):
    path = tmp_path / "c.npz"
    X, Y = interrupted_fit(path, batch_size=16)
    net = fastmlp.MLP(change.get("net", (3, 6, 2)), "tanh", "identity", seed=0)
    before = net.params.copy()
    rows = change.get("rows", len(X))
    with pytest.raises(ValueError, match=f"checkpoint .*c.npz.* cannot continue this fit: "
                                         f"it was written by {words}"):
        net.fit(X[:rows], Y[:rows], epochs=6, seed=change.get("seed", 1), checkpoint=path,
                batch_size=16, learning_rate=change.get("learning_rate", 0.1))
    np.testing.assert_array_equal(net.params, before)
    assert path.exists()  # refused, not deleted


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(b"garbage")
    X, Y = data()
    net = fastmlp.MLP((3, 6, 2), "tanh", "identity", seed=0)
    with pytest.raises(ValueError, match="is not a checkpoint file"):
        net.fit(X, Y, epochs=2, checkpoint=path)


def test_checkpoint_arguments_are_checked(tmp_path):
    X, Y = data()
    net = fastmlp.MLP((3, 6, 2), "tanh", "identity", seed=0)
    with pytest.raises(ValueError, match="checkpoint_every must be a positive integer"):
        net.fit(X, Y, epochs=2, checkpoint=tmp_path / "c.npz", checkpoint_every=0)
    with pytest.raises(ValueError, match="checkpoint_every must be a positive integer"):
        net.fit(X, Y, epochs=2, checkpoint_every=-1)
    with pytest.raises(ValueError, match="checkpoint must name a file"):
        net.fit(X, Y, epochs=2, checkpoint=tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        net.fit(X, Y, epochs=2, checkpoint=tmp_path / "missing" / "c.npz")
    with pytest.raises(TypeError, match="checkpoint must be a path"):
        net.fit(X, Y, epochs=2, checkpoint=3)


def test_checkpoints_are_written_every_n_epochs(tmp_path, monkeypatch):
    from fastmlp.checkpoint import Checkpoint

    written = []
    original = Checkpoint.write

    def spy(self, epochs_done, *args):
        written.append(epochs_done)
        original(self, epochs_done, *args)

    monkeypatch.setattr(Checkpoint, "write", spy)
    X, Y = data()
    net = fastmlp.MLP((3, 6, 2), "tanh", "identity", seed=0)
    net.fit(X, Y, epochs=10, checkpoint=tmp_path / "c.npz", checkpoint_every=3)
    assert written == [3, 6, 9]
    assert not (tmp_path / "c.npz").exists() and not (tmp_path / "c.npz.tmp").exists()


# ------------------------------------------------------------------ the estimators' extra
ESTIMATOR_SCRIPT = textwrap.dedent("""
    import json, os, signal, sys, warnings
    import numpy as np
    from fastmlp.sklearn import MLPClassifier, _stochastic

    options = {options}
    checkpoint, out, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 8))
    y = np.digitize(X[:, 0] + X[:, 1] * X[:, 2], [-0.5, 0.5])
    shuffled, epochs = _stochastic.shuffled, [0]

    def shuffle_then_maybe_die(sample_idx, random_state):
        # the start of an epoch: the epochs before it are done (a kill from inside, at a
        # known epoch; the other test kills from outside at any moment)
        epochs[0] += 1
        print("epoch", epochs[0], flush=True)
        if epochs[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return shuffled(sample_idx, random_state)

    _stochastic.shuffled = shuffle_then_maybe_die
    model = MLPClassifier(checkpoint=checkpoint, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    np.save(out, np.concatenate([a.ravel() for a in model.coefs_ + model.intercepts_]))
    with open(out + ".json", "w") as f:
        json.dump({{"loss_curve": [float(v) for v in model.loss_curve_],
                   "validation_scores": model.validation_scores_, "n_iter": model.n_iter_,
                   "t": model.t_, "optimizer_t": model._state.optimizer.t}}, f)
""")

ESTIMATOR_OPTIONS = [
    dict(hidden_layer_sizes=(16,), solver="adam", batch_size=16, max_iter=12,
         random_state=5, early_stopping=True, n_iter_no_change=100, learning_rate="plateau",
         plateau_patience=2, plateau_min_delta=0.01, checkpoint_every=2,
         class_weight="balanced"),
    dict(hidden_layer_sizes=(16,), solver="sgd", batch_size=8, max_iter=9, random_state=5,
         learning_rate="cosine", warmup_steps=30, checkpoint_every=1),
]


@pytest.mark.parametrize("options", ESTIMATOR_OPTIONS, ids=["adam-plateau", "sgd-cosine"])
def test_an_estimator_fit_killed_by_sigkill_and_rerun_ends_with_the_same_bits(tmp_path,
                                                                            options):
    script = ESTIMATOR_SCRIPT.format(options=repr(options))
    whole = run(script, tmp_path / "whole.npz", tmp_path / "whole")
    assert whole.wait(timeout=600) == 0, whole.stderr.read()[-2000:]
    assert not (tmp_path / "whole.npz").exists()

    checkpoint = tmp_path / "ckpt.npz"
    kill_at = options["max_iter"] // 2 + 1  # at the start of this epoch
    killed = run(script, checkpoint, tmp_path / "resumed", kill_at=kill_at)
    assert killed.wait(timeout=600) == -signal.SIGKILL
    assert checkpoint.exists()
    rerun = run(script, checkpoint, tmp_path / "resumed")
    assert rerun.wait(timeout=600) == 0, rerun.stderr.read()[-2000:]
    epochs_rerun = rerun.stdout.read().split().count("epoch")
    every = options["checkpoint_every"]
    # the rerun ran only the epochs after the last checkpoint
    assert epochs_rerun == options["max_iter"] - (kill_at - 1) // every * every
    assert not checkpoint.exists()

    params, history = result(tmp_path / "resumed")
    expected_params, expected_history = result(tmp_path / "whole")
    np.testing.assert_array_equal(params, expected_params)
    assert history == expected_history
    assert history["n_iter"] == options["max_iter"]


def test_an_estimator_fit_killed_at_any_moment_resumes_from_a_whole_checkpoint(tmp_path):
    """SIGKILL from outside once the fit has printed some epochs (possibly while a
    checkpoint is being written): the rerun still ends with the uninterrupted fit's bits."""
    options = dict(hidden_layer_sizes=(32,), solver="adam", batch_size=4, max_iter=150,
                   random_state=1, tol=0.0, n_iter_no_change=1000, checkpoint_every=1)
    script = ESTIMATOR_SCRIPT.format(options=repr(options))
    whole = run(script, tmp_path / "whole.npz", tmp_path / "whole")
    assert whole.wait(timeout=600) == 0, whole.stderr.read()[-2000:]
    checkpoint = tmp_path / "ckpt.npz"
    victim = run(script, checkpoint, tmp_path / "resumed")
    for line in victim.stdout:  # wait for a few epochs (checkpoints) to be done
        if line.split() == ["epoch", "6"]:
            break
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=60) == -signal.SIGKILL  # killed, not finished
    assert checkpoint.exists()
    rerun = run(script, checkpoint, tmp_path / "resumed")
    assert rerun.wait(timeout=600) == 0, rerun.stderr.read()[-2000:]
    assert rerun.stdout.read().split().count("epoch") < options["max_iter"]
    params, history = result(tmp_path / "resumed")
    expected_params, expected_history = result(tmp_path / "whole")
    np.testing.assert_array_equal(params, expected_params)
    assert history == expected_history
