"""Scale-out through Dask on a real LocalCluster with worker processes: dask-ml's
Incremental and its incremental searches drive fastmlp.sklearn's partial_fit on the workers,
and scikit-learn's / fastmlp's model selection runs over the Dask joblib backend -- with the
results of a local run."""

import contextlib
import warnings

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
dask_ml = pytest.importorskip("dask_ml")
pytest.importorskip("sklearn")

import dask.array as da  # noqa: E402
from dask_ml.model_selection import HyperbandSearchCV, IncrementalSearchCV  # noqa: E402
from dask_ml.wrappers import Incremental  # noqa: E402
from joblib import parallel_config  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from fastmlp import MLP, model_selection  # noqa: E402
from fastmlp.datasets import one_hot  # noqa: E402
from fastmlp.sklearn import MLPClassifier  # noqa: E402

# the short fits of the searches stop at max_iter: scikit-learn's warning, expected
pytestmark = pytest.mark.filterwarnings(
    "ignore:Stochastic Optimizer. Maximum iterations:sklearn.exceptions.ConvergenceWarning")


@contextlib.contextmanager
def quiet_cluster_start():
    """What a cluster's start says on a shared machine: another cluster (another user's)
    holds the default dashboard port, and the socket of that failed attempt is dropped."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"Port \d+ is already in use", UserWarning)
        warnings.filterwarnings("ignore", "unclosed <socket", ResourceWarning)
        yield


def data(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 10))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    return X, y


@pytest.fixture(scope="module")
def client():
    """Two worker processes, one thread each, started and stopped here."""
    with quiet_cluster_start():
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
    # compile (or load) the kernels in this process first: the workers then load them from
    # the on-disk cache instead of each compiling them
    X, y = data(200)
    MLPClassifier((8,), solver="sgd", random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    yield client
    client.close()
    cluster.close()


def workers_that_ran(stream, key_prefix: str) -> dict[str, set]:
    """Worker address -> keys of the tasks whose name starts with ``key_prefix`` that it
    computed, from a ``get_task_stream`` record."""
    ran: dict[str, set] = {}
    for task in stream.data:
        key = task["key"]
        name = key[0] if isinstance(key, tuple) else key
        computed = any(s.get("action") == "compute" for s in task.get("startstops", ()))
        if str(name).startswith(key_prefix) and computed:
            ran.setdefault(task["worker"], set()).add(key)
    return ran


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_incremental_trains_on_the_workers_what_a_local_loop_trains(client, solver, capsys):
    X, y = data()
    dX, dy = da.from_array(X, chunks=500), da.from_array(y, chunks=500)
    model = MLPClassifier((8,), solver=solver, random_state=0)
    wrapped = Incremental(model, shuffle_blocks=False)
    with distributed.get_task_stream(client) as stream:
        wrapped.fit(dX, dy, classes=np.unique(y))
    ran = workers_that_ran(stream, "fit-")  # ("fit-<token>", i): the model after block i
    workers = set(client.scheduler_info()["workers"])
    assert ran and set(ran) <= workers  # every partial_fit step ran on a worker
    steps = sorted(key[1] for keys in ran.values() for key in keys if key[1] >= 0)
    assert steps == [0, 1, 2, 3]  # one per block of 500 rows
    with capsys.disabled():
        print(f"\nIncremental({solver}): blocks whose partial_fit each worker ran: "
              + "; ".join(f"{w}: {sorted(key[1] for key in keys if key[1] >= 0)}"
                          for w, keys in sorted(ran.items())))
    local = clone(model)
    for start in range(0, 2000, 500):
        local.partial_fit(X[start:start + 500], y[start:start + 500], classes=np.unique(y))
    for a, b in zip(wrapped.estimator_.coefs_ + wrapped.estimator_.intercepts_,
                    local.coefs_ + local.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert wrapped.score(dX, dy) == pytest.approx(local.score(X, y))


def run_search(search, X, y):
    dX, dy = da.from_array(X, chunks=250), da.from_array(y, chunks=250)
    return search.fit(dX, dy, classes=np.unique(y))


@pytest.mark.parametrize("make_search", [
    # decay_rate=None: dask-ml's advice for its deprecated default (IncrementalSearchCV
    # never used it: every model gets fits_per_score calls per round either way)
    lambda model, grid: IncrementalSearchCV(model, grid, n_initial_parameters=4, max_iter=6,
                                            random_state=0, decay_rate=None),
    lambda model, grid: HyperbandSearchCV(model, grid, max_iter=9, random_state=0),
], ids=["IncrementalSearchCV", "HyperbandSearchCV"])
@pytest.mark.filterwarnings(  # Hyperband asks the 6-point grid for 9 candidates
    "ignore:The total space of parameters 6 is smaller than n_iter:UserWarning")
def test_incremental_searches_drive_partial_fit_on_the_workers(client, make_search, capsys):
    """The search runs its partial_fit calls on the two worker processes and finds what the
    same search finds run in this process (a one-worker, in-process cluster)."""
    X, y = data()
    grid = {"alpha": [1e-4, 1e-2, 1e-1], "learning_rate_init": [0.01, 0.1]}
    model = MLPClassifier((8,), solver="sgd", random_state=0)
    with distributed.get_task_stream(client) as stream:
        remote = run_search(make_search(model, grid), X, y)
    ran = workers_that_ran(stream, "_partial_fit")
    # the models trained in the worker processes (which of the two ran what is the
    # scheduler's choice: in practice both, as the transcript shows)
    assert ran and set(ran) <= set(client.scheduler_info()["workers"])
    with capsys.disabled():
        print(f"\n{type(remote).__name__}: partial_fit calls per worker: "
              + ", ".join(f"{w}: {len(k)}" for w, k in sorted(ran.items())))
    with quiet_cluster_start():
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster, set_as_default=False) as local_client:
            with local_client.as_current():
                local = run_search(make_search(model, grid), X, y)
    assert remote.best_params_ == local.best_params_
    assert remote.best_score_ == pytest.approx(local.best_score_, rel=1e-12)
    for a, b in zip(remote.best_estimator_.coefs_, local.best_estimator_.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert remote.best_estimator_.n_iter_ >= 1


def test_grid_search_over_the_dask_joblib_backend_equals_a_serial_one(client):
    X, y = data(600)
    grid = {"hidden_layer_sizes": [(4,), (16,)], "alpha": [1e-4, 1e-1]}
    model = MLPClassifier(max_iter=15, random_state=0)
    serial = GridSearchCV(model, grid, cv=3).fit(X, y)
    with distributed.get_task_stream(client) as stream, parallel_config(backend="dask"):
        on_dask = GridSearchCV(model, grid, cv=3, n_jobs=-1).fit(X, y)
    workers = {task["worker"] for task in stream.data}
    assert workers and workers <= set(client.scheduler_info()["workers"])
    np.testing.assert_array_equal(on_dask.cv_results_["mean_test_score"],
                                  serial.cv_results_["mean_test_score"])
    assert on_dask.best_params_ == serial.best_params_


def make_network():
    return MLP((10, 6, 3), "tanh", "softmax", "cross_entropy", seed=0)


FIT = dict(batch_size=32, epochs=5, learning_rate=0.1, seed=0)


def test_fastmlp_model_selection_over_the_dask_joblib_backend(client):
    """cross_validate and bootstrap_632 scatter their fits to the workers through joblib's
    Dask backend; the scores are those of the serial run."""
    X, y = data(600)
    Y = one_hot(y, 3)
    splits = model_selection.k_fold(len(X), 4, stratify=y, seed=1)
    serial = model_selection.cross_validate(make_network, X, Y, splits, "accuracy",
                                            fit_params=FIT)
    serial_632 = model_selection.bootstrap_632(make_network, X, Y, 6, "accuracy", seed=2,
                                               fit_params=FIT)
    with distributed.get_task_stream(client) as stream, parallel_config(backend="dask"):
        on_dask = model_selection.cross_validate(make_network, X, Y, splits, "accuracy",
                                                 fit_params=FIT, n_jobs=-1)
        on_dask_632 = model_selection.bootstrap_632(make_network, X, Y, 6, "accuracy", seed=2,
                                                    fit_params=FIT, n_jobs=-1)
    workers = {task["worker"] for task in stream.data}
    assert workers and workers <= set(client.scheduler_info()["workers"])
    np.testing.assert_array_equal(on_dask["accuracy"], serial["accuracy"])
    assert on_dask_632.estimate == serial_632.estimate


def test_failed_remote_fit_reports_the_error(client):
    """A partial_fit that fails on a worker raises the estimator's own error here."""
    X, y = data(400)
    wrapped = Incremental(MLPClassifier((4,), solver="sgd"))
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        wrapped.fit(da.from_array(X, chunks=200), da.from_array(y, chunks=200))


def test_convergence_warnings_do_not_break_the_cluster(client):
    X, y = data(400)
    with warnings.catch_warnings():  # max_iter=2 on purpose
        warnings.filterwarnings("ignore", "Stochastic Optimizer: Maximum iterations",
                                ConvergenceWarning)
        fitted = client.submit(lambda: MLPClassifier((4,), max_iter=2, random_state=0)
                               .fit(X, y)).result()
    assert fitted.n_iter_ == 2
