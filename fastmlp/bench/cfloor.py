"""A hand-written C floor for two benchmark cases: ``python -m fastmlp.bench.cfloor``.

The same epoch as fastmlp's -- per-sample SGD on the 3-4-2 sigmoid / squared-error network
(float64), and mini-batch SGD of 32 rows on 64-32-10 sigmoid / softmax / cross-entropy
(float32) -- written as plain C loops, built with the system C compiler (``cc -O3
-march=native``, and ``-ffast-math`` for the mini-batch loops, as an expert would), and
loaded through ctypes. The mini-batch case has a second, stronger floor: the same epoch with
the sizes as compile-time constants and register-blocked loops (:data:`BLOCKED_MINI_BATCH`).
Before timing, one epoch from the same parameters in the same row order is checked to give
fastmlp's parameters (to rounding). Skipped when no C compiler is found. Reports ns/sample
for both and fastmlp / floor, alternating the two in one run, for a one-epoch fit and for one
more epoch of a longer fit (see :func:`time_both`).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from .cases import CASES_BY_NAME

PER_SAMPLE = r"""
#include <math.h>
#include <stdint.h>
/* one epoch of per-sample SGD, sigmoid units, loss sum_k (o_k - d_k)^2 (delta 2 (o - d) o (1 - o));
   layers: sizes[0..L], params: per layer W (n_in x n_out, row-major) then b */
void epoch(const double *X, const double *Y, const int64_t *order, int64_t n, double *theta,
           const int64_t *sizes, int64_t L, double lr, double *work) {
    int64_t units = 0;
    for (int64_t l = 0; l <= L; l++) units += sizes[l];
    double *a = work, *delta = work + units;
    for (int64_t k = 0; k < n; k++) {
        const double *x = X + order[k] * sizes[0];
        const double *y = Y + order[k] * sizes[L];
        for (int64_t i = 0; i < sizes[0]; i++) a[i] = x[i];
        double *p = theta; int64_t a0 = 0;
        for (int64_t l = 0; l < L; l++) {
            int64_t ni = sizes[l], no = sizes[l + 1];
            const double *W = p, *b = p + ni * no;
            double *out = a + a0 + ni;
            for (int64_t j = 0; j < no; j++) out[j] = b[j];
            for (int64_t i = 0; i < ni; i++) {
                double ai = a[a0 + i];
                for (int64_t j = 0; j < no; j++) out[j] += ai * W[i * no + j];
            }
            for (int64_t j = 0; j < no; j++) out[j] = 1.0 / (1.0 + exp(-out[j]));
            p += ni * no + no; a0 += ni;
        }
        /* output deltas */
        int64_t out0 = units - sizes[L];
        for (int64_t j = 0; j < sizes[L]; j++) {
            double o = a[out0 + j];
            delta[out0 + j] = 2.0 * (o - y[j]) * o * (1.0 - o);
        }
        /* backward and update, last layer first */
        int64_t z0 = out0;
        p = theta;
        for (int64_t l = 0; l < L - 1; l++) p += sizes[l] * sizes[l + 1] + sizes[l + 1];
        for (int64_t l = L - 1; l >= 0; l--) {
            int64_t ni = sizes[l], no = sizes[l + 1], in0 = z0 - ni;
            double *W = p, *b = p + ni * no;
            for (int64_t i = 0; i < ni; i++) {
                if (l > 0) {
                    double s = 0.0;
                    for (int64_t j = 0; j < no; j++) s += W[i * no + j] * delta[z0 + j];
                    double ai = a[in0 + i];
                    delta[in0 + i] = s * ai * (1.0 - ai);
                }
                double ai = a[in0 + i];
                for (int64_t j = 0; j < no; j++) W[i * no + j] -= lr * ai * delta[z0 + j];
            }
            for (int64_t j = 0; j < no; j++) b[j] -= lr * delta[z0 + j];
            z0 = in0;
            if (l > 0) p -= sizes[l - 1] * sizes[l] + sizes[l];
        }
    }
}
"""

MINI_BATCH = r"""
#include <math.h>
#include <stdint.h>
/* one epoch of mini-batch SGD on n_in-H-K: sigmoid hidden layer, softmax output,
   cross-entropy; batches of m rows (the last one may be shorter); float32 */
void epoch(const float *X, const float *Y, const int64_t *order, int64_t n, float *theta,
           int64_t n_in, int64_t H, int64_t K, int64_t m, float lr, float *work) {
    float *W1 = theta, *b1 = W1 + n_in * H, *W2 = b1 + H, *b2 = W2 + H * K;
    float *x = work, *h = x + m * n_in, *p = h + m * H, *dh = p + m * K;
    float *g = dh + m * H; /* gradient in theta's layout */
    int64_t n_params = n_in * H + H + H * K + K;
    for (int64_t first = 0; first < n; first += m) {
        int64_t rows = n - first < m ? n - first : m;  /* the last batch may be short */
        for (int64_t r = 0; r < rows; r++) {
            const float *src = X + order[first + r] * n_in;
            for (int64_t i = 0; i < n_in; i++) x[r * n_in + i] = src[i];
        }
        for (int64_t r = 0; r < rows; r++) {
            float *hr = h + r * H;
            for (int64_t j = 0; j < H; j++) hr[j] = b1[j];
            for (int64_t i = 0; i < n_in; i++) {
                float xi = x[r * n_in + i];
                for (int64_t j = 0; j < H; j++) hr[j] += xi * W1[i * H + j];
            }
            for (int64_t j = 0; j < H; j++) hr[j] = 1.0f / (1.0f + expf(-hr[j]));
            float *pr = p + r * K;
            for (int64_t k = 0; k < K; k++) pr[k] = b2[k];
            for (int64_t j = 0; j < H; j++) {
                float hj = hr[j];
                for (int64_t k = 0; k < K; k++) pr[k] += hj * W2[j * K + k];
            }
            float zmax = pr[0];
            for (int64_t k = 1; k < K; k++) zmax = pr[k] > zmax ? pr[k] : zmax;
            float sum = 0.0f;
            for (int64_t k = 0; k < K; k++) { pr[k] = expf(pr[k] - zmax); sum += pr[k]; }
            const float *y = Y + order[first + r] * K;
            for (int64_t k = 0; k < K; k++) pr[k] = (pr[k] / sum - y[k]) / (float)rows;
        }
        for (int64_t q = 0; q < n_params; q++) g[q] = 0.0f;
        float *gW1 = g, *gb1 = gW1 + n_in * H, *gW2 = gb1 + H, *gb2 = gW2 + H * K;
        for (int64_t r = 0; r < rows; r++) {
            const float *dr = p + r * K, *hr = h + r * H;
            for (int64_t j = 0; j < H; j++) {
                float s = 0.0f;
                for (int64_t k = 0; k < K; k++) { gW2[j * K + k] += hr[j] * dr[k];
                                                  s += W2[j * K + k] * dr[k]; }
                dh[r * H + j] = s * hr[j] * (1.0f - hr[j]);
            }
            for (int64_t k = 0; k < K; k++) gb2[k] += dr[k];
            for (int64_t i = 0; i < n_in; i++) {
                float xi = x[r * n_in + i];
                for (int64_t j = 0; j < H; j++) gW1[i * H + j] += xi * dh[r * H + j];
            }
            for (int64_t j = 0; j < H; j++) gb1[j] += dh[r * H + j];
        }
        for (int64_t q = 0; q < n_params; q++) theta[q] -= lr * g[q];
    }
}
"""

BLOCKED_MINI_BATCH = r"""
#include <math.h>
#include <stdint.h>
/* The same epoch as MINI_BATCH, written the way one tunes it for one network: the layer sizes
   NIN, H, K and the batch size M are compile-time constants (-D flags), every product keeps
   its accumulators in registers (a row of the hidden layer, a row of a weight gradient) while
   the other operand streams past, and each weight update is applied where its gradient row
   is finished, with no gradient buffer. W2 is read for the hidden deltas before it is
   updated. float32. */
void epoch(const float *X, const float *Y, const int64_t *order, int64_t n, float *theta,
           float lr) {
    float *W1 = theta, *b1 = W1 + NIN * H, *W2 = b1 + H, *b2 = W2 + H * K;
    static float x[M][NIN], h[M][H], p[M][K], dh[M][H];
    for (int64_t first = 0; first < n; first += M) {
        int rows = n - first < M ? (int)(n - first) : M;  /* the last batch may be short */
        float inv_rows = 1.0f / (float)rows;
        for (int r = 0; r < rows; r++) {
            const float *src = X + order[first + r] * NIN;
            for (int i = 0; i < NIN; i++) x[r][i] = src[i];
        }
        for (int r = 0; r < rows; r++) {
            float acc[H];
            for (int j = 0; j < H; j++) acc[j] = b1[j];
            for (int i = 0; i < NIN; i++) {
                float xi = x[r][i];
                for (int j = 0; j < H; j++) acc[j] += xi * W1[i * H + j];
            }
            for (int j = 0; j < H; j++) h[r][j] = 1.0f / (1.0f + expf(-acc[j]));
            float z[K];
            for (int k = 0; k < K; k++) z[k] = b2[k];
            for (int j = 0; j < H; j++) {
                float hj = h[r][j];
                for (int k = 0; k < K; k++) z[k] += hj * W2[j * K + k];
            }
            float zmax = z[0];
            for (int k = 1; k < K; k++) zmax = z[k] > zmax ? z[k] : zmax;
            float sum = 0.0f;
            for (int k = 0; k < K; k++) { z[k] = expf(z[k] - zmax); sum += z[k]; }
            const float *y = Y + order[first + r] * K;
            float inv = 1.0f / sum;
            for (int k = 0; k < K; k++) p[r][k] = (z[k] * inv - y[k]) * inv_rows;
            /* the hidden deltas, from W2 before its update */
            for (int j = 0; j < H; j++) {
                float s = 0.0f;
                for (int k = 0; k < K; k++) s += W2[j * K + k] * p[r][k];
                dh[r][j] = s * h[r][j] * (1.0f - h[r][j]);
            }
        }
        for (int j = 0; j < H; j++) {  /* W2 row j: its gradient row in registers */
            float g[K] = {0};
            for (int r = 0; r < rows; r++) {
                float hj = h[r][j];
                for (int k = 0; k < K; k++) g[k] += hj * p[r][k];
            }
            for (int k = 0; k < K; k++) W2[j * K + k] -= lr * g[k];
        }
        {
            float g[K] = {0};
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < K; k++) g[k] += p[r][k];
            for (int k = 0; k < K; k++) b2[k] -= lr * g[k];
        }
        for (int i = 0; i < NIN; i++) {  /* W1 row i */
            float g[H] = {0};
            for (int r = 0; r < rows; r++) {
                float xi = x[r][i];
                for (int j = 0; j < H; j++) g[j] += xi * dh[r][j];
            }
            for (int j = 0; j < H; j++) W1[i * H + j] -= lr * g[j];
        }
        {
            float g[H] = {0};
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < H; j++) g[j] += dh[r][j];
            for (int j = 0; j < H; j++) b1[j] -= lr * g[j];
        }
    }
}
"""


def compiler() -> str | None:
    """The system C compiler, or None."""
    return shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")


def build(source: str, flags: list[str]) -> ctypes.CDLL:
    """Compile ``source`` with ``flags`` into a shared library (cached by its hash) and load
    it.

    Compiling and linking are two commands, the link without ``flags``: a link with
    ``-ffast-math`` adds GCC's ``crtfastmath.o`` (GCC < 13 does so for shared libraries too),
    whose constructor turns on flush-to-zero and denormals-are-zero for the process that
    loads the library -- every NumPy and fastmlp computation after it would then flush
    subnormal numbers to zero.
    """
    cc = compiler()
    if cc is None:
        raise RuntimeError("no C compiler (cc / gcc) on this machine")
    key = hashlib.sha256((source + " ".join(flags) + " linked apart").encode()).hexdigest()[:16]
    folder = os.path.join(tempfile.gettempdir(), "fastmlp-cfloor")
    os.makedirs(folder, exist_ok=True)
    library = os.path.join(folder, f"floor-{key}.so")
    if not os.path.exists(library):
        c_file = os.path.join(folder, f"floor-{key}.c")
        with open(c_file, "w") as f:
            f.write(source)
        unique = f"{os.getpid()}.tmp"  # two processes may build the same library at once
        subprocess.run([cc, *flags, "-fPIC", "-c", c_file, "-o", f"{library}.{unique}.o"],
                       check=True, capture_output=True)
        subprocess.run([cc, "-shared", f"{library}.{unique}.o", "-o", f"{library}.{unique}",
                        "-lm"], check=True, capture_output=True)
        os.remove(f"{library}.{unique}.o")
        os.replace(f"{library}.{unique}", library)
    return ctypes.CDLL(library)


def march() -> str:
    """The ``-march`` of the floors: ``FASTMLP_CFLOOR_MARCH``, else the CPU that Numba is told
    to compile for (``FASTMLP_CPU=x86-64-v3`` or ``NUMBA_CPU_NAME=haswell`` builds the floors
    for AVX2 too), else ``native``."""
    name = (os.environ.get("FASTMLP_CFLOOR_MARCH") or os.environ.get("FASTMLP_CPU")
            or os.environ.get("NUMBA_CPU_NAME") or "native")
    return {"host": "native", "generic": "x86-64", "auto": "native"}.get(name, name)


def flags(fast_math: bool) -> list[str]:
    """``-O3 -march=...``, with ``-ffast-math`` when ``fast_math``."""
    return ["-O3", f"-march={march()}"] + (["-ffast-math"] if fast_math else [])


def _ptr(a: np.ndarray):
    return a.ctypes.data_as(ctypes.c_void_p)


class PerSampleFloor:
    """The per-sample 3-4-2 epoch in C."""

    case = CASES_BY_NAME["per-sample SGD 3-4-2"]
    label = case.name

    def __init__(self, fast_math: bool = False):
        self.fast_math = fast_math
        self.lib = build(PER_SAMPLE, flags(fast_math))
        self.lib.epoch.restype = None
        self.sizes = np.array(self.case.layer_sizes, np.int64)
        self.work = np.zeros(2 * int(self.sizes.sum()))

    def epoch(self, X, Y, order, theta, lr):
        c = ctypes
        self.lib.epoch(_ptr(X), _ptr(Y), _ptr(order), c.c_int64(len(order)), _ptr(theta),
                       _ptr(self.sizes), c.c_int64(len(self.sizes) - 1), c.c_double(lr),
                       _ptr(self.work))


class MiniBatchFloor:
    """The 64-32-10 / 32 epoch in C, as plain loops over each row."""

    case = CASES_BY_NAME["mini-batch 64-32-10 /32"]
    label = "mini-batch 64-32-10 /32, plain"

    def __init__(self, fast_math: bool = True):
        self.fast_math = fast_math
        self.lib = build(MINI_BATCH, flags(fast_math))
        self.lib.epoch.restype = None
        n_in, H, K = self.case.layer_sizes
        m = self.case.batch_size
        n_params = n_in * H + H + H * K + K
        self.work = np.zeros(m * (n_in + 2 * H + K) + n_params, np.float32)

    def epoch(self, X, Y, order, theta, lr):
        c = ctypes
        n_in, H, K = self.case.layer_sizes
        self.lib.epoch(_ptr(X), _ptr(Y), _ptr(order), c.c_int64(len(order)), _ptr(theta),
                       c.c_int64(n_in), c.c_int64(H), c.c_int64(K),
                       c.c_int64(self.case.batch_size), c.c_float(lr), _ptr(self.work))


class BlockedMiniBatchFloor:
    """The 64-32-10 / 32 epoch in C with the sizes as constants and register-blocked loops
    (:data:`BLOCKED_MINI_BATCH`): the stronger floor for that case."""

    case = CASES_BY_NAME["mini-batch 64-32-10 /32"]
    label = "mini-batch 64-32-10 /32, blocked"

    def __init__(self, fast_math: bool = True):
        self.fast_math = fast_math
        n_in, H, K = self.case.layer_sizes
        sizes = [f"-DNIN={n_in}", f"-DH={H}", f"-DK={K}", f"-DM={self.case.batch_size}"]
        self.lib = build(BLOCKED_MINI_BATCH, [*flags(fast_math), *sizes])
        self.lib.epoch.restype = None

    def epoch(self, X, Y, order, theta, lr):
        self.lib.epoch(_ptr(X), _ptr(Y), _ptr(order), ctypes.c_int64(len(order)), _ptr(theta),
                       ctypes.c_float(lr))


def fastmlp_network(case, seed: int = 0):
    import fastmlp

    return fastmlp.MLP(case.layer_sizes, case.activation, case.output_activation, case.loss,
                       dtype=case.dtype, seed=seed)


def check_same_work(floor, n_rows: int = 2000) -> float:
    """One epoch in row order from the same start in fastmlp and in C; returns the largest
    relative difference of the parameters."""
    case = floor.case
    X, Y = case.smaller(n_rows).data()
    net = fastmlp_network(case)
    theta = net.params.copy()
    net.fit(X, Y, optimizer="sgd", learning_rate=case.learning_rate,
            batch_size=case.batch_size, epochs=1, shuffle=False)
    floor.epoch(np.ascontiguousarray(X), np.ascontiguousarray(Y),
                np.arange(len(X), dtype=np.int64), theta, case.learning_rate)
    return float(np.max(np.abs(theta - net.params)) / np.max(np.abs(net.params)))


def time_both(floor, rounds: int = 5, more_epochs: int = 4) -> dict:
    """ns/sample on the case's shuffled epoch, alternating, best of ``rounds``:

    * ``"fastmlp"``: a one-epoch fit, as the sweep times it -- the epoch plus what every fit
      does once (checking X and Y for NaN and inf, one pass over the data; setting up);
    * ``"fastmlp epoch"``: one more epoch of a longer fit, the time of a fit of
      1 + ``more_epochs`` epochs less that of the one-epoch fit, per epoch;
    * for the per-sample case, ``"specialized"`` and ``"specialized epoch"``: the same with
      the kernel specialized on the network's sizes (:mod:`fastmlp.engines.specialize`),
      which long fits switch to; the others run on the general kernel;
    * ``"C floor"``: the C epoch, which checks nothing.
    """
    case = floor.case
    X, Y = case.data()
    net = fastmlp_network(case)
    theta = net.params.copy()
    order = np.random.default_rng(0).permutation(len(X)).astype(np.int64)
    options = dict(optimizer="sgd", learning_rate=case.learning_rate,
                   batch_size=case.batch_size, epochs=1, seed=0)
    longer = {**options, "epochs": 1 + more_epochs}
    tiers = {"fastmlp": False}
    if case.batch_size == 1 and _specialize_now(lambda: net.fit(X, Y, **options)):
        tiers["specialized"] = True
    for specialized in tiers.values():
        with _tier(specialized):
            net.fit(X, Y, **options)  # compiled and warm
    best = {name: np.inf for name in [*tiers, *(t + " longer" for t in tiers), "C floor"]}
    for _ in range(rounds):
        for tier, specialized in tiers.items():
            with _tier(specialized):
                for name, fit_options in ((tier, options), (tier + " longer", longer)):
                    began = time.perf_counter()
                    net.fit(X, Y, **fit_options)
                    best[name] = min(best[name], time.perf_counter() - began)
        began = time.perf_counter()
        floor.epoch(X, Y, order, theta, case.learning_rate)
        best["C floor"] = min(best["C floor"], time.perf_counter() - began)
    for tier in tiers:
        best[tier + " epoch"] = (best.pop(tier + " longer") - best[tier]) / more_epochs
    return {name: seconds / len(X) * 1e9 for name, seconds in best.items()}


def _specialize_now(fit) -> bool:
    """Have ``fit`` ask for its specialized kernel and wait until it is ready (compiled by a
    child process, or read from the disk cache); False when kernels are not specialized here
    (FASTMLP_SPECIALIZE=0, no kernel cache)."""
    from ..engines import specialize

    if not specialize.enabled():
        return False
    with specialize.eagerly():
        fit()
    return specialize.wait(timeout=600) and any(
        entry.kernel is not None for entry in specialize._kernels.values())


class _tier:
    """Fits inside run on the specialized kernel (``specialized``) or on the general one."""

    def __init__(self, specialized: bool):
        self.specialized = specialized

    def __enter__(self):
        self.saved = os.environ.get("FASTMLP_SPECIALIZE")
        os.environ["FASTMLP_SPECIALIZE"] = "1" if self.specialized else "0"

    def __exit__(self, *exc):
        if self.saved is None:
            del os.environ["FASTMLP_SPECIALIZE"]
        else:
            os.environ["FASTMLP_SPECIALIZE"] = self.saved


def main(argv=None) -> int:
    if compiler() is None:
        print("no C compiler found: the C floor is skipped")
        return 0
    from .machine import header

    print(header() + f"; C floors: -march={march()}")
    print(f"{'case':46} {'fastmlp fit':>11} {'epoch':>7} {'C floor':>8} {'fit/floor':>10} "
          f"{'epoch/floor':>12} {'same work':>10}")
    print(f"{'':46} {'(ns/sample)':>11} {'':>7} {'':>8} {'':>10} {'':>12} "
          f"{'(max rel.)':>10}")
    floors = [kind(fast_math=fast) for kind in (PerSampleFloor, MiniBatchFloor,
                                                BlockedMiniBatchFloor)
              for fast in (False, True)]
    for floor in floors:
        difference = check_same_work(floor)
        times = time_both(floor)
        for tier in ("fastmlp", "specialized"):
            if tier not in times:
                continue
            label = (floor.label + (", fast-math" if floor.fast_math else ", strict")
                     + (", specialized" if tier == "specialized" else ""))
            floor_time = times["C floor"]
            print(f"{label:46} {times[tier]:>11.1f} {times[tier + ' epoch']:>7.1f} "
                  f"{floor_time:>8.1f} {times[tier] / floor_time:>10.2f} "
                  f"{times[tier + ' epoch'] / floor_time:>12.2f} {difference:>10.1e}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
