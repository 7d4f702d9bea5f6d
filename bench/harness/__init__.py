"""Benchmark harness for fastapi-maintenance: in-process ASGI rounds, HTTP rounds with wrk, memory.

This package is imported by the parent (``bench/run.py``) and by its worker
processes, some of which run in a separate virtual environment with
fastapi-maintenance 0.0.5: it must import nothing from ``fastapi_maintenance``
at module level, and nothing that virtual environment lacks (fastapi,
starlette and the standard library only, outside the parent-side modules).
"""
