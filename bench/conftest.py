"""Benchmarks of fastmlp against reference.py and installed peers on the cases of
:mod:`fastmlp.bench.cases`.

In the normal test run (``--benchmark-disable``, set in setup.cfg) each benchmark runs once on
a few hundred rows, as a smoke test; ``pytest bench/ --benchmark-enable`` times the full cases.
Compilation happens in the runners' preparation, outside the timed calls.
"""

import pytest


@pytest.fixture
def full_size(request):
    """True when benchmarks are really timed, False in smoke runs."""
    return not request.config.getoption("benchmark_disable")
