"""Whether two source trees train to the same bits: per-sample, mini-batch or full-batch fits.

    python bench/same_bits.py /path/to/old/checkout /path/to/this/checkout [--batch 1]

Runs, in a fresh process per tree (``PYTHONPATH`` pointing at it), 112 fits -- 7 settings of
hidden activation, output activation and loss x float64 / float32 x sgd / momentum /
nesterov / adam x without and with ``clip_norm`` -- two epochs each on the same data, and
compares the trained parameters exactly. For refactors meant not to change any result.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

CHILD = r'''
import itertools, sys
import numpy as np
import fastmlp

rng = np.random.default_rng(0)
X = rng.normal(size=(300, 5))
settings = [("sigmoid", "sigmoid", "mse"), ("tanh", "identity", "half_mse"),
            ("relu", "sigmoid", "binary_cross_entropy"), ("elu", "softmax", "cross_entropy"),
            ("leaky_relu", "softmax", "mse"), ("arctan", "tanh", "mse"),
            ("softsign", "identity", "mse")]
batch = None if sys.argv[2] == "full" else int(sys.argv[2])
trained = {}
for (hidden, output, loss), dtype, optimizer, clip in itertools.product(
        settings, ("float64", "float32"), ("sgd", "momentum", "nesterov", "adam"), (None, 1.0)):
    if loss == "cross_entropy":
        Y = np.eye(3)[rng.integers(0, 3, 300)]
    else:
        Y = rng.uniform(0.1, 0.9, size=(300, 3))
    net = fastmlp.MLP((5, 6, 4, 3), hidden, output, loss, dtype=dtype, seed=1)
    net.fit(X, Y, batch_size=batch, epochs=2, optimizer=optimizer, learning_rate=0.01,
            clip_norm=clip, seed=3, verbose=0)
    trained[f"{hidden}-{output}-{loss}-{dtype}-{optimizer}-clip={clip}"] = net.params.copy()
np.savez(sys.argv[1], **trained)
'''


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--batch", default="1", help="batch size, or 'full'")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        results = []
        for tree in (args.old, args.new):
            path = os.path.join(folder, f"{len(results)}.npz")
            env = {**os.environ, "PYTHONPATH": os.path.abspath(tree)}
            subprocess.run([sys.executable, "-W", "ignore", "-c", CHILD, path, args.batch],
                           env=env, check=True, capture_output=True, cwd=folder)
            results.append(np.load(path))
        old, new = results
        differ = [name for name in old.files if not np.array_equal(old[name], new[name])]
        print(f"{len(old.files)} fits, {len(differ)} with different parameters"
              + (": " + ", ".join(differ) if differ else ""))
        return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
