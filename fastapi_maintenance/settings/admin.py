"""The ``[admin]`` settings section: the admin API's named bearer tokens, stored as hashes only."""

from __future__ import annotations

import json
from typing import Any, Dict

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from typing_extensions import Annotated

from ..access.admin_tokens import validate_token_hash, validate_token_name

__all__ = ["AdminSettings"]

TokenName = Annotated[str, AfterValidator(validate_token_name)]
TokenHash = Annotated[str, AfterValidator(validate_token_hash)]


def _tokens_from_text(value: Any) -> Any:
    """``FASTAPI_MAINTENANCE_ADMIN__TOKENS`` arrives as text: a JSON table of name to hash."""
    if not isinstance(value, str):
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        raise ValueError('expected a JSON table such as {"deploy-bot": "sha256:..."}') from None
    if not isinstance(decoded, dict):
        raise ValueError('expected a JSON table such as {"deploy-bot": "sha256:..."}')
    return decoded


class AdminSettings(BaseModel):
    """The admin API (``fastapi_maintenance.admin.admin_router``)."""

    model_config = ConfigDict(extra="forbid")

    tokens: Annotated[Dict[TokenName, TokenHash], BeforeValidator(_tokens_from_text)] = Field(
        default_factory=dict,
        description=(
            "Named bearer tokens allowed to switch maintenance through the admin API: name = 'sha256:' and 64 hex digits "
            "as printed by 'fastapi-maintenance admin-token NAME'. Only the hash is stored; the name "
            "is recorded as the actor of each change."
        ),
    )
