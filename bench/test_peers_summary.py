"""bench/peers_summary.py: median and range per ISA, fastmlp against each run's strongest
peer."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import peers_summary  # noqa: E402


def run(isa, fastmlp, jax, c_strict, load=1.0):
    machine = {"cpu_model": "Test CPU", "cpu_isa": "AVX-512", "numba_cpu_name": isa,
               "numba_isa": "AVX2" if isa == "haswell" else "AVX-512",
               "load_average": [load, 1, 1], "environment": {}}
    row = {"case": "c1", "samples": 1000, "fastmlp_samples_per_s": fastmlp,
           "jax_samples_per_s": jax, "c_strict_samples_per_s": c_strict,
           "reference_samples_per_s": 1.0, "fastmlp_cpu_s": 1000 / fastmlp}
    return {"machine": machine, "rows": [row]}


def test_median_range_and_strongest_peer_per_isa():
    results = [run("rocketlake", 1e6, 5e5, 2e6, load=2.0),
               run("rocketlake", 2e6, 5e5, 2e6, load=3.0),
               run("rocketlake", 4e6, 1e6, 1e6, load=4.0),
               run("haswell", 1e6, 1e6, 1e5)]
    text = peers_summary.summarize(results)
    avx512, avx2 = text.split("**Test CPU")[1:]
    assert "rocketlake (AVX-512)" in avx512 and "3 runs" in avx512 and "load 2.0–4.0" in avx512
    # ns/sample: fastmlp 1000, 500, 250 -> median 500 (250–1000)
    assert "| c1 | 500 (250–1,000) |" in avx512
    # per run: C strict 0.5x, C strict 1.0x, then JAX = C strict at 4x fastmlp's time
    assert "1.00 (0.50–4.00)x C strict, JAX scan" in avx512
    assert "haswell (AVX2)" in avx2 and "1.00x JAX scan" in avx2
    assert "reference" not in text  # not a peer
