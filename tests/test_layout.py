"""The subpackages by concern (issue "One place per concept", item 5) keep every documented
import path working: the old module names re-export the moved modules' public names, the
command line runs from its old entry points, and pickles written by the flat layout load.

The pickles in tests/data/pickles_e4a2c71 were written at commit e4a2c71, before the move,
by tests/data/make_e4a2c71_pickles.py: they name their classes ``fastmlp.classic.Perceptron``,
``fastmlp.optimize.MinimizeResult``, ``fastmlp.preprocessing.Preprocessor``,
``fastmlp.table_model.TableModel`` (and, inside the table model, the core's classes).
"""

import importlib
import os
import pickle
import pickletools
import subprocess
import sys

import numpy as np
import pytest
from test_imports import ALIASES

from fastmlp.classic.neurons import AND, boolean_network

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "pickles_e4a2c71")
BITS = np.array([(0, 0), (0, 1), (1, 0), (1, 1)])
PICKLES = ["perceptron", "mp_network", "minimize_result", "preprocessor", "table_model"]


def columns(n: int) -> dict:
    # the script's inputs: the same generator and seed
    rng = np.random.default_rng(0)
    return {"size": rng.normal(size=n), "colour": rng.choice(["red", "green", "blue"], n)}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_an_alias_re_exports_its_module(alias):
    module, home = importlib.import_module(alias), importlib.import_module(ALIASES[alias])
    assert module is not home and home.__name__ == ALIASES[alias]
    assert module.__all__ == home.__all__ and len(home.__all__) >= 4
    for name in home.__all__:
        assert getattr(module, name) is getattr(home, name), f"{alias}.{name}"


def test_the_documented_names_are_the_moved_objects():
    import fastmlp
    from fastmlp import classic, cli, metrics, model_selection, optimize, preprocessing
    from fastmlp.cli import commands
    from fastmlp.evaluation import metrics as moved_metrics

    assert fastmlp.metrics is metrics and metrics.accuracy is moved_metrics.accuracy
    assert fastmlp.model_selection.k_fold is model_selection.k_fold
    assert classic.Perceptron.__module__ == "fastmlp.classic.neurons"
    assert optimize.minimize.__module__ == "fastmlp.classic.optimize"
    assert cli.main is commands.main and cli.build_parser is commands.build_parser
    assert preprocessing.UnknownCategoryWarning.__module__ == "fastmlp.cli.preprocessing"
    from fastmlp.table_model import FORMAT
    assert FORMAT == "fastmlp-cli-2"


def test_the_old_entry_points_run():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    demos = subprocess.run([sys.executable, "-m", "fastmlp.demos"], capture_output=True,
                           text=True, env=env, timeout=600)
    assert demos.returncode == 0, demos.stderr
    assert " 1  1 |  0" in demos.stdout  # the McCulloch-Pitts XOR table's last row
    version = subprocess.run([sys.executable, "-m", "fastmlp", "--version"],
                             capture_output=True, text=True, env=env, timeout=600)
    assert version.returncode == 0 and version.stdout.startswith("fastmlp "), version.stderr
    # the console script's target, setup.cfg's ``fastmlp = fastmlp.cli:main``
    entry = subprocess.run(
        [sys.executable, "-c", "import sys; from fastmlp.cli import main; "
                               "sys.exit(main(['info', '--help']))"],
        capture_output=True, text=True, env=env, timeout=600)
    assert entry.returncode == 0 and "MODEL" in entry.stdout, entry.stderr


def test_the_pickles_name_the_old_paths():
    """The test below loads what it claims to: classes named by the flat layout's modules."""
    found = set()
    for name in PICKLES:
        with open(os.path.join(HERE, f"{name}.pkl"), "rb") as file:
            for op, arg, _ in pickletools.genops(file):
                if op.name in ("GLOBAL", "STACK_GLOBAL") or (
                        op.name in ("SHORT_BINUNICODE", "BINUNICODE") and str(arg).startswith(
                            "fastmlp.")):
                    found.add(str(arg).split(" ")[0])
    assert {"fastmlp.classic", "fastmlp.optimize", "fastmlp.preprocessing",
            "fastmlp.table_model"} <= found, found


@pytest.mark.parametrize("name", PICKLES)
def test_a_pickle_of_the_flat_layout_loads_and_computes_the_same(name):
    with open(os.path.join(HERE, f"{name}.pkl"), "rb") as file:
        obj = pickle.load(file)
    expected = np.load(os.path.join(HERE, f"{name}.expected.npy"), allow_pickle=False)
    if name == "perceptron":
        got = obj.predict(BITS)
        assert got.tolist() == [AND(2)(x) for x in BITS]
    elif name == "mp_network":
        got = np.array([obj(x) for x in BITS])
        xor = boolean_network({(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 0})
        assert got.tolist() == [xor(x) for x in BITS]
    elif name == "minimize_result":
        got = np.asarray(obj.path)
    elif name == "preprocessor":
        got = obj.transform(columns(8))
    else:
        got = obj.predict_proba(columns(8))
        assert obj.predict(columns(8)).tolist()  # labels, through the unpickled network
    np.testing.assert_array_equal(got, expected)
