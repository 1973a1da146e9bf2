"""The kernel cache is shared by every installation of the same sources, wherever installed,
and never shared with other sources (fastmlp.kernels.cache)."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import fastmlp
from fastmlp.kernels import cache

#: A per-sample fit and a prediction, then how many kernels this process compiled (cache
#: misses) and loaded (cache hits), summed over every fastmlp dispatcher, and the outputs.
PROGRAM = textwrap.dedent("""
    import gc, json, warnings
    import numpy as np
    warnings.simplefilter("ignore")
    import fastmlp
    from numba.core.dispatcher import Dispatcher
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)); Y = (X[:, :2] > 0).astype(float)
    net = fastmlp.MLP((3, 4, 2), seed=0)
    net.fit(X, Y, batch_size=1, epochs=2, seed=0)
    out = net.predict(X)
    kernels = [d for d in gc.get_objects() if isinstance(d, Dispatcher)
               and d.py_func.__module__.startswith("fastmlp")]
    misses = sum(sum(d.stats.cache_misses.values()) for d in kernels)
    hits = sum(sum(d.stats.cache_hits.values()) for d in kernels)
    print(json.dumps({"file": fastmlp.__file__, "misses": misses, "hits": hits,
                      "out": out.tolist()}))
""")


def install_copy(folder: Path) -> Path:
    """A copy of the installed package's sources in ``folder`` (a second installation)."""
    source = Path(fastmlp.__file__).parent
    shutil.copytree(source, folder / "fastmlp",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return folder


def run(installation: Path, cache_root: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(installation), "FASTMLP_CACHE_DIR": str(cache_root),
           "FASTMLP_SPECIALIZE": "0"}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True,
                          text=True, cwd=installation, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def first_installation(tmp_path_factory):
    """One installation's cold run into an empty cache: (its result, the cache it filled).
    Both tests below start from it (each on a copy of that cache), instead of compiling the
    same kernels into an empty cache twice."""
    folder = tmp_path_factory.mktemp("first")
    shared = folder / "cache"
    result = run(install_copy(folder / "site-a"), shared)
    assert result["misses"] > 0  # the first compiled
    assert len(list(shared.iterdir())) == 1
    return result, shared


def test_a_second_installation_in_another_folder_loads_the_first_ones_kernels(
        tmp_path, first_installation):
    first, filled = first_installation
    shared = shutil.copytree(filled, tmp_path / "cache")
    second = run(install_copy(tmp_path / "site-b"), shared)
    assert first["file"] != second["file"] and "site-b" in second["file"]
    assert second["misses"] == 0 and second["hits"] > 0  # the second only loaded
    assert np.array_equal(np.array(first["out"]), np.array(second["out"]))
    assert len(list(shared.iterdir())) == 1  # one folder for both


def test_other_sources_never_load_the_cached_kernels(tmp_path, first_installation):
    """A change in any source file -- here a comment in a helper that the kernels call, not
    in the file defining them -- gives the installation a cache folder of its own."""
    shared = shutil.copytree(first_installation[1], tmp_path / "cache")
    changed = install_copy(tmp_path / "site-c")
    with open(changed / "fastmlp" / "kernels" / "fma.py", "a") as handle:
        handle.write("\n# an edit\n")
    result = run(changed, shared)
    assert result["misses"] > 0
    assert len(list(shared.iterdir())) == 2


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("FASTMLP_CACHE_DIR", raising=False)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_root() == tmp_path / "xdg" / "fastmlp"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    assert cache.cache_root() == tmp_path / "numba"
    monkeypatch.setenv("FASTMLP_CACHE_DIR", str(tmp_path / "own"))
    assert cache.cache_root() == tmp_path / "own"
    folder = cache.cache_dir()
    assert folder.parent == tmp_path / "own"
    assert folder.name == f"fastmlp-{fastmlp.__version__}-{cache.package_digest()}"


def test_kernels_of_the_package_use_the_package_locator():
    from fastmlp.engines import chunked

    locator = chunked._train_epoch._cache._impl.locator
    assert isinstance(locator, cache.PackageCacheLocator)
    assert Path(locator.get_cache_path()).is_relative_to(cache.cache_dir())
