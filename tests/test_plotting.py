"""The plotting helpers draw what the history and the network say (matplotlib, Agg)."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import fastmlp  # noqa: E402
from fastmlp.plotting import plot_decision_boundary  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_history_plot_draws_the_recorded_curves():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(64, 3)), rng.uniform(size=(64, 2))
    net = fastmlp.MLP((3, 4, 2), seed=0)
    history = net.fit(X, Y, batch_size=8, epochs=6, learning_rate=0.1, schedule="inverse",
                      validation_data=(X[:16], Y[:16]), seed=0)
    drawn = history.plot()
    np.testing.assert_array_equal(drawn["loss"].get_ydata(), history.loss)
    np.testing.assert_array_equal(drawn["val_loss"].get_ydata(), history.val_loss)
    np.testing.assert_array_equal(drawn["learning_rate"].get_ydata(), history.learning_rate)
    assert drawn["lr_ax"].get_yscale() == "log"
    x, y = drawn["best"].get_offsets()[0]
    assert (x, y) == (history.best_epoch + 1, history.val_loss[history.best_epoch])
    fig, ax = plt.subplots()
    assert history.plot(ax=ax, learning_rate=False)["ax"] is ax  # draws where it is told
    assert len(fig.axes) == 1


def test_decision_boundary_is_the_networks_classes():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    y = np.array(["no", "yes", "yes", "no"])
    net = fastmlp.MLP((2, 4, 2), "tanh", "softmax", "cross_entropy", seed=0)
    net.fit(X, y, optimizer="adam", learning_rate=0.05, batch_size=4, epochs=300, seed=0)
    drawn = plot_decision_boundary(net, X, y, resolution=41, margin=0.0)
    grid = drawn["grid"]
    # the corners of the grid are the rows of X: their regions are their predicted classes
    corners = grid[[0, -1, 0, -1], [0, 0, -1, -1]]
    predicted = np.searchsorted(net.classes_, net.predict_classes(X))
    np.testing.assert_array_equal(corners, predicted)
    assert drawn["points"].get_offsets().shape == (4, 2)
    with pytest.raises(ValueError, match="needs a network with 2 inputs"):
        plot_decision_boundary(fastmlp.MLP((3, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        plot_decision_boundary(net, np.zeros((0, 2)))
    with pytest.raises(ValueError, match="resolution must be an integer >= 2"):
        plot_decision_boundary(net, X, resolution=1)
