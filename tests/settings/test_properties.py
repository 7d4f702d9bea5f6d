"""Hypothesis properties: keyword argument > environment > file > default, key by key; and any valid
settings written out as TOML or YAML load back equal."""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_maintenance.settings import (
    EnvBackendConfig,
    FileBackendConfig,
    MaintenanceSettings,
    MemoryBackendConfig,
    RedisBackendConfig,
    load_settings,
    load_settings_with_sources,
)

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

ZONES = st.sampled_from(
    [
        timezone.utc,
        timezone(timedelta(hours=2)),
        timezone(timedelta(hours=-5, minutes=-30)),
        timezone(timedelta(hours=14)),
    ]
)
DATETIMES = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=ZONES)
SEGMENT = st.text(alphabet="abcxyz019-_.*?", min_size=1, max_size=6)
GLOBS = st.lists(SEGMENT, min_size=0, max_size=4).map(lambda parts: "/" + "/".join(parts)) | st.sampled_from(
    ["/health*", "/admin/**", "/**", "/api/**/status"]
)
IPS = st.one_of(
    st.ip_addresses().map(str),
    st.tuples(st.ip_addresses(v=4), st.integers(0, 32)).map(
        lambda t: str(ipaddress.ip_network(f"{t[0]}/{t[1]}", strict=False))
    ),
    st.tuples(st.ip_addresses(v=6), st.integers(0, 128)).map(
        lambda t: str(ipaddress.ip_network(f"{t[0]}/{t[1]}", strict=False))
    ),
)
# Text that survives every source: no surrogates or NUL (not allowed in environment variables).
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=30)
TOKEN = st.text(alphabet="abcXYZ012-_.!#$%&'*+^`|~", min_size=1, max_size=12)
BACKEND_STRINGS = st.sampled_from(
    ["env", "env:APP_MAINTENANCE", "memory", "file:///srv/app/state", "redis://cache:6379/1", "rediss://c/0"]
)


# --- precedence -------------------------------------------------------------------------------


class Key:
    """One settings key: how to draw a value, write it per source and read it back."""

    def __init__(
        self,
        path: Tuple[str, ...],
        values: st.SearchStrategy[Any],
        env: Callable[[Any], str],
        default: Any,
        read: Optional[Callable[[Any], Any]] = None,
    ) -> None:
        self.path = path
        self.values = values
        self.env = env
        self.default = default
        self.read = read or (lambda value: value)

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def variable(self) -> str:
        return "FASTAPI_MAINTENANCE_" + "__".join(part.upper() for part in self.path)

    def get(self, settings: MaintenanceSettings) -> Any:
        value: Any = settings
        for part in self.path:
            value = getattr(value, part)
        return self.read(value)


def env_bool(value: bool) -> str:
    return "true" if value else "0"


KEYS = [
    Key(("enabled",), st.booleans(), env_bool, None),
    Key(("exempt_docs",), st.booleans(), lambda v: "yes" if v else "off", True),
    Key(("read_only",), st.booleans(), env_bool, False),
    Key(("retry_after",), st.integers(0, 10**9), str, 3600),
    Key(("on_backend_error",), st.sampled_from(["last_known", "open", "closed"]), str, "last_known"),
    Key(("exempt_paths",), st.lists(GLOBS, max_size=3), json.dumps, []),
    Key(("allowed_ips",), st.lists(IPS, max_size=3), json.dumps, []),
    Key(("response", "status_code"), st.integers(400, 599), str, 503),
    Key(("response", "message"), TEXT, str, "Service temporarily unavailable due to maintenance"),
    Key(("backend",), BACKEND_STRINGS, str, EnvBackendConfig()),
]
EXPECTED_BACKEND = {
    "env": EnvBackendConfig(),
    "env:APP_MAINTENANCE": EnvBackendConfig(var_name="APP_MAINTENANCE"),
    "memory": MemoryBackendConfig(),
    "file:///srv/app/state": FileBackendConfig(path=Path("/srv/app/state")),
    "redis://cache:6379/1": RedisBackendConfig(url="redis://cache:6379/1"),
    "rediss://c/0": RedisBackendConfig(url="rediss://c/0"),
}
Layers = Dict[str, Tuple[Optional[Any], Optional[Any], Optional[Any]]]


@st.composite
def layered_values(draw: st.DrawFn) -> Layers:
    """For each key, an optional value in each of keyword argument, environment and file."""
    return {
        key.dotted: tuple(draw(st.none() | key.values) for _ in range(3))  # type: ignore[misc]
        for key in KEYS
    }


def nest(flat: Dict[Tuple[str, ...], Any]) -> Dict[str, Any]:
    tree: Dict[str, Any] = {}
    for path, value in flat.items():
        target = tree
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return tree


@PROPERTY_SETTINGS
@given(layers=layered_values(), suffix=st.sampled_from([".toml", ".yaml"]))
def test_keyword_beats_environment_beats_file_beats_default(
    layers: Layers, suffix: str, tmp_path_factory: pytest.TempPathFactory, writer: Callable[..., Path]
) -> None:
    kwargs = nest({key.path: layers[key.dotted][0] for key in KEYS if layers[key.dotted][0] is not None})
    file_data = nest({key.path: layers[key.dotted][2] for key in KEYS if layers[key.dotted][2] is not None})
    path = writer(tmp_path_factory.mktemp("precedence"), f"m{suffix}", file_data)
    with pytest.MonkeyPatch.context() as patch:
        for key in KEYS:
            env_value = layers[key.dotted][1]
            if env_value is not None:
                patch.setenv(key.variable, key.env(env_value))
        loaded, sources = load_settings_with_sources(path, **kwargs)
    for key in KEYS:
        in_kwargs, in_env, in_file = layers[key.dotted]
        if in_kwargs is not None:
            expected, label = in_kwargs, "keyword argument"
        elif in_env is not None:
            expected, label = in_env, f"environment variable {key.variable}"
        elif in_file is not None:
            expected, label = in_file, f"file {path}"
        else:
            expected, label = key.default, "default"
        if key.dotted == "backend" and label != "default":
            expected = EXPECTED_BACKEND[expected]
        assert key.get(loaded) == expected, key.dotted
        assert sources[key.dotted] == label, key.dotted


# --- round trip through files -----------------------------------------------------------------


@st.composite
def valid_settings(draw: st.DrawFn) -> Dict[str, Any]:
    """Keyword arguments for a valid MaintenanceSettings, every key drawn (or left out)."""
    data: Dict[str, Any] = {}

    def maybe(name: str, strategy: st.SearchStrategy[Any]) -> None:
        if draw(st.booleans()):
            data[name] = draw(strategy)

    maybe("enabled", st.booleans())
    maybe(
        "backend",
        BACKEND_STRINGS
        | st.builds(
            lambda name: {"type": "env", "var_name": name},
            st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True),
        )
        | st.builds(
            lambda name: {"type": "file", "path": f"/var/state/{name}"},
            SEGMENT.filter(lambda s: s not in (".", "..")),
        )
        | st.builds(lambda key: {"type": "redis", "url": "redis://:pw@h:1/2", "key": key}, TEXT),
    )
    maybe("exempt_paths", st.lists(GLOBS, max_size=3))
    maybe("maintenance_paths", st.lists(GLOBS, max_size=3))
    maybe("exempt_docs", st.booleans())
    maybe("retry_after", st.integers(0, 2**40) | DATETIMES)
    maybe(
        "response",
        st.fixed_dictionaries({}, optional={"status_code": st.integers(400, 599), "message": TEXT}),
    )
    maybe("on_backend_error", st.sampled_from(["last_known", "open", "closed"]))
    maybe("read_only", st.booleans())
    maybe("backend_timeout", st.floats(0.001, 60) | st.integers(1, 60))
    maybe("forwarded_header", st.sampled_from(["X-Forwarded-For", "Forwarded", "X-Real-IP"]))
    maybe("allowed_ips", st.lists(IPS, max_size=3))
    maybe("trusted_proxies", st.lists(IPS, max_size=3))
    maybe(
        "bypass",
        st.fixed_dictionaries(
            {
                "secret": TEXT.filter(
                    lambda s: (
                        len(s) >= 16 and s == s.strip() and not any(ord(c) < 32 or c == "\x7f" for c in s)
                    )
                )
                | st.text(alphabet="abc123", min_size=16, max_size=40)
            },
            optional={
                "param": TOKEN,
                "header": TOKEN,
                "cookie": TOKEN,
                "max_age": st.integers(1, 366 * 24 * 3600),
            },
        ),
    )
    windows: List[Dict[str, Any]] = []
    for start, length, message in draw(
        st.lists(st.tuples(DATETIMES, st.integers(1, 10**7), st.none() | TEXT), max_size=3)
    ):
        window: Dict[str, Any] = {"start": start, "end": start + timedelta(seconds=length)}
        if message is not None:
            window["message"] = message
        windows.append(window)
    keep_empty: bool = draw(st.booleans())
    if windows or keep_empty:
        data["windows"] = windows
    return data


def file_data(settings: MaintenanceSettings) -> Dict[str, Any]:
    """The settings as a config file would hold them (no nulls: TOML has none)."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items() if item is not None}
        if isinstance(value, list):
            return [clean(item) for item in value]
        if isinstance(value, Path):
            return str(value)
        return value

    dumped = settings.model_dump()
    if settings.bypass is not None:
        dumped["bypass"]["secret"] = settings.bypass.secret.get_secret_value()
    return dict(clean(dumped))


@PROPERTY_SETTINGS
@given(data=valid_settings())
def test_settings_written_as_toml_and_yaml_load_back_equal(
    data: Dict[str, Any], tmp_path_factory: pytest.TempPathFactory, writer: Callable[..., Path]
) -> None:
    original = load_settings(**data)
    folder = tmp_path_factory.mktemp("roundtrip")
    for name in ("m.toml", "m.yaml"):
        loaded = load_settings(writer(folder, name, file_data(original)))
        assert loaded == original, name
        if original.bypass is not None:
            assert loaded.bypass is not None
            assert loaded.bypass.secret.get_secret_value() == original.bypass.secret.get_secret_value()
