import os

import numpy as np
import pytest
from hypothesis import settings

# Under CI the property tests draw the same examples on every run: a failure is then the
# code's, reproduced by the next run, not a new random example's (the suite's own runs
# locally keep exploring). CI=true is set by .ci/run's callers (and GitHub Actions).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")

#: At most this many xdist workers for ``-n auto`` (``pytest -n auto``: not on by default,
#: see setup.cfg). Each worker imports
#: the whole stack and compiles (or loads) its own kernels, and peaks near 2 GB on the largest
#: tests: past a few workers the cold compile that every worker repeats and the memory cost
#: more than the extra cores give.
MAX_WORKERS = 4


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: ``-p no:xdist`` still works
def pytest_xdist_auto_num_workers(config):
    """How many workers ``-n auto`` starts: one per usable CPU, at most MAX_WORKERS, and none
    (the tests run in this process) on one CPU or when benchmarks are really timed, since
    pytest-benchmark refuses to time under xdist. PYTEST_XDIST_AUTO_NUM_WORKERS still wins."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    if config.getoption("benchmark_enable", False):
        return 0
    workers = min(usable_cpus(), MAX_WORKERS)
    return workers if workers > 1 else 0


#: Modules that each take tens of seconds (mostly compiling into empty kernel caches, by
#: design), longest first. Under xdist they are handed out before the others: started last,
#: one of them would keep one worker busy while the other has nothing left to do.
#: test_compile_rules comes first, so that it is the first module of its worker: it reads
#: every signature compiled in its process, and other modules' tests compile variants of
#: their own (fits on read-only arrays, for one) that it would then report.
LONG_MODULES = ("test_compile_rules", "test_cold_cache", "test_warmup", "test_prebuilt",
                "test_specialize", "test_dropout", "test_prefetch", "test_progress")


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist, move LONG_MODULES to the front (the order within each module
    stays). Every worker collects, and so sorts, the same way. A run in one process keeps
    the usual order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {name: i for i, name in enumerate(LONG_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))


@pytest.fixture
def children_at_normal_priority(monkeypatch):
    """fastmlp's background compiles (fastmlp._child) start at normal priority, for tests
    that wait for them: under pytest-xdist the other worker keeps a core busy, and a child at
    its usual background priority (nice 10) gets a small share of it, the waiting test with
    it (one such test took 149 s under xdist on a busy host, 6 s alone). No test here checks
    the priority itself."""
    from fastmlp import _child

    start = _child.start

    def at_normal_priority(*args, **options):
        options["nice"] = 0
        return start(*args, **options)

    monkeypatch.setattr(_child, "start", at_normal_priority)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few batches, so that a small memory-mapped file spans many of them."""
    from fastmlp import feeds

    monkeypatch.setattr(feeds, "BLOCK_BYTES", 96 * (6 + 2) * 8)  # 96 rows of 6 + 2 floats
