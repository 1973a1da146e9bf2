"""Kernels shipped with the package (``fastmlp/_prebuilt/<level>``) are loaded by a second
installation in another folder on an empty cache -- it compiles nothing -- and give the bits the
installation that compiled them gave (issue "Cold start": a first result without the compiler,
and a fit's result never depends on what the cache held); an installation of other sources
takes nothing from them. Also: the ISA level fastmlp compiles for."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fastmlp
from fastmlp.kernels import cache, prebuilt, target

V2 = {name: True for name in target.LEVEL_FEATURES["x86-64-v2"]}
V3 = {**V2, **{name: True for name in target.LEVEL_FEATURES["x86-64-v3"]}}
V4 = {**V3, **{name: True for name in target.LEVEL_FEATURES["x86-64-v4"]}}


@pytest.mark.parametrize("features, level", [
    (V4, "x86-64-v4"),
    ({**V4, "avx512bw": False}, "x86-64-v3"),
    ({**V3, "fma": False}, "x86-64-v2"),
    ({**V4, "sse4.2": False}, None),
    ({}, None),
])
def test_host_level_is_the_highest_level_whose_features_are_all_there(features, level):
    assert target.host_level(features) == level


def _choose_in_child(**env):
    """``target.choose()`` in a new process (Numba has compiled nothing yet there)."""
    program = ("from fastmlp.kernels import target, _jit\n"
               "import json; print(json.dumps([_jit.LEVEL, target.reason_native, "
               "target.compiled_for()]))")
    clean = {k: v for k, v in os.environ.items()
             if k not in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "FASTMLP_CPU")}
    done = subprocess.run([sys.executable, "-c", program], env={**clean, **env},
                          capture_output=True, text=True, timeout=300)
    return done


needs_x86_v3 = pytest.mark.skipif(target.host_level() not in ("x86-64-v3", "x86-64-v4"),
                                  reason="needs an x86-64-v3 (AVX2) machine or better")


@needs_x86_v3
def test_a_new_process_compiles_for_the_hosts_level_unless_told_otherwise():
    host = target.host_level()
    done = _choose_in_child()
    assert json.loads(done.stdout) == [host, None, host]
    done = _choose_in_child(FASTMLP_CPU="x86-64-v3")
    assert json.loads(done.stdout) == ["x86-64-v3", None, "x86-64-v3"]
    # the user's own choice for Numba stays
    level, reason, name = json.loads(_choose_in_child(NUMBA_CPU_NAME="haswell").stdout)
    assert (level, reason, name) == (None, "NUMBA_CPU_NAME is set", "haswell")
    level, reason, _ = json.loads(_choose_in_child(FASTMLP_CPU="native").stdout)
    assert (level, reason) == (None, "FASTMLP_CPU=native")


@needs_x86_v3
def test_a_bad_fastmlp_cpu_is_named_at_import():
    # unparsable: warned about and ignored, as Numba does with its own variables
    done = _choose_in_child(FASTMLP_CPU="avx9000")
    assert done.returncode == 0, done.stderr
    assert "FASTMLP_CPU must be 'auto', 'native' or one of" in done.stderr
    assert json.loads(done.stdout)[0] == target.host_level()
    if target.host_level() == "x86-64-v3":  # understood but impossible here: the import fails
        done = _choose_in_child(FASTMLP_CPU="x86-64-v4")
        assert done.returncode != 0
        assert "asks for more than this CPU has" in done.stderr


def test_after_numba_compiled_something_fastmlp_leaves_the_cpu_alone():
    program = ("import numba\nnumba.njit(lambda x: x + 1)(1)\n"
               "from fastmlp.kernels import target, _jit\nprint(_jit.LEVEL, '|', "
               "target.reason_native)")
    clean = {k: v for k, v in os.environ.items() if k != "FASTMLP_CPU"}
    done = subprocess.run([sys.executable, "-c", program], env=clean, capture_output=True,
                          text=True, timeout=300, check=True)
    level, reason = (part.strip() for part in done.stdout.split("|"))
    assert level == "None"
    assert reason in ("Numba's CPU target was set up before fastmlp was imported (a function "
                      "was compiled or defined with @njit, perhaps by a library imported "
                      "earlier)",
                      "NUMBA_CPU_NAME is set", "NUMBA_CPU_FEATURES is set",
                      "the host is not x86-64 (v2 or later)")


def test_a_shipped_entry_loads_and_an_unreadable_or_absent_one_is_a_miss(tmp_path):
    import numpy as np

    from fastmlp.kernels.blas import matmul_into

    a = np.ones((3, 4))
    out = np.empty((3, 3))
    matmul_into(a, a.T.copy(), out)  # compiled or loaded: in this installation's cache now
    numba_cache = matmul_into._cache
    own = numba_cache._cache_file
    module_folder = Path(own._cache_path).relative_to(cache.cache_dir())
    signature = matmul_into.signatures[0]
    stem = own._index_name[:-len(".nbi")]

    def ship(folder, damage=False):
        into = folder / module_folder
        into.mkdir(parents=True)
        for path in Path(own._cache_path).glob(stem + ".*"):
            data = path.read_bytes()
            (into / path.name).write_bytes(data[:20] if damage and path.suffix == ".nbc"
                                           else data)
        return folder

    loaded = prebuilt.load(numba_cache, signature, matmul_into.targetctx,
                           ship(tmp_path / "intact"))
    assert loaded is not None and loaded.signature.args == signature
    assert prebuilt.load(numba_cache, signature, matmul_into.targetctx,
                         ship(tmp_path / "damaged", damage=True)) is None
    assert prebuilt.load(numba_cache, signature, matmul_into.targetctx,
                         tmp_path / "nothing") is None


def test_no_set_is_shipped_for_no_level_or_an_absent_one():
    assert prebuilt.shipped_folder(None) is None
    assert prebuilt.shipped_folder("x86-64-v0") is None


#: A per-sample fit, a mini-batch Adam fit and a predict: a digest of the results, and which
#: fastmlp kernels the process compiled (cache misses) and loaded (hits).
PROGRAM = textwrap.dedent("""
    import gc, hashlib, json
    import numpy as np
    import fastmlp
    from fastmlp.kernels import _jit
    from numba.core.dispatcher import Dispatcher
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5)); Y = np.tanh(X[:, :2] - X[:, 3:])
    results = hashlib.sha1()
    net = fastmlp.MLP((5, 8, 2), "tanh", "identity", seed=0)
    net.fit(X, Y, optimizer="momentum", learning_rate=0.01, epochs=3, seed=1)
    results.update(net.params.tobytes())
    net.fit(X, Y, optimizer="adam", batch_size=16, epochs=3, seed=2)
    results.update(net.params.tobytes())
    results.update(net.predict(X).tobytes())
    kernels = [d for d in gc.get_objects() if isinstance(d, Dispatcher)
               and d.py_func.__module__.startswith("fastmlp")]
    print(json.dumps({
        "level": _jit.LEVEL, "results": results.hexdigest(),
        "file": fastmlp.__file__,
        "missed": sorted({d.py_func.__qualname__ for d in kernels
                          if sum(d.stats.cache_misses.values())}),
        "hits": sum(sum(d.stats.cache_hits.values()) for d in kernels)}))
""")


def _run(site: Path, cache_root: Path, **env) -> dict:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "FASTMLP_CPU",
                          "NUMBA_CACHE_DIR", "FASTMLP_SPECIALIZE")}
    # the per-sample fit would start a background compile of its specialized kernel: not
    # what this test is about, and a child compiling beside the check would muddy "missed"
    clean.update(PYTHONPATH=str(site), FASTMLP_CACHE_DIR=str(cache_root),
                 FASTMLP_SPECIALIZE="0", **env)
    done = subprocess.run([sys.executable, "-c", PROGRAM], env=clean, cwd=site,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _install_copy(into: Path) -> Path:
    """A second installation of these sources: the package copied to ``into/fastmlp``."""
    shutil.copytree(Path(fastmlp.__file__).parent, into / "fastmlp",
                    ignore=shutil.ignore_patterns("__pycache__", "_prebuilt"))
    return into


@needs_x86_v3
def test_a_second_installation_loads_the_shipped_kernels_and_gives_the_same_bits(tmp_path):
    level = target.host_level()
    # the first installation compiles on an empty cache: those kernels become its set
    first = _install_copy(tmp_path / "first")
    compiled = _run(first, tmp_path / "cache-first")
    assert compiled["level"] == level
    assert compiled["file"].startswith(str(first))
    assert compiled["missed"], "the first installation should have compiled its kernels"
    shipped_from = tmp_path / "cache-first" / cache.cache_dir().name
    assert shipped_from.is_dir()

    second = _install_copy(tmp_path / "second")
    shutil.copytree(shipped_from, second / "fastmlp" / "_prebuilt" / level,
                    ignore=shutil.ignore_patterns(".lock"))
    loaded = _run(second, tmp_path / "cache-second")
    assert loaded["file"].startswith(str(second))
    assert loaded["missed"] == []
    assert loaded["hits"] > 0
    assert loaded["results"] == compiled["results"]

    # nothing was copied into the second installation's cache: the shipped set is read in place
    assert not list((tmp_path / "cache-second").rglob("*.nbc"))

    # a third installation whose sources differ (one comment) ships the same set: its
    # kernels are keyed on other sources, so none is taken from it -- it compiles
    third = _install_copy(tmp_path / "third")
    shutil.copytree(shipped_from, third / "fastmlp" / "_prebuilt" / level,
                    ignore=shutil.ignore_patterns(".lock"))
    with open(third / "fastmlp" / "kernels" / "layers.py", "a") as source:
        source.write("# another version\n")
    stale = _run(third, tmp_path / "cache-third")
    assert stale["missed"]
    assert stale["results"] == compiled["results"]
