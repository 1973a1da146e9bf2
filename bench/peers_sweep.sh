#!/usr/bin/env bash
# The peers sweep of bench/README.md's 2026-12-07 (evening) entry: `python -m fastmlp.bench`
# three times on each ISA, the AVX-512 and AVX2 runs alternating (a shared machine's slow
# spells then fall on both), each run's table and JSON in OUT. The AVX2 runs narrow every
# implementation to AVX2: fastmlp's kernels (FASTMLP_CPU=x86-64-v3: NUMBA_CPU_NAME=haswell alone
# keeps the host's AVX-512 features on), OpenBLAS, XLA, PyTorch's kernels and the C floors'
# -march (which follows FASTMLP_CPU). Per-sample fits stay on the general kernel
# (FASTMLP_SPECIALIZE=0), the one a first fit runs, whatever the kernel cache holds.
# Usage: bash bench/peers_sweep.sh [OUT] [ROUNDS] [FIRST]   (rounds FIRST .. FIRST+ROUNDS-1)
set -euo pipefail
OUT=${1:-bench/results/peers}
ROUNDS=${2:-3}
FIRST=${3:-1}
mkdir -p "$OUT"
export FASTMLP_SPECIALIZE=0
for round in $(seq "$FIRST" $((FIRST + ROUNDS - 1))); do
    uptime > "$OUT/avx512-$round.txt"
    python -m fastmlp.bench --no-startup --json "$OUT/avx512-$round.json" \
        >> "$OUT/avx512-$round.txt" 2>&1
    uptime > "$OUT/avx2-$round.txt"
    FASTMLP_CPU=x86-64-v3 OPENBLAS_CORETYPE=Haswell XLA_FLAGS=--xla_cpu_max_isa=AVX2 \
        ATEN_CPU_CAPABILITY=avx2 \
        python -m fastmlp.bench --no-startup --json "$OUT/avx2-$round.json" \
        >> "$OUT/avx2-$round.txt" 2>&1
done
