"""A small app showing maintenance mode; run it with `bash scripts/demo.sh`.

It prints an admin token when it starts (unless FASTAPI_MAINTENANCE_ADMIN__TOKENS names the
allowed token hashes); put it in TOKEN and try:
    curl -i http://127.0.0.1:8000/                      # 200
    curl -i -X PUT http://127.0.0.1:8000/_maintenance/ -H "Authorization: Bearer $TOKEN" \
         -H "Content-Type: application/json" -d '{"active": true, "message": "Back soon", "duration": 600}'
    curl -i http://127.0.0.1:8000/                      # 503 with Retry-After and the message
    curl -i http://127.0.0.1:8000/health                # still 200: forced off
    curl -i -X DELETE http://127.0.0.1:8000/_maintenance/ -H "Authorization: Bearer $TOKEN"
    curl -i -X DELETE http://127.0.0.1:8000/_maintenance/   # 401: no token, nothing changes
"""

from __future__ import annotations

import os
import sys
from typing import Dict, Optional

from fastapi import FastAPI

from fastapi_maintenance import MaintenanceModeMiddleware, force_maintenance_mode_off, get_maintenance_mode
from fastapi_maintenance.access.admin_tokens import hash_admin_token, new_admin_token
from fastapi_maintenance.admin import admin_router
from fastapi_maintenance.backends import MemoryBackend

#: The token this run made up (None when the environment names the allowed tokens).
DEMO_TOKEN: Optional[str] = None
tokens: Optional[Dict[str, str]] = None
if not os.environ.get("FASTAPI_MAINTENANCE_ADMIN__TOKENS"):
    DEMO_TOKEN = new_admin_token("demo")
    tokens = {"demo": hash_admin_token(DEMO_TOKEN)}
    sys.stderr.write(f"demo admin token (valid for this run): {DEMO_TOKEN}\n")

app = FastAPI(title="fastapi-maintenance demo")
app.add_middleware(MaintenanceModeMiddleware, backend=MemoryBackend(), retry_after=120)
app.include_router(admin_router(tokens=tokens), prefix="/_maintenance")


@app.get("/")
async def root() -> Dict[str, str]:
    return {"message": "Hello World"}


@app.get("/health")
@force_maintenance_mode_off
async def health() -> Dict[str, bool]:
    return {"ok": True, "maintenance": await get_maintenance_mode()}
