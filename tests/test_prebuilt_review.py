"""The ISA-level choice and the shipped kernels in processes that start in unusual ways, with
real processes: a ``NUMBA_*`` variable changed after import (Numba re-reads them before every
compile), Numba code defined before ``import fastmlp``, ``multiprocessing``, joblib and
Dask workers; a shipped set that is read-only, truncated or from another Numba; ``FASTMLP_CPU``
spelled loosely or wrongly; and warmup's completion markers."""

import json
import os
import pickle
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fastmlp.kernels import cache, prebuilt, target

needs_x86_v3 = pytest.mark.skipif(target.host_level() not in ("x86-64-v3", "x86-64-v4"),
                                  reason="needs an x86-64-v3 (AVX2) machine or better")


def _python(program: str, cache_root: Path, cwd: Path | None = None, **env):
    """Run ``program`` in a new interpreter on the kernel cache in ``cache_root``."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "FASTMLP_CPU",
                          "NUMBA_CACHE_DIR", "FASTMLP_SPECIALIZE")}
    clean.update(FASTMLP_CACHE_DIR=str(cache_root), FASTMLP_SPECIALIZE="0", **env)
    return subprocess.run([sys.executable, "-c", program], env=clean, capture_output=True,
                          text=True, timeout=900, cwd=cwd)


#: The parent's case (what runs before ``import fastmlp``), then a warmup child compiles the
#: predict kernels into the cache; the parent's own predict must then load them, not compile.
BACKGROUND = textwrap.dedent("""
    import json, os
    CASE = os.environ["CASE"]
    if CASE == "defined-first":
        import numba

        @numba.njit
        def users_own(x):  # defined, never called
            return x + 1
    import numpy as np
    import fastmlp
    from fastmlp import _child
    from fastmlp.kernels import _jit
    from numba.core import config
    from numba.core.registry import cpu_target
    if CASE == "numba-variable-changed":
        os.environ["NUMBA_DEBUG_CACHE"] = "0"  # any NUMBA_* change makes Numba re-read all
        import numba
        numba.njit(lambda x: x + 1)(1)  # a compile: Numba re-reads its variables here
    child = _child.start("fastmlp.warmup:_run_group", "predict", "float64",
                         capture_errors=True)
    errors = child.stderr.read().decode()
    assert child.wait() == 0, errors
    net = fastmlp.MLP((3, 4, 2), "tanh", "sigmoid", "binary_cross_entropy", seed=0)
    net.predict(np.zeros((5, 3)))
    from numba.core.dispatcher import Dispatcher
    import gc
    missed = sorted({d.py_func.__qualname__ for d in gc.get_objects()
                     if issubclass(type(d), Dispatcher)
                     and d.py_func.__module__.startswith("fastmlp")
                     and sum(d.stats.cache_misses.values())})
    print(json.dumps({"level": _jit.LEVEL, "cpu_name": config.CPU_NAME,
                      "keyed_on": cpu_target.target_context.codegen().magic_tuple()[1],
                      "missed": missed}))
""")


@needs_x86_v3
@pytest.mark.parametrize("case", ["numba-variable-changed", "defined-first"])
def test_a_background_compile_lands_where_the_parent_looks(tmp_path, case):
    done = _python(BACKGROUND, tmp_path / "cache", CASE=case)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    if case == "numba-variable-changed":
        # the level survives Numba's re-read of its variables: the entries are keyed on it
        assert seen["level"] == target.host_level()
        assert seen["cpu_name"] == seen["keyed_on"] == seen["level"]
    else:  # Numba's target existed before the import: the host's model, in the child too
        assert seen["level"] is None
    assert seen["missed"] == [], "the parent compiled what its child had just cached"


def test_a_function_defined_before_the_import_is_named_as_the_reason(tmp_path):
    program = ("import numba\n@numba.njit\ndef f(x):\n    return x\n"
               "from fastmlp.kernels import target, _jit\nprint(_jit.LEVEL, '|', "
               "target.reason_native)")
    done = _python(program, tmp_path)
    assert done.returncode == 0, done.stderr
    level, reason = (part.strip() for part in done.stdout.split("|"))
    assert level == "None"
    if target.host_level() is not None:
        assert "defined with @njit" in reason


def test_a_cpu_chosen_in_numbas_config_file_is_left_alone(tmp_path):
    pytest.importorskip("yaml")  # Numba reads its config file only with PyYAML
    (tmp_path / ".numba_config.yaml").write_text("cpu_name: haswell\ncpu_features: ''\n")
    program = ("from fastmlp.kernels import _jit, target\nfrom numba.core import config\n"
               "print(_jit.LEVEL, '|', target.reason_native, '|', config.CPU_NAME)")
    done = _python(program, tmp_path / "cache", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    level, reason, name = (part.strip() for part in done.stdout.split("|"))
    assert (level, reason, name) == ("None", "NUMBA_CPU_NAME is set", "haswell")


WORKERS = textwrap.dedent("""
    import json, multiprocessing, sys


    def where():
        from fastmlp.kernels import _jit
        from numba.core import config
        return [_jit.LEVEL, config.CPU_NAME, config.CPU_FEATURES]


    if __name__ == "__main__":
        import fastmlp  # noqa: F401
        seen = {"parent": where()}
        for method in ("fork", "spawn", "forkserver"):
            if method in multiprocessing.get_all_start_methods():
                with multiprocessing.get_context(method).Pool(1) as pool:
                    seen[method] = pool.apply(where)
        from joblib import Parallel, delayed
        seen["loky"] = Parallel(n_jobs=2, backend="loky")(delayed(where)() for _ in range(2))[0]
        try:
            import distributed
        except ImportError:
            pass
        else:
            with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                          dashboard_address=None) as cluster, \
                    distributed.Client(cluster) as client:
                seen["dask"] = list(client.run(where).values())[0]
        print(json.dumps(seen))
""")


@needs_x86_v3
def test_worker_processes_compile_for_the_parents_level(tmp_path):
    pytest.importorskip("joblib")
    script = tmp_path / "workers.py"
    script.write_text(WORKERS)
    clean = {k: v for k, v in os.environ.items()
             if k not in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "FASTMLP_CPU")}
    for cpu in ("", "x86-64-v2"):
        env = {**clean, "FASTMLP_CACHE_DIR": str(tmp_path / "cache")}
        if cpu:
            env["FASTMLP_CPU"] = cpu
        done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                              text=True, timeout=600, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        seen = json.loads(done.stdout.strip().splitlines()[-1])
        assert seen["parent"] == [cpu or target.host_level()] * 2 + [""]
        for method, where in seen.items():
            assert where == seen["parent"], method


@needs_x86_v3
@pytest.mark.parametrize("value, level", [(" X86-64-V2 \n", "x86-64-v2"), ("NATIVE", None),
                                          ("x86_64-v3", "host"), ("avx9000", "host")])
def test_fastmlp_cpu_is_read_loosely_and_a_bad_value_warns_and_is_ignored(tmp_path, value,
                                                                          level):
    program = ("import warnings\nwarnings.simplefilter('always')\n"
               "from fastmlp.kernels import _jit\nprint(_jit.LEVEL)")
    done = _python(program, tmp_path, FASTMLP_CPU=value)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == str(target.host_level() if level == "host" else level)
    unparsable = level == "host"
    assert ("FASTMLP_CPU must be 'auto', 'native' or one of" in done.stderr) == unparsable
    if unparsable:
        assert "RuntimeWarning" in done.stderr and repr(value.strip().lower()) in done.stderr


@pytest.fixture
def shipped(tmp_path):
    """A one-kernel shipped set built from this installation's cache, the kernel's Numba
    cache, signature and target context, and the set's index file."""
    import numpy as np

    from fastmlp.kernels.blas import matmul_into

    a = np.ones((3, 4))
    matmul_into(a, a.T.copy(), np.empty((3, 3)))
    numba_cache = matmul_into._cache
    own = numba_cache._cache_file
    module_folder = Path(own._cache_path).relative_to(cache.cache_dir())
    stem = own._index_name[:-len(".nbi")]
    folder = tmp_path / "set"
    (folder / module_folder).mkdir(parents=True)
    for path in Path(own._cache_path).glob(stem + ".*"):
        (folder / module_folder / path.name).write_bytes(path.read_bytes())
    index = folder / module_folder / own._index_name
    yield (numba_cache, matmul_into.signatures[0], matmul_into.targetctx, folder), index
    for path in folder.rglob("*"):  # writable again, for tmp_path's clean-up
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_a_read_only_shipped_set_loads(shipped):
    arguments, index = shipped
    for path in [*arguments[3].rglob("*"), arguments[3]]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    loaded = prebuilt.load(*arguments)
    assert loaded is not None and loaded.signature.args == arguments[1]


def test_a_truncated_shipped_index_is_a_miss_and_stays(shipped):
    arguments, index = shipped
    assert prebuilt.load(*arguments) is not None
    data = index.read_bytes()
    for size in (0, 5, len(data) // 2, len(data) - 1):
        index.write_bytes(data[:size])
        assert prebuilt.load(*arguments) is None
        assert index.read_bytes() == data[:size]  # a shipped file is never deleted or rewritten


def test_a_shipped_index_of_another_numba_is_a_miss(shipped):
    arguments, index = shipped
    with open(index, "rb") as stream:
        version = pickle.load(stream)
        rest = stream.read()
    assert isinstance(version, str)
    with open(index, "wb") as stream:
        pickle.dump(version + ".other", stream, protocol=-1)
        stream.write(rest)
    assert prebuilt.load(*arguments) is None


def test_warmup_markers_are_per_dtype_and_keyed_on_what_the_cache_is(monkeypatch):
    import importlib

    import numba

    warmup = importlib.import_module("fastmlp.warmup")  # the package's name is the function
    both = warmup._done_markers(["float64", "float32"])
    alone = warmup._done_markers(["float64"])
    assert alone[0] in both  # a warmup of both dtypes covers a later one of float64 alone
    assert all(marker.parent == cache.cache_dir() for marker in both)
    assert all(target.compiled_for() in marker.name for marker in both)
    # a warmup where scikit-learn could not be imported did not compile its paths
    monkeypatch.setitem(sys.modules, "fastmlp.sklearn", None)
    assert warmup._done_markers(["float64"])[0] != alone[0]
    monkeypatch.undo()
    assert warmup._done_markers(["float64"])[0] == alone[0]
    monkeypatch.setattr(numba, "__version__", numba.__version__ + ".other")
    assert warmup._done_markers(["float64"])[0] != alone[0]  # another Numba's cache entries


PREDICT = textwrap.dedent("""
    import gc, json
    import numpy as np
    import fastmlp
    from fastmlp.kernels import _jit, blas
    from numba.core.dispatcher import Dispatcher
    net = fastmlp.MLP((3, 4, 2), "tanh", "sigmoid", "binary_cross_entropy", seed=0)
    out = net.predict(np.linspace(-1, 1, 15).reshape(5, 3))
    kernels = [d for d in gc.get_objects() if issubclass(type(d), Dispatcher)
               and d.py_func.__module__.startswith("fastmlp")]
    print(json.dumps({"level": _jit.LEVEL, "file": fastmlp.__file__, "out": out.tobytes().hex(),
                      "cached_in": blas.matmul_into._cache._cache_file._cache_path,
                      "missed": sorted({d.py_func.__qualname__ for d in kernels
                                        if sum(d.stats.cache_misses.values())})}))
""")


@needs_x86_v3
def test_the_shipped_set_serves_an_installation_whose_cache_folder_is_not_writable(tmp_path):
    import shutil

    import fastmlp

    def install(into):
        shutil.copytree(Path(fastmlp.__file__).parent, into / "fastmlp",
                        ignore=shutil.ignore_patterns("__pycache__", "_prebuilt"))
        return into

    def run(site, **env):
        clean = {k: v for k, v in os.environ.items()
                 if k not in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "FASTMLP_CPU",
                              "NUMBA_CACHE_DIR", "FASTMLP_CACHE_DIR", "XDG_CACHE_HOME")}
        clean.update(PYTHONPATH=str(site), FASTMLP_SPECIALIZE="0", **env)
        done = subprocess.run([sys.executable, "-c", PREDICT], env=clean, cwd=site,
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    first = install(tmp_path / "first")
    compiled = run(first, FASTMLP_CACHE_DIR=str(tmp_path / "cache"))
    assert compiled["missed"]
    level = compiled["level"]
    second = install(tmp_path / "second")
    shutil.copytree(tmp_path / "cache" / cache.cache_dir().name,
                    second / "fastmlp" / "_prebuilt" / level,
                    ignore=shutil.ignore_patterns(".lock"))
    # no writable cache root (HOME under /proc): Numba caches beside the sources instead
    loaded = run(second, HOME="/proc/fastmlp-no-home")
    assert loaded["file"].startswith(str(second))
    assert loaded["cached_in"].startswith(str(second / "fastmlp"))  # Numba's in-tree cache
    assert loaded["missed"] == []
    assert loaded["out"] == compiled["out"]


@needs_x86_v3
def test_nothing_fastmlp_imports_sets_up_numbas_cpu_target_before_the_level(tmp_path):
    # Numba's target context (and the CPU its code generator targets) is created on first
    # use; record the CPU setting at that moment, whatever module of fastmlp triggers it
    program = textwrap.dedent("""
        from numba.core import config, registry
        created = registry.CPUTarget.__dict__["_toplevel_target_context"]
        make = created.func
        seen = []
        def record(self):
            seen.append(config.CPU_NAME)
            return make(self)
        created.func = record
        import fastmlp, fastmlp.sklearn, fastmlp.cli, fastmlp.metrics, fastmlp.model_selection
        import numpy as np
        fastmlp.MLP((3, 4, 2), seed=0).predict(np.zeros((2, 3)))
        print(seen)
    """)
    done = _python(program, tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == repr([target.host_level()])
