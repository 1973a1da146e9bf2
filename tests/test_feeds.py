"""Training on data larger than memory: a memory map read block by block, or an iterable
of chunks, trains what the same rows in memory train (fastmlp.feeds)."""

import numpy as np
import pytest
from helpers import feed_dataset as dataset

import fastmlp
from fastmlp import feeds
from fastmlp.feeds import read_rows


def saved(tmp_path, name, array):
    path = tmp_path / name
    np.save(path, array)
    return np.load(path, mmap_mode="r")


def net(seed=0, **kwargs):
    return fastmlp.MLP((6, 5, 2), "tanh", "sigmoid", "binary_cross_entropy", seed=seed,
                       **kwargs)


@pytest.mark.parametrize("options", [
    dict(batch_size=32, optimizer="sgd"),
    dict(batch_size=1, optimizer="momentum"),  # the per-sample engine
    dict(batch_size=32, optimizer="adam", learning_rate=0.01, l2=1e-3),
    dict(batch_size=16, optimizer="nesterov", clip_norm=0.5),
], ids=repr)
def test_memmap_training_equals_in_memory_training(tmp_path, small_blocks, options):
    X, Y = dataset()
    Xm, Ym = saved(tmp_path, "X.npy", X), saved(tmp_path, "Y.npy", Y)
    a, b = net(), net()
    history_a = a.fit(X, Y, epochs=3, shuffle=False, **options)
    history_b = b.fit(Xm, Ym, epochs=3, shuffle=False, **options)
    np.testing.assert_allclose(b.params, a.params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(history_b.loss, history_a.loss, rtol=1e-12)


def test_memmap_blocks_hold_whole_batches(tmp_path, small_blocks):
    X, Y = dataset()
    feed = feeds.FileBlocks(saved(tmp_path, "X.npy", X), Y, None, net()._data, 32)
    assert feed.block_rows == 96
    blocks = list(feed.blocks(np.random.default_rng(0), shuffle=False))
    assert [b.X.shape[0] for b in blocks] == [96] * 5 + [20]
    np.testing.assert_array_equal(np.vstack([b.X for b in blocks]), X)


def test_shuffled_memmap_training_visits_every_row_once_per_epoch(tmp_path, small_blocks):
    X, Y = dataset()
    feed = feeds.FileBlocks(saved(tmp_path, "X.npy", X), Y, None, net()._data, 32)
    rng = np.random.default_rng(1)
    blocks = list(feed.blocks(rng, shuffle=True))
    rows = np.vstack([b.X for b in blocks])
    assert not np.array_equal(rows, X)  # blocks come in a shuffled order ...
    np.testing.assert_array_equal(np.sort(rows, axis=0), np.sort(X, axis=0))  # ... all of them
    # and a shuffled fit trains (loss falls) with the same seed reproducibly
    a, b = net(), net()
    Xm = saved(tmp_path, "X2.npy", X)
    ha = a.fit(Xm, Y, batch_size=16, epochs=8, learning_rate=0.5, seed=3)
    b.fit(Xm, Y, batch_size=16, epochs=8, learning_rate=0.5, seed=3)
    np.testing.assert_array_equal(a.params, b.params)
    assert ha.loss[-1] < 0.8 * ha.loss[0]


def test_weighted_memmap_training_equals_in_memory(tmp_path, small_blocks):
    X, Y = dataset()
    w = np.random.default_rng(2).uniform(0, 2, len(X))
    a, b = net(), net()
    a.fit(X, Y, batch_size=32, epochs=2, shuffle=False, sample_weight=w)
    b.fit(saved(tmp_path, "X.npy", X), saved(tmp_path, "Y.npy", Y), batch_size=32, epochs=2,
          shuffle=False, sample_weight=saved(tmp_path, "w.npy", w))
    np.testing.assert_allclose(b.params, a.params, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", ["list", "callable"])
def test_chunks_train_as_their_concatenation_when_batches_align(kind):
    X, Y = dataset(480)
    pieces = [(X[i:i + 96], Y[i:i + 96]) for i in range(0, 480, 96)]
    source = pieces if kind == "list" else (lambda: iter(pieces))
    a, b = net(), net()
    a.fit(X, Y, batch_size=32, epochs=3, shuffle=False)
    history = b.fit(source, batch_size=32, epochs=3, shuffle=False)
    np.testing.assert_allclose(b.params, a.params, rtol=1e-12, atol=1e-14)
    assert history.epochs_run == 3


def test_chunks_may_carry_weights_and_partial_fit_takes_them():
    X, Y = dataset(200)
    w = np.linspace(0.5, 1.5, 200)
    a, b = net(), net()
    a.partial_fit(X, Y, batch_size=20, shuffle=False, sample_weight=w)
    b.partial_fit([(X[:100], Y[:100], w[:100]), (X[100:], Y[100:], w[100:])], batch_size=20,
                  shuffle=False)
    np.testing.assert_allclose(b.params, a.params, rtol=1e-12, atol=1e-14)


def test_bad_chunks_get_clear_errors():
    X, Y = dataset(50)
    model = net()
    with pytest.raises(ValueError, match="one-shot iterator"):
        model.fit((chunk for chunk in [(X, Y)]), batch_size=10, epochs=2)
    with pytest.raises(ValueError, match=r"chunk 1 must be a tuple \(X, Y\)"):
        model.fit([(X, Y), X], batch_size=10, epochs=1)
    with pytest.raises(ValueError, match="sample weights unlike the first chunk"):
        model.fit([(X, Y), (X, Y, np.ones(50))], batch_size=10, epochs=1)
    with pytest.raises(ValueError, match="Y is required"):
        model.fit(X, batch_size=10)
    with pytest.raises(ValueError, match="X has 3 columns"):
        model.fit([(X[:, :3], Y)], batch_size=10, epochs=1)
    with pytest.raises(ValueError, match="yielded no rows"):
        model.fit([], batch_size=10, epochs=1)
    with pytest.raises(ValueError, match="needs the rows in memory"):
        model.fit([(X, Y)], batch_size=None, epochs=1)
    with pytest.raises(ValueError, match="grad_tol needs the rows in memory"):
        model.fit([(X, Y)], batch_size=5, grad_tol=1e-3, epochs=1)


def test_read_rows_reads_memmaps_through_the_file(tmp_path):
    A = np.arange(60.0).reshape(20, 3)
    m = saved(tmp_path, "A.npy", A)
    np.testing.assert_array_equal(read_rows(m, 5, 9), A[5:9])
    np.testing.assert_array_equal(read_rows(m[4:], 1, 3), A[5:7])  # a view into the map
    raw = np.memmap(tmp_path / "raw.bin", dtype=np.float32, mode="w+", shape=(10, 4),
                    offset=0)
    raw[:] = np.arange(40, dtype=np.float32).reshape(10, 4)
    raw.flush()
    offset = np.memmap(tmp_path / "raw.bin", dtype=np.float32, mode="r", shape=(8, 4),
                       offset=32)  # skips two rows
    np.testing.assert_array_equal(read_rows(offset, 0, 2), raw[2:4])
    np.testing.assert_array_equal(read_rows(A, 1, 2), A[1:2])  # plain arrays: slices
