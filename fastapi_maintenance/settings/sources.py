"""Where settings come from: keyword arguments, ``FASTAPI_MAINTENANCE_*`` variables, one config file.

Each source records what it supplied in the current ``LoadContext`` (a per-load
object, never shared between loads), so that errors and ``check`` can say which
source a value came from. Merging follows pydantic-settings (higher sources win,
nested tables such as ``response`` merge key by key) with one exception: ``backend``
is replaced as a whole by the highest source that sets it, since mixing the keys of
two different backends would only make a confusing error.
"""

from __future__ import annotations

import json
import os
import typing
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Type, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from ..access.admin_tokens import TOKEN_ENV_VAR
from ..errors import MaintenanceConfigError
from .backend import DEFAULT_ENV_VAR, backend_from_string, redact_url_credentials
from .discovery import CONFIG_ENV_VAR, choose_config_file
from .files import MAX_DEPTH, check_depth, parse_toml, parse_yaml, parser_for, read_text

__all__ = [
    "CONFIG_ENV_VAR",
    "ENV_PREFIX",
    "RESERVED_ENV_VARS",
    "ConfigFileSource",
    "EnvironmentSource",
    "Layer",
    "LoadContext",
    "PathArg",
    "TomlFileSource",
    "UnknownVariableCheck",
    "YamlFileSource",
    "current_context",
    "file_source_for",
]

PathArg = Union[str, "os.PathLike[str]"]
Loc = Tuple[Union[str, int], ...]

ENV_PREFIX = "FASTAPI_MAINTENANCE_"
#: Variables with the settings prefix that are not settings keys: the env backend's default state
#: variable, the config file's path and the command line's admin token.
RESERVED_ENV_VARS = frozenset({DEFAULT_ENV_VAR, CONFIG_ENV_VAR, TOKEN_ENV_VAR})
KEYWORD_LABEL = "keyword argument"
DEFAULT_LABEL = "default"


@dataclass
class Layer:
    """What one source supplied: its raw values and a label per key (a variable name for the environment)."""

    label: str
    values: Dict[str, Any]
    origins: Dict[Loc, str] = field(default_factory=dict)

    def provides(self, loc: Loc) -> bool:
        """Whether this layer sets ``loc``, or a value above it that is not a table (it owns all below)."""
        current: Any = self.values
        for part in loc:
            if not isinstance(current, dict):
                return True
            if part not in current:
                return False
            current = current[part]
        return True

    def label_for(self, loc: Loc) -> str:
        for length in range(len(loc), 0, -1):
            origin = self.origins.get(loc[:length])
            if origin is not None:
                return origin
        below = [origin for key, origin in self.origins.items() if key[: len(loc)] == loc]
        if len(below) == 1:
            return below[0]
        if below:  # several variables set keys inside ``loc``
            names = ", ".join(origin.rsplit(" ", 1)[-1] for origin in below)
            return f"environment variables {names}"
        return self.label


@dataclass
class LoadContext:
    """One load: the config file to read and, once sources ran, each source's layer (highest first)."""

    config_file: Optional[Path]
    config_origin: str = ""
    layers: List[Layer] = field(default_factory=list)
    unknown_env: List[str] = field(default_factory=list)

    @classmethod
    def start(cls, config_file: Optional[PathArg], kwargs: Dict[str, Any]) -> LoadContext:
        choice = choose_config_file(config_file)
        if choice.path is not None:
            parser_for(choice.path)  # fail early on an unsupported suffix
        context = cls(config_file=choice.path, config_origin=choice.describe_origin())
        context.layers.append(Layer(KEYWORD_LABEL, dict(kwargs)))
        return context

    def source_of(self, loc: Loc) -> str:
        """The label of the highest source that set ``loc``, else ``"default"``."""
        for layer in self.layers:
            if layer.provides(loc):
                return layer.label_for(loc)
        return DEFAULT_LABEL

    def backend_set_above(self) -> bool:
        return any(layer.provides(("backend",)) for layer in self.layers)

    def env_backend_var(self) -> str:
        """The state variable of the effective env backend (raw values, before validation)."""
        for layer in self.layers:
            if "backend" not in layer.values:
                continue
            raw = layer.values["backend"]
            try:
                table = backend_from_string(raw) if isinstance(raw, str) else raw
            except ValueError:
                return DEFAULT_ENV_VAR
            if isinstance(table, dict) and table.get("type") == "env":
                return str(table.get("var_name") or DEFAULT_ENV_VAR)
            var_name = getattr(table, "var_name", None)
            return str(var_name) if isinstance(var_name, str) else DEFAULT_ENV_VAR
        return DEFAULT_ENV_VAR


_CURRENT: ContextVar[Optional[LoadContext]] = ContextVar("fastapi_maintenance_settings_load", default=None)


def current_context() -> ContextVar[Optional[LoadContext]]:
    """The context variable holding the load in progress (set by ``MaintenanceSettings.__init__``)."""
    return _CURRENT


def _context() -> LoadContext:
    context = _CURRENT.get()
    if context is None:  # a source used outside MaintenanceSettings.__init__
        context = LoadContext.start(None, {})
    return context


class _RecordingSource(PydanticBaseSettingsSource):
    """A source that reads everything itself and records its layer in the load context."""

    def __init__(self, settings_cls: Type[BaseSettings], context: LoadContext) -> None:
        super().__init__(settings_cls)
        self.context = context

    def get_field_value(self, field: FieldInfo, field_name: str) -> Tuple[Any, str, bool]:
        # Unused: __call__ builds the whole dict at once.
        return None, field_name, False

    def _publish(self, layer: Layer) -> Dict[str, Any]:
        values = dict(layer.values)
        if "backend" in values and self.context.backend_set_above():
            del values["backend"]
        self.context.layers.append(layer)
        return values


def _model_in(annotation: Any) -> Optional[Type[BaseModel]]:
    """The model class inside ``Optional[Model]`` / ``Model``, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) is Union:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (list, List)


class EnvironmentSource(_RecordingSource):
    """``FASTAPI_MAINTENANCE_<KEY>`` variables (case-insensitive); nested keys with ``__``.

    Lists and tables are JSON (``FASTAPI_MAINTENANCE_EXEMPT_PATHS='["/health*"]'``); ``backend`` is a
    backend string or a JSON table; other values are plain text. An empty variable counts as unset.
    A variable with the prefix that names no settings key is collected and reported by
    ``UnknownVariableCheck`` (``FASTAPI_MAINTENANCE_MODE``, ``FASTAPI_MAINTENANCE_CONFIG`` and the env
    backend's own variable are not settings keys and are left alone).
    """

    def __call__(self) -> Dict[str, Any]:
        fields = self.settings_cls.model_fields
        values: Dict[str, Any] = {}
        origins: Dict[Loc, str] = {}
        for name, raw in sorted(os.environ.items()):
            upper = name.upper()
            if not upper.startswith(ENV_PREFIX) or upper in RESERVED_ENV_VARS:
                continue
            path = upper[len(ENV_PREFIX) :].lower().split("__")
            key = path[0]
            if key not in fields:
                self.context.unknown_env.append(name)
                continue
            if raw == "":
                continue
            value = self._decode(name, key, fields[key], raw) if len(path) == 1 else raw
            self._place(values, path, value, name)
            origins[tuple(path)] = f"environment variable {name}"
        return self._publish(Layer("environment", values, origins))

    @staticmethod
    def _decode(name: str, key: str, info: FieldInfo, raw: str) -> Any:
        annotation = info.annotation
        if _is_list(annotation):
            return _json(name, raw, list, '["/health*", "/status"]')
        if key == "backend":
            return (
                _json(name, raw, dict, '{"type": "file", "path": "/srv/state"}')
                if raw.lstrip()[:1] == "{"
                else raw
            )
        if _model_in(annotation) is not None:
            return _json(name, raw, dict, '{"status_code": 503}')
        return raw

    @staticmethod
    def _place(values: Dict[str, Any], path: List[str], value: Any, name: str) -> None:
        target = values
        for part in path[:-1]:
            existing = target.setdefault(part, {})
            if not isinstance(existing, dict):
                raise MaintenanceConfigError(
                    f"environment variable {name} sets a key inside {part!r}, which another "
                    f"{ENV_PREFIX}{part.upper()} variable already sets as a whole; use one or the other"
                )
            target = existing
        last = path[-1]
        if isinstance(target.get(last), dict) and isinstance(value, dict):
            target[last] = {**value, **target[last]}  # the per-key variables win over the JSON table
        else:
            target[last] = value


def _json(name: str, raw: str, kind: type, example: str) -> Any:
    try:
        value = json.loads(raw)
        check_depth(value, f"environment variable {name}")
    except RecursionError:
        raise MaintenanceConfigError(
            f"environment variable {name}: JSON nested more than {MAX_DEPTH} levels deep"
        ) from None
    except ValueError as exc:
        if isinstance(exc, MaintenanceConfigError):
            raise
        shown = redact_url_credentials(raw if len(raw) <= 60 else raw[:57] + "...")
        raise MaintenanceConfigError(
            f"environment variable {name}: expected JSON ({kind.__name__} such as {example}), "
            f"got {shown!r}: {exc}"
        ) from None
    if not isinstance(value, kind):
        raise MaintenanceConfigError(
            f"environment variable {name}: expected a JSON {kind.__name__} such as {example}, "
            f"got a JSON {type(value).__name__}"
        )
    return value


class ConfigFileSource(_RecordingSource):
    """One config file. Relative paths in it (``backend.path``, ``response.template``) resolve against
    the file's folder. A top-level ``$schema`` key (editor hint) is ignored."""

    def __init__(self, settings_cls: Type[BaseSettings], context: LoadContext, path: Path) -> None:
        super().__init__(settings_cls, context)
        self.path = path

    def parse(self, text: str) -> Dict[str, Any]:
        raise NotImplementedError

    def __call__(self) -> Dict[str, Any]:
        data = self.parse(read_text(self.path, self.context.config_origin))
        data.pop("$schema", None)
        self._resolve_relative_paths(data)
        return self._publish(Layer(f"file {self.path}", data))

    def _resolve_relative_paths(self, data: Dict[str, Any]) -> None:
        folder = self.path.parent
        backend = data.get("backend")
        if isinstance(backend, dict) and backend.get("type") == "file":
            data["backend"] = {**backend, "path": self._against(folder, backend.get("path"))}
        response = data.get("response")
        if isinstance(response, dict) and "template" in response:
            data["response"] = {**response, "template": self._against(folder, response["template"])}

    @staticmethod
    def _against(folder: Path, value: Any) -> Any:
        if isinstance(value, str) and value and not Path(value).is_absolute():
            return str(folder / value)
        return value


class TomlFileSource(ConfigFileSource):
    def parse(self, text: str) -> Dict[str, Any]:
        return parse_toml(text, self.path)


class YamlFileSource(ConfigFileSource):
    def parse(self, text: str) -> Dict[str, Any]:
        return parse_yaml(text, self.path)


def file_source_for(settings_cls: Type[BaseSettings], context: LoadContext, path: Path) -> ConfigFileSource:
    source_class = TomlFileSource if parser_for(path) is parse_toml else YamlFileSource
    return source_class(settings_cls, context, path)


class UnknownVariableCheck(_RecordingSource):
    """Runs last and supplies nothing: reports ``FASTAPI_MAINTENANCE_*`` variables that name no key.

    It runs after the file was read, so the env backend's own variable (which may be set in the
    file, e.g. ``backend = "env:FASTAPI_MAINTENANCE_FLAG"``) is known and allowed.
    """

    def __call__(self) -> Dict[str, Any]:
        allowed = self.context.env_backend_var().upper()
        unknown = [name for name in self.context.unknown_env if name.upper() != allowed]
        if unknown:
            raise MaintenanceConfigError(_unknown_variables_message(unknown, self.settings_cls))
        return {}


def _unknown_variables_message(names: List[str], settings_cls: Type[BaseSettings]) -> str:
    import difflib

    keys = list(settings_cls.model_fields)
    variables = [f"{ENV_PREFIX}{key.upper()}" for key in keys]
    parts = []
    for name in names:
        hint = difflib.get_close_matches(name.upper(), variables, n=1, cutoff=0.75)
        parts.append(f"{name} (did you mean {hint[0]}?)" if hint else name)
    return (
        f"Unknown environment variable{'s' if len(names) > 1 else ''} {', '.join(parts)}: "
        f"no settings key of that name. Settings variables are {ENV_PREFIX}<KEY> for the keys "
        f"{', '.join(keys)} (nested keys with '__', e.g. {ENV_PREFIX}RESPONSE__STATUS_CODE); "
        f"{DEFAULT_ENV_VAR} holds the env backend's state and {CONFIG_ENV_VAR} names the config file."
    )


def build_sources(
    settings_cls: Type[BaseSettings], init_settings: PydanticBaseSettingsSource
) -> Tuple[PydanticBaseSettingsSource, ...]:
    """The sources in order, highest first (``settings_customise_sources`` returns these)."""
    context = _context()
    sources: List[PydanticBaseSettingsSource] = [init_settings, EnvironmentSource(settings_cls, context)]
    if context.config_file is not None:
        sources.append(file_source_for(settings_cls, context, context.config_file))
    sources.append(UnknownVariableCheck(settings_cls, context))
    return tuple(sources)
