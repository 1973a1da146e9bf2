"""
Gradient descent paths: x², a bowl, a saddle, momentum and Nesterov
===================================================================

The notes' worked examples, drawn. :func:`fastmlp.optimize.minimize` runs the networks' own
compiled update rules on a plain function and returns every iterate.

* On f(x) = x² a step of 0.1 creeps towards 0 from one side, while a step of 0.8 overshoots:
  x(1) = 2.4, x(2) = -1.44, ... (the factor 1 - 2·0.8 = -0.6 each step).
* On an elongated bowl f = x² + 10 y², with one step size for all three rules, plain steps
  crawl along the shallow x direction; momentum and Nesterov build up velocity along it (and
  Nesterov's look-ahead gradient damps the overshoot).
* On the saddle f = x² - y², started almost on the x axis, plain descent first heads for the
  stationary point (0, 0) and only slowly leaves it along y, the direction of negative
  curvature.
"""

import matplotlib.pyplot as plt
import numpy as np

from fastmlp.optimize import classify_stationary_point, minimize

# %%
# f(x) = x² with two step sizes.
small = minimize(lambda x: x ** 2, 3.0, grad=lambda x: 2 * x, learning_rate=0.1, steps=15)
large = minimize(lambda x: x ** 2, -4.0, grad=lambda x: 2 * x, learning_rate=0.8, steps=15)
print("step 0.8:", np.round(large.path[:6], 5))

# %%
# A 2-D bowl: plain steps, momentum and Nesterov from the same start.


def bowl(v):
    return v[0] ** 2 + 10 * v[1] ** 2


def bowl_grad(v):
    return np.array([2 * v[0], 20 * v[1]])


start = [-4.0, 1.5]
# the same step size 0.02 for all three: plain steps crawl along the shallow x direction,
# while the velocity (gamma = 0.8) builds up along it
paths = {name: minimize(bowl, start, grad=bowl_grad, optimizer=name, learning_rate=0.02,
                        momentum=0.8, steps=40)
         for name in ("sgd", "momentum", "nesterov")}
for name, result in paths.items():
    print(f"{name:9s} f after 40 steps: {result.values[-1]:.2e}")

# %%
# The saddle x² - y²: what (0, 0) is, and a path that passes by it.


def saddle(v):
    return v[0] ** 2 - v[1] ** 2


def saddle_grad(v):
    return np.array([2 * v[0], -2 * v[1]])


print("(0, 0) is a", classify_stationary_point(saddle, [0.0, 0.0]))
saddle_path = minimize(saddle, [-2.0, 0.01], grad=saddle_grad, learning_rate=0.1, steps=30)

fig, axes = plt.subplots(1, 3, figsize=(13, 4))
ax = axes[0]
xs = np.linspace(-4.5, 4.5, 200)
ax.plot(xs, xs ** 2, color="0.6")
for result, label in ((small, "step 0.1 from 3"), (large, "step 0.8 from -4")):
    ax.plot(result.path, result.values, "o-", ms=4, label=label)
ax.set(title="f(x) = x²", xlabel="x", ylabel="f(x)")
ax.legend()

ax = axes[1]
gx, gy = np.meshgrid(np.linspace(-4.5, 4.5, 200), np.linspace(-2, 2, 200))
ax.contour(gx, gy, gx ** 2 + 10 * gy ** 2, levels=15, colors="0.75")
for name, result in paths.items():
    ax.plot(result.path[:, 0], result.path[:, 1], "o-", ms=3, label=name)
ax.set(title="bowl x² + 10y², 40 steps of 0.02", xlabel="x", ylabel="y")
ax.legend()

ax = axes[2]
gx, gy = np.meshgrid(np.linspace(-2.5, 2.5, 200), np.linspace(-2.5, 2.5, 200))
ax.contour(gx, gy, gx ** 2 - gy ** 2, levels=15, colors="0.75")
ax.plot(saddle_path.path[:, 0], saddle_path.path[:, 1], "o-", ms=3, color="C3")
ax.plot([0], [0], "k*", ms=12, label="saddle point")
ax.set(title="saddle x² - y², from (-2, 0.01)", xlabel="x", ylabel="y")
ax.legend()
fig.tight_layout()
plt.show()
