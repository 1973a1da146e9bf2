"""Benchmarks of fastmlp against reference.py and installed peers on the cases of
:mod:`fastmlp.bench.cases`.

In the normal test run (``--benchmark-disable``, set in setup.cfg) each benchmark runs once on
a few hundred rows, as a smoke test; ``pytest bench/ --benchmark-enable`` times the full cases.
Compilation happens in the runners' preparation, outside the timed calls. Per-sample fits
run on the general kernel: timed over many rounds, they would switch to a specialized kernel
in the disk cache part-way (:mod:`fastmlp.engines.specialize`), and the timings would depend
on what the cache holds; ``python -m fastmlp.bench.cfloor`` times both kernels.
"""

import pytest


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """Real timings (``--benchmark-enable``) run in this process, not in setup.cfg's ``-n
    auto`` workers: pytest-benchmark refuses to time under xdist. (tests/conftest.py says how
    many workers a normal run starts; ``pytest bench/`` alone does not load it.)"""
    if config.getoption("benchmark_enable", False):
        return 0
    return None


@pytest.fixture(autouse=True)
def general_per_sample_kernel(monkeypatch):
    monkeypatch.setenv("FASTMLP_SPECIALIZE", "0")


@pytest.fixture
def full_size(request):
    """True when benchmarks are really timed, False in smoke runs."""
    return not request.config.getoption("benchmark_disable")
