"""Named bearer tokens for the admin API: the settings keep only a hash, checks take constant time.

A token reads ``<name>.<secret>``: the name says who is calling (the actor of a change) and
which stored hash to compare with; the secret is 32 random bytes. Since a token carries that
much randomness, one SHA-256 is enough to store it: nobody can search the space behind a hash.
The hash covers the whole token, so a secret presented under another name never matches.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Dict, Mapping, Optional, Tuple, Union

__all__ = [
    "HASH_PREFIX",
    "TOKEN_ENV_VAR",
    "TOKEN_HASH_PATTERN",
    "TOKEN_NAME_PATTERN",
    "AdminTokens",
    "check_admin_token",
    "hash_admin_token",
    "new_admin_token",
    "split_admin_token",
    "validate_token_hash",
    "validate_token_name",
]

HASH_PREFIX = "sha256:"
#: Where the command line reads an admin token from (never from an argument: other users see those in ``ps``).
TOKEN_ENV_VAR = "FASTAPI_MAINTENANCE_ADMIN_TOKEN"
#: What a token name and a stored hash look like (regular expressions without anchors; the schema uses them too).
TOKEN_NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
TOKEN_HASH_PATTERN = HASH_PREFIX + "[0-9a-f]{64}"
_NAME = re.compile(TOKEN_NAME_PATTERN + r"\Z")
_HASH = re.compile(TOKEN_HASH_PATTERN + r"\Z")
_SECRET_BYTES = 32
_MAX_TOKEN = 256  # a name of at most 64 characters, a dot and a 43-character secret fit easily
#: Compared against when the presented name is unknown, so that an unknown name costs the same time.
_UNKNOWN = hashlib.sha256(b"fastapi-maintenance: no token of that name").digest()


def validate_token_name(name: str) -> str:
    """A token name: 1-64 letters, digits, ``-`` or ``_``, starting with a letter or digit."""
    if not isinstance(name, str) or _NAME.match(name) is None:
        raise ValueError(
            f"token name {name!r} is not valid: use 1 to 64 letters, digits, '-' or '_', "
            "starting with a letter or digit (e.g. deploy-bot)"
        )
    return name


def validate_token_hash(value: str) -> str:
    """A stored token hash: ``sha256:`` and 64 lowercase hex digits, as ``admin-token`` prints it."""
    if not isinstance(value, str) or _HASH.match(value) is None:
        # The value is never shown: it may be the token itself, pasted where its hash belongs.
        looks_like = isinstance(value, str) and split_admin_token(value) is not None
        what = "looks like a token (NAME.SECRET), not its hash" if looks_like else "is not a token hash"
        raise ValueError(
            f"the value {what}: expected 'sha256:' followed by 64 lowercase hex digits, "
            "as printed by 'fastapi-maintenance admin-token NAME' (the settings never hold the token itself)"
        )
    return value


def new_admin_token(name: str) -> str:
    """A fresh random token for ``name`` (shown once; store only its hash)."""
    return f"{validate_token_name(name)}.{secrets.token_urlsafe(_SECRET_BYTES)}"


def hash_admin_token(token: str) -> str:
    """The settings value for a token: ``sha256:<hex>`` of the whole token text."""
    return HASH_PREFIX + hashlib.sha256(token.encode("utf-8")).hexdigest()


def split_admin_token(token: Union[str, bytes]) -> Optional[Tuple[str, bytes]]:
    """(name, whole token as bytes) for a well-formed token, else None. Never raises."""
    data = token.encode("utf-8", "replace") if isinstance(token, str) else token
    if not isinstance(data, bytes) or len(data) > _MAX_TOKEN:
        return None
    name, dot, secret = data.partition(b".")
    if not dot or not secret:
        return None
    try:
        text = name.decode("ascii")
    except UnicodeDecodeError:
        return None
    if _NAME.match(text) is None:
        return None
    return text, data


def check_admin_token(token: str) -> str:
    """``token`` when it has a token's shape (``NAME.SECRET``, printable ASCII), else ValueError.

    The caller sends it in an HTTP header, which carries ASCII only. The message never shows the
    token: it is a secret, and error output ends up in CI logs.
    """
    if not isinstance(token, str) or not token:
        raise ValueError("the admin token is empty")
    if not token.isascii() or not token.isprintable() or any(char.isspace() for char in token):
        raise ValueError(
            "the admin token contains characters a token never has (non-ASCII, spaces or control "
            "characters); tokens look like NAME.SECRET, as 'fastapi-maintenance admin-token NAME' prints them"
        )
    if split_admin_token(token) is None:
        raise ValueError(
            "the admin token does not look like a token (NAME.SECRET, as "
            "'fastapi-maintenance admin-token NAME' prints it)"
        )
    return token


class AdminTokens:
    """The configured tokens, by name, as digests; ``identify`` says whose token a request carries."""

    __slots__ = ("_digests",)

    def __init__(self, hashes: Mapping[str, str]) -> None:
        digests: Dict[str, bytes] = {}
        for name, value in hashes.items():
            validate_token_name(name)
            try:
                validate_token_hash(value)
            except ValueError as exc:
                raise ValueError(f"token {name!r}: {exc}") from None
            digests[name] = bytes.fromhex(value[len(HASH_PREFIX) :])
        self._digests = digests

    def __len__(self) -> int:
        return len(self._digests)

    @property
    def names(self) -> Tuple[str, ...]:
        return tuple(sorted(self._digests))

    def identify(self, token: Union[str, bytes, None]) -> Optional[str]:
        """The name of the configured token equal to ``token``, else None (constant time per candidate)."""
        if token is None:
            return None
        parts = split_admin_token(token)
        if parts is None:
            return None
        name, data = parts
        expected = self._digests.get(name)
        digest = hashlib.sha256(data).digest()
        matched = hmac.compare_digest(digest, _UNKNOWN if expected is None else expected)
        return name if matched and expected is not None else None
