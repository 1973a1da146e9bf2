"""Engines: one module per execution strategy of a training epoch, behind one interface
(:class:`Engine`), chosen by :func:`select_engine`."""

from __future__ import annotations

from .base import Engine
from .chunked import ChunkedEngine
from .per_sample import PerSampleEngine
from .row_parallel import RowParallelEngine

#: Every engine, in the order of preference: the first that supports a fit runs it.
ENGINES: tuple[type[Engine], ...] = (RowParallelEngine, PerSampleEngine, ChunkedEngine)
ENGINES_BY_NAME = {engine.name: engine for engine in ENGINES}


def select_engine(config, n_rows: int, threads: int, name: str | None = None,
                  weighted: bool = False) -> type[Engine]:
    """The engine that runs ``config`` on ``n_rows`` rows (with sample weights when
    ``weighted``) with ``threads`` threads: the one named (a ValueError saying why when it
    cannot), or else the first of :data:`ENGINES` that can."""
    if name is not None:
        if name not in ENGINES_BY_NAME:
            raise ValueError(f"unknown engine {name!r}; choose one of "
                             f"{', '.join(map(repr, ENGINES_BY_NAME))} or None")
        engine = ENGINES_BY_NAME[name]
        reason = engine.unsupported(config, n_rows, threads, weighted)
        if reason is not None:
            raise ValueError(f"engine {name!r} cannot run this fit: {reason}")
        return engine
    for engine in ENGINES:
        if engine.unsupported(config, n_rows, threads, weighted) is None:
            return engine
    raise AssertionError("the chunked engine supports every fit")


__all__ = ["Engine", "ENGINES", "ENGINES_BY_NAME", "select_engine", "ChunkedEngine",
           "PerSampleEngine", "RowParallelEngine"]
