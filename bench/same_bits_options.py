"""Hashes of the parameters after 102 fits -- both dtypes x sgd / momentum / Nesterov / Adam x
batch 1 / 8 / full x plain, clip_norm, sample weights, and penalties with clip_value (or, per
sample, a schedule) -- and six scikit-learn estimator fits, as JSON. Run it under two trees
and compare the outputs: a refactor meant to change no result must print the same.

    PYTHONPATH=/old/tree python bench/same_bits_options.py > old.json
    PYTHONPATH=/new/tree python bench/same_bits_options.py > new.json
"""

import hashlib
import json
import warnings

import numpy as np

import fastmlp
from fastmlp.sklearn import MLPClassifier, MLPRegressor


def digest(*arrays) -> str:
    return hashlib.sha1(b"".join(a.tobytes() for a in arrays)).hexdigest()[:12]


def main():
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    Y = rng.uniform(size=(300, 3))
    w = rng.uniform(0, 2, 300)
    out = {}
    for dtype in ["float64", "float32"]:
        for opt in ["sgd", "momentum", "nesterov", "adam"]:
            for bs in [1, 8, None]:
                last = {"l2": 1e-3, "clip_value": 0.3} if bs != 1 else {"schedule": "inverse"}
                for extra in [{}, {"clip_norm": 0.5}, {"sample_weight": w}, last]:
                    net = fastmlp.MLP((5, 7, 3), "tanh", "sigmoid", "mse", dtype=dtype, seed=0)
                    net.fit(X, Y, optimizer=opt, learning_rate=0.05, batch_size=bs, epochs=2,
                            seed=1, **extra)
                    out[f"{dtype} {opt} {bs} {sorted(extra)}"] = digest(net.params)
    y = (X[:, 0] > 0).astype(int)
    for solver in ["adam", "sgd", "lbfgs"]:
        m = MLPClassifier(hidden_layer_sizes=(6,), solver=solver, max_iter=5,
                          random_state=0).fit(X, y)
        out["classifier " + solver] = digest(*m.coefs_, *m.intercepts_)
        m = MLPRegressor(hidden_layer_sizes=(6,), solver=solver, max_iter=5,
                         random_state=0).fit(X, X[:, 1])
        out["regressor " + solver] = digest(*m.coefs_, *m.intercepts_)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
