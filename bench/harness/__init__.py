"""Benchmark harness for fastapi-maintenance: same-process interleaved rounds and HTTP rounds with wrk.

The variants import ``fastapi_maintenance`` from this checkout (``bench/run.py`` and the worker and
server processes put the repository root first on the path).
"""
