"""
Vanishing gradients: sigmoid against ReLU
=========================================

Backpropagation multiplies each layer's delta by the activation's derivative on its way
back to the input. The sigmoid's derivative is at most 1/4, so through several sigmoid
layers the gradient shrinks layer by layer and the layers near the input barely learn. ReLU's
derivative is 1 wherever a unit is active, and the gradient reaches the first layer intact.

``History.grad_norms`` records, for every epoch, each layer's weight-gradient norm (averaged
over the epoch's updates); here for a network with six hidden layers on the digits.
"""

import matplotlib.pyplot as plt
import numpy as np

from fastmlp import MLP, load_digits

X, y = load_digits()
X = X[:600] / 16.0  # pixel values 0..16, scaled to 0..1
y = y[:600]
sizes = (64,) + (32,) * 6 + (10,)

histories = {}
for activation, init in (("sigmoid", "xavier"), ("relu", "he")):
    net = MLP(sizes, activation=activation, output_activation="softmax",
              loss="cross_entropy", init=init, seed=0)
    histories[activation] = net.fit(X, y, optimizer="momentum", learning_rate=0.01,
                                    batch_size=32, epochs=15, seed=0)
    norms = histories[activation].grad_norms[-1]
    accuracy = (net.predict_classes(X) == y).mean()
    print(f"{activation:8s} last epoch's gradient norm, layer 1 / layer 7: "
          f"{norms[0] / norms[-1]:.2e}; training accuracy after 15 epochs {accuracy:.2f}")

fig, axes = plt.subplots(1, 3, figsize=(14, 4))
for ax, (activation, history) in zip(axes, histories.items()):
    epochs = np.arange(1, history.epochs_run + 1)
    colors = plt.cm.viridis(np.linspace(0, 0.9, history.grad_norms.shape[1]))
    for layer, color in enumerate(colors):
        ax.plot(epochs, history.grad_norms[:, layer], color=color, label=f"layer {layer + 1}")
    ax.set(title=f"{activation}: weight-gradient norm per layer", xlabel="epoch",
           ylabel="‖∂E/∂W‖", yscale="log")
axes[0].legend(fontsize=7, ncol=2)
ax = axes[2]
layers = np.arange(1, len(sizes))
for activation, history in histories.items():
    ax.plot(layers, history.grad_norms.mean(axis=0), "o-", label=activation)
ax.set(title="mean over epochs, by depth", xlabel="layer (1 = nearest the input)",
       ylabel="‖∂E/∂W‖", yscale="log")
ax.legend()
fig.tight_layout()
plt.show()
