"""Peak memory of training on a file against the file's size: ``python bench/out_of_core.py``.

For each size, writes X (n x 100 float64) and Y (n x 10) as .npy files, then trains one epoch
of a 100-64-10 network (mini-batches of 256, Adam) in a fresh process on
``np.load(path, mmap_mode="r")`` and reports that process's peak resident memory
(``ru_maxrss``) next to the files' size; the same fit on the arrays loaded into memory is the
comparison. Peak memory of the streamed fit should stay flat while the file grows.
``--data-limit-mb`` runs each fit under a limit on private memory (RLIMIT_DATA), so a fit
that needs the data in memory fails while the streamed one trains on a file larger than the
limit.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHILD = r"""
import json, sys, time
import numpy as np
import fastmlp
x_path, y_path, mode = sys.argv[1:4]
if mode == "memmap":
    X, Y = np.load(x_path, mmap_mode="r"), np.load(y_path, mmap_mode="r")
else:
    X, Y = np.load(x_path), np.load(y_path)
net = fastmlp.MLP((100, 64, 10), "relu", "softmax", "cross_entropy", seed=0)
net.fit(X[:512] if mode == "memory" else np.asarray(X[:512]), np.asarray(Y[:512]),
        optimizer="adam", learning_rate=1e-3, batch_size=256, epochs=1)  # compile first
began = time.perf_counter()
history = net.fit(X, Y, optimizer="adam", learning_rate=1e-3, batch_size=256, epochs=1)
elapsed = time.perf_counter() - began
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status")
               if line.startswith("VmHWM"))
print(json.dumps({"peak_rss_mb": peak_kb / 1024, "seconds": elapsed,
                  "loss": history.loss[-1]}))
"""


def write_data(directory: Path, n_rows: int, block: int = 100_000) -> tuple[Path, Path]:
    """X and Y .npy files of ``n_rows`` rows, written a block at a time with plain file
    writes (so this process never holds or maps the data either)."""
    x_path, y_path = directory / f"X_{n_rows}.npy", directory / f"Y_{n_rows}.npy"
    rng = np.random.default_rng(0)
    W = rng.normal(size=(100, 10))
    with open(x_path, "wb") as fx, open(y_path, "wb") as fy:
        for f, width in ((fx, 100), (fy, 10)):
            header = {"descr": "<f8", "fortran_order": False, "shape": (n_rows, width)}
            np.lib.format.write_array_header_1_0(f, header)
        for start in range(0, n_rows, block):
            x = rng.normal(size=(min(block, n_rows - start), 100))
            fx.write(x.tobytes())
            fy.write(np.eye(10)[np.argmax(x @ W, axis=1)].tobytes())
    return x_path, y_path


def measure(x_path: Path, y_path: Path, mode: str, data_limit_mb: int | None = None) -> dict:
    """One fit in a fresh process; under ``data_limit_mb`` (RLIMIT_DATA: the process's
    private memory -- heap and anonymous maps, not the mapped file) when given."""
    def limit():
        if data_limit_mb is not None:
            size = data_limit_mb * 2**20
            resource.setrlimit(resource.RLIMIT_DATA, (size, size))

    run = subprocess.run([sys.executable, "-c", CHILD, str(x_path), str(y_path), mode],
                         capture_output=True, text=True, preexec_fn=limit)
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["?"])[-1]
        return {"peak_rss_mb": float("nan"), "seconds": float("nan"), "error": last[:80]}
    return json.loads(run.stdout.strip().splitlines()[-1])


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[250_000, 1_000_000, 4_000_000])
    parser.add_argument("--memory-up-to", type=int, default=1_000_000,
                        help="also run the in-memory fit for sizes up to this many rows")
    parser.add_argument("--dir", help="where to write the files (default: a temporary one)")
    parser.add_argument("--data-limit-mb", type=int,
                        help="run each fit under this RLIMIT_DATA (private memory) limit")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        limit = args.data_limit_mb
        print(f"{'rows':>10} {'file MB':>9} {'mode':>7} {'peak RSS MB':>12} {'epoch s':>8}"
              + (f"  (private memory limited to {limit} MB)" if limit else ""))
        for n in args.rows:
            x_path, y_path = write_data(Path(tmp), n)
            size = (x_path.stat().st_size + y_path.stat().st_size) / 2**20
            for mode in ("memmap", "memory"):
                if mode == "memory" and n > args.memory_up_to:
                    continue
                result = measure(x_path, y_path, mode, limit)
                rows.append({"rows": n, "file_mb": size, "mode": mode, **result})
                print(f"{n:>10} {size:>9.0f} {mode:>7} {result['peak_rss_mb']:>12.0f} "
                      f"{result['seconds']:>8.2f}  {result.get('error', '')}", flush=True)
            x_path.unlink(), y_path.unlink()
    return rows


if __name__ == "__main__":
    main()
