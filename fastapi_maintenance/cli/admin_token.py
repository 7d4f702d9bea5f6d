"""``admin-token NAME``: a new admin API token, shown once, and the settings lines that allow it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List

from ..access.admin_tokens import TOKEN_ENV_VAR, hash_admin_token, new_admin_token, validate_token_name
from .errors import EXIT_USAGE, CliError

__all__ = ["NewAdminToken", "create_admin_token"]


@dataclass(frozen=True)
class NewAdminToken:
    name: str
    token: str
    hash: str

    @property
    def toml_lines(self) -> List[str]:
        return ["[admin]", f'tokens = {{ {self.name} = "{self.hash}" }}']

    @property
    def environment_line(self) -> str:
        table = json.dumps({self.name: self.hash})
        return f"FASTAPI_MAINTENANCE_ADMIN__TOKENS='{table}'"

    def as_json(self) -> Dict[str, Any]:
        return {
            "name": self.name,
            "token": self.token,
            "hash": self.hash,
            "settings": "\n".join(self.toml_lines),
            "environment": self.environment_line,
        }

    def text_lines(self) -> List[str]:
        return [
            f"admin token for {self.name} (shown only now; keep it in the deploy pipeline's secret store):",
            f"  {self.token}",
            "",
            "allow it in the app's settings (the hash only; merge with other tokens of the [admin] table):",
            *(f"  {line}" for line in self.toml_lines),
            "or in the app's environment:",
            f"  {self.environment_line}",
            "",
            f"the CLI reads the token from {TOKEN_ENV_VAR}: fastapi-maintenance --url https://APP/_maintenance status",
        ]


def create_admin_token(name: str) -> NewAdminToken:
    try:
        validate_token_name(name)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    token = new_admin_token(name)
    return NewAdminToken(name, token, hash_admin_token(token))
