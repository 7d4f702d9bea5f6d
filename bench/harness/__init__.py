"""Benchmark harness for fastapi-maintenance: same-process interleaved rounds and HTTP rounds with wrk.

Nothing here imports ``fastapi_maintenance`` at module level: the variants import it when built,
in the worker and server processes, from this checkout.
"""
