import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few batches, so that a small memory-mapped file spans many of them."""
    from fastmlp import feeds

    monkeypatch.setattr(feeds, "BLOCK_BYTES", 96 * (6 + 2) * 8)  # 96 rows of 6 + 2 floats
