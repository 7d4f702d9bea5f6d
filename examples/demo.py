"""A small app showing maintenance mode; run it with `bash scripts/demo.sh`.

Try:
    curl -i http://127.0.0.1:8000/                      # 200
    curl -i -X POST http://127.0.0.1:8000/admin/maintenance/on
    curl -i http://127.0.0.1:8000/                      # 503 with Retry-After
    curl -i http://127.0.0.1:8000/health                # still 200: forced off
    curl -i -X POST http://127.0.0.1:8000/admin/maintenance/off
"""

from __future__ import annotations

from typing import Dict

from fastapi import FastAPI

from fastapi_maintenance import (
    MaintenanceModeMiddleware,
    force_maintenance_mode_off,
    get_maintenance_mode,
    set_maintenance_mode,
)
from fastapi_maintenance.backends import MemoryBackend

app = FastAPI(title="fastapi-maintenance demo")
app.add_middleware(MaintenanceModeMiddleware, backend=MemoryBackend(), retry_after=120)


@app.get("/")
async def root() -> Dict[str, str]:
    return {"message": "Hello World"}


@app.get("/health")
@force_maintenance_mode_off
async def health() -> Dict[str, bool]:
    return {"ok": True, "maintenance": await get_maintenance_mode()}


@app.post("/admin/maintenance/on")
@force_maintenance_mode_off
async def maintenance_on() -> Dict[str, bool]:
    await set_maintenance_mode(True)
    return {"maintenance_mode": True}


@app.post("/admin/maintenance/off")
@force_maintenance_mode_off
async def maintenance_off() -> Dict[str, bool]:
    await set_maintenance_mode(False)
    return {"maintenance_mode": False}
