"""Benchmark sweep: the same training work in fastmlp, reference.py and installed peers.

``python -m fastmlp.bench`` runs it and prints the table; ``bench/`` at the repository root
times the same cases with pytest-benchmark. Both read :data:`fastmlp.bench.cases.CASES`.
"""
