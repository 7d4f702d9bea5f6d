"""The typed settings model: every key of the config file, the environment and keyword arguments."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Literal, Optional, Tuple, Type, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from typing_extensions import Annotated

from ..access import DEFAULT_BYPASS_NAME, DEFAULT_MAX_AGE, FORWARDED_HEADERS, ForwardedHeaderName
from ..access.windows import Window, WindowSchedule
from ..errors import require_extra
from .admin import AdminSettings
from .backend import DEFAULT_ENV_VAR, BackendConfig, EnvBackendConfig, normalise_backend
from .explain import config_error, value_sources
from .globs import validate_glob
from .sources import LoadContext, PathArg, build_sources, current_context
from .values import (
    MAX_BYPASS_MAX_AGE,
    MAX_SECRET_LENGTH,
    MIN_SECRET_LENGTH,
    parse_rfc3339,
    validate_bypass_secret,
    validate_forwarded_header,
    validate_http_token,
    validate_ip_network,
    validate_path_text,
    validate_retry_after,
    validate_text,
)

__all__ = [
    "DEFAULT_BACKEND_TIMEOUT",
    "DEFAULT_MESSAGE",
    "DEFAULT_RETRY_AFTER",
    "DEFAULT_STATUS_CODE",
    "BypassSettings",
    "FaultPolicy",
    "MaintenanceSettings",
    "ResponseSettings",
    "WindowSettings",
    "window_schedule",
]

DEFAULT_MESSAGE = "Service temporarily unavailable due to maintenance"
DEFAULT_STATUS_CODE = 503
DEFAULT_RETRY_AFTER = 3600
DEFAULT_BACKEND_TIMEOUT = 2.0
FaultPolicy = Literal["last_known", "open", "closed"]

PathGlob = Annotated[str, AfterValidator(validate_glob)]
IPNetworkText = Annotated[str, BeforeValidator(validate_ip_network)]
HttpToken = Annotated[str, AfterValidator(validate_http_token)]
Rfc3339 = Annotated[datetime, BeforeValidator(parse_rfc3339)]
Text = Annotated[str, AfterValidator(validate_text)]
ForwardedHeader = Annotated[ForwardedHeaderName, BeforeValidator(validate_forwarded_header)]


def _template_path(value: Optional[Path]) -> Optional[Path]:
    """The template must exist now (not at the first request), and Jinja2 must be installed to render it."""
    if value is None:
        return None
    validate_path_text(str(value))
    path = value if value.is_absolute() else Path.cwd() / value
    if not path.is_file():
        raise ValueError(f"template file not found: {path}")
    require_extra("jinja2", extra="templates", purpose="response.template (a Jinja2 HTML page)")
    return path


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResponseSettings(_Section):
    """The maintenance response."""

    status_code: int = Field(
        default=DEFAULT_STATUS_CODE,
        ge=400,
        le=599,
        description="HTTP status of the maintenance response (400-599).",
    )
    message: Text = Field(
        default=DEFAULT_MESSAGE, description='Message sent as the JSON body {"detail": message}.'
    )
    template: Annotated[Optional[Path], AfterValidator(_template_path)] = Field(
        default=None,
        description=(
            "Jinja2 HTML page (autoescaped; context: message, retry_after, path) served when the client's "
            "most preferred Accept type is text/html. Relative to the config file's folder. "
            "Needs the 'templates' extra."
        ),
    )


class BypassSettings(_Section):
    """A secret that lets operators in during maintenance, exchanged for a signed, expiring cookie."""

    secret: Annotated[SecretStr, AfterValidator(validate_bypass_secret)] = Field(
        min_length=MIN_SECRET_LENGTH,
        description=(
            f"The bypass secret ({MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} printable characters, no surrounding spaces or newline). "
            "Never logged; changing it invalidates every cookie."
        ),
    )
    param: HttpToken = Field(
        default=DEFAULT_BYPASS_NAME, description="Query parameter that carries the secret."
    )
    header: HttpToken = Field(
        default="X-Maintenance-Bypass", description="Request header that carries the secret."
    )
    cookie: HttpToken = Field(default="fastapi_maintenance_bypass", description="Name of the bypass cookie.")
    max_age: int = Field(
        default=DEFAULT_MAX_AGE,
        gt=0,
        le=MAX_BYPASS_MAX_AGE,
        description="Lifetime of the bypass cookie in seconds (default 12 h, at most 366 days).",
    )


class WindowSettings(_Section):
    """A scheduled maintenance window: maintenance is on from start (inclusive) to end (exclusive)."""

    start: Rfc3339 = Field(description="Start, an RFC 3339 date-time with a UTC offset.")
    end: Rfc3339 = Field(description="End, an RFC 3339 date-time with a UTC offset, after start.")
    message: Optional[Text] = Field(
        default=None, description="Message shown during this window instead of response.message."
    )

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if isinstance(start, datetime) and end <= start:
            raise ValueError(f"end must be after start ({start.isoformat()})")
        return end


def _default_backend() -> EnvBackendConfig:
    return EnvBackendConfig()


def _default_response() -> ResponseSettings:
    return ResponseSettings()


class MaintenanceSettings(BaseSettings):
    """All settings, from (highest first) keyword arguments, ``FASTAPI_MAINTENANCE_*`` variables,
    one TOML/YAML config file, defaults.

    ``MaintenanceSettings(**keys)`` reads the config file found by ``settings.discovery`` (if any);
    ``MaintenanceSettings(_config_file=path, **keys)`` reads ``path``. Every problem raises
    ``MaintenanceConfigError``.
    """

    model_config = SettingsConfigDict(extra="forbid", validate_default=True)

    enabled: Optional[bool] = Field(
        default=None,
        description="Hard switch: true or false overrides the backend's state; leave it out to follow the backend.",
    )
    backend: Annotated[BackendConfig, BeforeValidator(normalise_backend)] = Field(
        default_factory=_default_backend,
        description=(
            "Where the maintenance state lives: 'env', 'env:VAR_NAME', 'file:///absolute/path', 'memory', "
            "'redis://host:6379/0' (or 'rediss://'), or a table with type = env | file | memory | redis. "
            f"Default: the environment variable {DEFAULT_ENV_VAR}."
        ),
    )
    exempt_paths: List[PathGlob] = Field(
        default_factory=list,
        description="Path globs always served, even in maintenance ('*' within a segment, '**' across segments).",
    )
    maintenance_paths: List[PathGlob] = Field(
        default_factory=list,
        description="Path globs always in maintenance, whatever the state (one subsystem down, the rest up).",
    )
    exempt_docs: bool = Field(
        default=True,
        description="Serve FastAPI's docs URLs (/docs, /redoc, /openapi.json) during maintenance.",
    )
    retry_after: Annotated[Union[int, datetime], BeforeValidator(validate_retry_after)] = Field(
        default=DEFAULT_RETRY_AFTER,
        description=(
            "Retry-After header: whole seconds (>= 0), or an RFC 3339 date-time with a UTC offset, "
            "sent as an HTTP-date."
        ),
    )
    response: ResponseSettings = Field(
        default_factory=_default_response, description="The maintenance response."
    )
    on_backend_error: FaultPolicy = Field(
        default="last_known",
        description=(
            "What to answer while the backend cannot be read: 'last_known' (the last state read, off if none), "
            "'open' (serve traffic) or 'closed' (maintenance on)."
        ),
    )
    backend_timeout: float = Field(
        default=DEFAULT_BACKEND_TIMEOUT,
        gt=0,
        le=60,
        description=(
            "Seconds a backend read (and an async exempt_callback or response_callback) may take; "
            "after that on_backend_error answers (the callback counts as failed)."
        ),
    )
    read_only: bool = Field(
        default=False,
        description="During maintenance block only unsafe methods; GET, HEAD and OPTIONS keep working.",
    )
    allowed_ips: List[IPNetworkText] = Field(
        default_factory=list,
        description="Client addresses or CIDR ranges (IPv4/IPv6) always served during maintenance.",
    )
    trusted_proxies: List[IPNetworkText] = Field(
        default_factory=list,
        description=(
            "Proxy addresses or CIDR ranges whose forwarded_header is believed "
            "when finding the client address."
        ),
    )
    forwarded_header: ForwardedHeader = Field(
        default=FORWARDED_HEADERS[0],
        description=(
            "The one header the trusted proxies write with the client address: 'X-Forwarded-For', "
            "'Forwarded' (RFC 7239) or 'X-Real-IP'. Only that header is read; the others are ignored."
        ),
    )
    bypass: Optional[BypassSettings] = Field(
        default=None,
        description="Bypass secret for operators (query parameter or header, then a signed cookie).",
    )
    windows: List[WindowSettings] = Field(
        default_factory=list,
        description="Scheduled maintenance windows; inside one, maintenance is on and Retry-After counts down to its end.",
    )
    admin: Optional[AdminSettings] = Field(
        default=None,
        description="The admin API: named bearer tokens (hashes only) allowed to switch maintenance over HTTP.",
    )

    def __init__(
        self,
        _config_file: Optional[PathArg] = None,
        _sources_report: Optional[Dict[str, str]] = None,
        **values: Any,
    ) -> None:
        context = LoadContext.start(_config_file, values)
        variable = current_context()
        token = variable.set(context)
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise config_error(exc, context, type(self)) from None
        finally:
            variable.reset(token)
        if _sources_report is not None:
            _sources_report.update(value_sources(self, context))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: Type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> Tuple[PydanticBaseSettingsSource, ...]:
        return build_sources(settings_cls, init_settings)


def window_schedule(settings: MaintenanceSettings, clock: Callable[[], float] = time.time) -> WindowSchedule:
    """The settings' windows, merged and ready for look-ups (by the middleware and the CLI's status)."""
    return WindowSchedule(
        [Window(item.start, item.end, item.message) for item in settings.windows], clock=clock
    )
