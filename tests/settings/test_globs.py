"""Path globs: '*' within a segment, '?' one character, '**' across segments; one compiled regex."""

from __future__ import annotations

import pytest

from fastapi_maintenance.errors import MaintenanceConfigError
from fastapi_maintenance.settings import compile_path_globs, load_settings
from fastapi_maintenance.settings.globs import glob_to_regex, validate_glob

TABLE = [
    # pattern, path, matches
    ("/health*", "/health", True),
    ("/health*", "/healthz", True),
    ("/health*", "/health-check", True),
    ("/health*", "/health/live", False),
    ("/health*", "/api/health", False),
    ("/health", "/health", True),
    ("/health", "/health/", False),
    ("/health", "/Health", False),
    ("/admin/**", "/admin", True),
    ("/admin/**", "/admin/", True),
    ("/admin/**", "/admin/users", True),
    ("/admin/**", "/admin/users/7", True),
    ("/admin/**", "/administrator", False),
    ("/admin/**", "/api/admin/users", False),
    ("/api/*/status", "/api/v1/status", True),
    ("/api/*/status", "/api/status", False),
    ("/api/*/status", "/api/v1/x/status", False),
    ("/api/**/status", "/api/status", True),
    ("/api/**/status", "/api/v1/status", True),
    ("/api/**/status", "/api/v1/x/status", True),
    ("/api/**/status", "/api/v1/xstatus", False),
    ("/files/*.json", "/files/a.json", True),
    ("/files/*.json", "/files/a/b.json", False),
    ("/files/*.json", "/files/ajson", False),
    ("/v?/items", "/v1/items", True),
    ("/v?/items", "/v12/items", False),
    ("/v?/items", "/v/items", False),
    ("/static**", "/static/css/site.css", True),
    ("/static**", "/staticfiles", True),
    ("/**", "/", True),
    ("/**", "/anything/at/all", True),
    ("/a+b(c)[d]$", "/a+b(c)[d]$", True),
    ("/a+b(c)[d]$", "/aab(c)d$", False),
    ("/docs", "/docs\n", False),
    ("/x/**", "/x/line\nbreak", True),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), TABLE)
def test_single_glob(pattern: str, path: str, expected: bool) -> None:
    matcher = compile_path_globs([pattern])
    assert matcher is not None
    assert matcher(path) is expected


def test_several_globs_share_one_matcher() -> None:
    matcher = compile_path_globs(["/health*", "/admin/**", "/api/*/status"])
    assert matcher is not None
    assert [matcher(p) for p in ["/healthz", "/admin/x/y", "/api/v2/status", "/api/v2", "/"]] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_empty_list_gives_no_matcher() -> None:
    assert compile_path_globs([]) is None
    assert compile_path_globs(()) is None


def test_matcher_is_one_precompiled_regex() -> None:
    """The matcher closes over one compiled pattern's bound fullmatch: nothing is compiled per call."""
    import re

    matcher = compile_path_globs(["/a*", "/b/**", "/c?"])
    assert matcher is not None
    cells = [cell.cell_contents for cell in matcher.__closure__ or ()]
    patterns = [getattr(cell, "__self__", None) for cell in cells]
    compiled = [p for p in patterns if isinstance(p, re.Pattern)]
    assert len(compiled) == 1
    assert compiled[0].pattern.count("(?:") >= 3  # all three globs in the one regex
    assert [matcher(p) for p in ("/abc", "/b/x/y", "/cd", "/cde")] == [True, True, True, False]


@pytest.mark.parametrize(
    ("pattern", "needle"),
    [
        ("", "empty path glob"),
        ("health", "must start with '/'"),
        ("*/x", "must start with '/'"),
        ("/a\nb", "control characters"),
    ],
)
def test_bad_globs_are_rejected(pattern: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        validate_glob(pattern)
    with pytest.raises(MaintenanceConfigError) as caught:
        load_settings(exempt_paths=["/ok", pattern])
    assert "exempt_paths.1" in str(caught.value)
    assert needle in str(caught.value)
    with pytest.raises(ValueError, match=needle):
        compile_path_globs([pattern])


def test_translation_is_anchored_by_fullmatch() -> None:
    assert glob_to_regex("/admin/**") == "/admin(?:/.*)?"
    assert glob_to_regex("/a*") == "/a[^/]*"
