"""Latency of one-row predictions served three ways: ``python bench/onnx_latency.py``.

A 64-32-10 ReLU / softmax classifier of the shipped digits is trained once by scikit-learn's
``MLPClassifier``; its coefficients are copied into fastmlp's ``MLPClassifier`` and into a
``fastmlp.MLP`` (so all of them compute the same function), and the MLP is exported with
``MLP.to_onnx``. Each way then answers the class probabilities of one row (and of 1000 rows,
for scale), timed as microseconds per call: the median and the best of 7 repeats of as many
calls as take about 0.2 s. Everything runs on one thread -- onnxruntime with one intra-op
thread, the BLAS under scikit-learn limited to one (threadpoolctl) -- since a one-row
request has nothing to split, and on a shared machine BLAS threads oversubscribe the cores
(scikit-learn's 1000 rows took 20-25 ms with them here, 1.4 ms without). Prints the CPU
model and the versions.
"""

from __future__ import annotations

import platform
import subprocess
import timeit
import warnings

import numpy as np
import onnxruntime as ort
import sklearn
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

import fastmlp
from fastmlp.sklearn import MLPClassifier as FastClassifier


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return platform.processor() or "unknown"
    return next((line.split(":", 1)[1].strip() for line in out.splitlines()
                 if line.startswith("Model name")), "unknown")


def per_call_us(call, repeats: int = 7) -> tuple[float, float]:
    """(median, best) microseconds per call over ``repeats`` timed loops."""
    call()  # warm: compiled kernels, allocated buffers
    number = max(1, int(0.2 / max(timeit.timeit(call, number=20) / 20, 1e-9)))
    times = np.array(timeit.repeat(call, number=number, repeat=repeats)) / number * 1e6
    return float(np.median(times)), float(times.min())


def main() -> None:
    X, y = fastmlp.datasets.load_digits()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = MLPClassifier((32,), max_iter=30, random_state=0).fit(X, y)
    fast = FastClassifier((32,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast.fit(X, y)
    fast.coefs_ = [W.copy() for W in reference.coefs_]
    fast.intercepts_ = [b.copy() for b in reference.intercepts_]
    net = fastmlp.MLP((64, 32, 10), "relu", "softmax", "cross_entropy")
    for l in range(2):
        net.weights[l] = reference.coefs_[l]
        net.biases[l] = reference.intercepts_[l]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    sessions = {dtype: ort.InferenceSession(net.to_onnx(dtype=dtype).SerializeToString(),
                                            options, providers=["CPUExecutionProvider"])
                for dtype in ("float64", "float32")}
    want = reference.predict_proba(X)
    for dtype, sess in sessions.items():
        got = sess.run(["probabilities"], {"X": X.astype(dtype)})[0]
        assert np.abs(got - want).max() < (1e-12 if dtype == "float64" else 1e-5)
    assert np.abs(fast.predict_proba(X) - want).max() < 1e-12
    assert np.abs(net.predict_proba(X) - want).max() < 1e-12

    print(f"CPU: {cpu_model()}; numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
          f"onnxruntime {ort.__version__}, fastmlp {fastmlp.__version__}")
    print(f"{'way':58s} {'1 row: median':>14s} {'best':>7s} {'1000 rows: median':>18s}")
    ways = [
        ("scikit-learn MLPClassifier.predict_proba", lambda R: reference.predict_proba(R)),
        ("fastmlp.sklearn MLPClassifier.predict_proba", lambda R: fast.predict_proba(R)),
        ("fastmlp MLP.predict_proba", lambda R: net.predict_proba(R)),
        ("onnxruntime, MLP.to_onnx() float64",
         lambda R: sessions["float64"].run(["probabilities"], {"X": R})),
        ("onnxruntime, MLP.to_onnx(dtype='float32')",
         lambda R: sessions["float32"].run(["probabilities"], {"X": R})),
    ]
    one, many = X[:1].copy(), X[:1000].copy()
    one32, many32 = one.astype(np.float32), many.astype(np.float32)
    with threadpool_limits(1):
        for name, predict in ways:
            single = "float32" in name
            median, best = per_call_us(lambda: predict(one32 if single else one))
            batch, _ = per_call_us(lambda: predict(many32 if single else many), repeats=5)
            print(f"{name:58s} {median:11.1f} us {best:7.1f} {batch:15.1f} us")


if __name__ == "__main__":
    main()
