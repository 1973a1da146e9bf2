"""Write pickles of the objects whose modules later moved into subpackages (issue 27 item 5).

This script was run once, at commit e4a2c71 (the flat layout: ``fastmlp.classic``,
``fastmlp.optimize``, ``fastmlp.preprocessing``, ``fastmlp.table_model`` were modules of the
package root), so that each pickle names its classes by those module paths:

    PYTHONPATH=/path/to/checkout-at-e4a2c71 python tests/data/make_e4a2c71_pickles.py

tests/test_imports.py loads them with the current layout and checks that they compute what
they computed then (stored beside them). Do not run it again with a later fastmlp: it
refuses to overwrite the files.
"""

import os
import pickle
import sys

import numpy as np

from fastmlp.classic import AND, Perceptron, boolean_network
from fastmlp.optimize import minimize
from fastmlp.preprocessing import Preprocessor
from fastmlp.table_model import TableModel

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pickles_e4a2c71")
BITS = np.array([(0, 0), (0, 1), (1, 0), (1, 1)])


def columns(n: int = 30) -> dict:
    rng = np.random.default_rng(0)
    return {"size": rng.normal(size=n), "colour": rng.choice(["red", "green", "blue"], n)}


def objects() -> dict:
    """name -> (object, what it computes on fixed inputs)."""
    perceptron = Perceptron(2)
    perceptron.fit(BITS, [AND(2)(x) for x in BITS])
    xor = boolean_network({(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 0})
    result = minimize(lambda x: (x ** 2).sum(), [3.0, -1.0], learning_rate=0.1, steps=5)
    prep = Preprocessor.fit(columns())
    table, X, labels = TableModel.build(columns(), np.where(columns()["size"] > 0, "pos", "neg"),
                                        hidden=(4,), seed=1)
    table.net.fit(X, labels, epochs=3, batch_size=4, seed=2)
    return {
        "perceptron": (perceptron, perceptron.predict(BITS)),
        "mp_network": (xor, np.array([xor(x) for x in BITS])),
        "minimize_result": (result, np.asarray(result.path)),
        "preprocessor": (prep, prep.transform(columns(8))),
        "table_model": (table, table.predict_proba(columns(8))),
    }


def main() -> int:
    os.makedirs(HERE, exist_ok=True)
    for name, (obj, expected) in objects().items():
        path = os.path.join(HERE, f"{name}.pkl")
        if os.path.exists(path):
            print(f"{path} exists: refusing to overwrite it", file=sys.stderr)
            return 1
        with open(path, "wb") as file:
            pickle.dump(obj, file, protocol=4)
        np.save(os.path.join(HERE, f"{name}.expected.npy"), expected, allow_pickle=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
