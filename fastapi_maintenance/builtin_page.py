"""The built-in maintenance page for browsers, used when no template is configured.

One self-contained HTML document: inline style and script only (no fonts,
images or scripts from elsewhere, which may be down too), readable on a phone
and in dark mode, and complete without JavaScript. Every value shown is
escaped with ``html.escape``; the Content-Security-Policy allows exactly the
inline style and script by their hashes and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timezone
from html import escape

from .notice import Notice

__all__ = ["CONTENT_SECURITY_POLICY", "PAGE_TITLE", "render_page"]

PAGE_TITLE = "Down for maintenance"

_STYLE = """
:root {
  color-scheme: light dark;
  --bg: #f4f5f7; --card: #ffffff; --text: #1c2128; --muted: #56606d;
  --accent: #b45309; --line: #e1e4e8; --panel: #f4f5f7;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1116; --card: #161b22; --text: #e6edf3; --muted: #9da7b3;
    --accent: #f0a53a; --line: #2b323c; --panel: #0e1116;
  }
}
* { box-sizing: border-box; }
html {
  background: var(--bg); color: var(--text); line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center; padding: 1.5rem; }
main {
  width: 100%; max-width: 34rem; background: var(--card); border: 1px solid var(--line);
  border-radius: 1rem; padding: 2rem 1.75rem; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.08);
}
svg { display: block; color: var(--accent); }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.75rem 0 0.5rem; }
.message { font-size: 1.1rem; margin: 0 0 1.25rem; overflow-wrap: anywhere; white-space: pre-line; }
dl {
  display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1rem; margin: 0 0 1.25rem;
  padding: 1rem 1.25rem; border-radius: 0.75rem; background: var(--panel); border: 1px solid var(--line);
}
dt { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
dd { margin: 0; font-weight: 600; }
#left { font-size: 1.4rem; font-variant-numeric: tabular-nums; }
.note { color: var(--muted); font-size: 0.9rem; margin: 0; }
@media (max-width: 30rem) {
  main { padding: 1.5rem 1.25rem; }
  dl { grid-template-columns: 1fr; }
}
"""

# Counts down from the server's own figure (data-seconds), so a wrong clock on the visitor's machine
# cannot make the countdown wrong; only the end time's display uses the visitor's time zone.
_SCRIPT = """
(function () {
  var end = document.getElementById("end");
  var left = document.getElementById("left");
  if (end) {
    var at = new Date(end.getAttribute("datetime"));
    if (!isNaN(at.getTime())) {
      try {
        end.textContent = at.toLocaleString([], {
          weekday: "short", day: "numeric", month: "short",
          hour: "numeric", minute: "2-digit", timeZoneName: "short"
        });
      } catch (e) {}
    }
  }
  if (!left) return;
  var stop = Date.now() + 1000 * Number(left.getAttribute("data-seconds"));
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var s = Math.max(0, Math.round((stop - Date.now()) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    left.textContent = s > 0 ? (h > 0 ? h + ":" + two(m) : m) + ":" + two(s % 60) : "any moment now";
    if (s > 0) setTimeout(tick, 1000);
  }
  tick();
})();
"""

_ICON = (
    '<svg viewBox="0 0 24 24" width="44" height="44" aria-hidden="true" focusable="false">'
    '<circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="2"/>'
    '<path d="M12 7v5l3.5 2" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>'
    "</svg>"
)


def _source_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {_source_hash(_STYLE)}; script-src {_source_hash(_SCRIPT)}; "
    "base-uri 'none'; form-action 'none'"
)
"""Exactly the page's own inline style and script may run; nothing may be loaded."""


def about(seconds: int) -> str:
    """A rough duration for readers without JavaScript: "about 25 minutes"."""
    if seconds < 60:
        return "less than a minute"
    minutes = -(-seconds // 60)
    if minutes < 90:
        return f"about {minutes} minutes"
    hours = round(seconds / 3600)
    if hours < 48:
        return f"about {hours} hours"
    return f"about {round(seconds / 86400)} days"


def _end_panel(notice: Notice) -> str:
    if notice.until is None:
        return ""
    until = notice.until.astimezone(timezone.utc)
    shown = until.strftime("%a %d %b %Y, %H:%M UTC")
    return (
        "<dl>"
        f'<div><dt>Expected back</dt><dd><time id="end" datetime="{escape(until.isoformat())}">'
        f"{escape(shown)}</time></dd></div>"
        f'<div><dt>Time left</dt><dd><span id="left" role="timer" data-seconds="{notice.retry_after_seconds}">'
        f"{about(notice.retry_after_seconds)}</span></dd></div>"
        "</dl>"
    )


def render_page(notice: Notice) -> str:
    """The page for ``notice``; it carries its script only when there is an end to count down to."""
    script = f"<script>{_SCRIPT}</script>" if notice.until is not None else ""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{PAGE_TITLE}</title>\n"
        f"<style>{_STYLE}</style>\n"
        "</head>\n"
        "<body>\n"
        "<main>\n"
        f"{_ICON}\n"
        f"<h1>{PAGE_TITLE}</h1>\n"
        f'<p class="message">{escape(notice.message)}</p>\n'
        f"{_end_panel(notice)}\n"
        '<p class="note">This page reloads by itself.</p>\n'
        "</main>\n"
        f"{script}\n"
        "</body>\n"
        "</html>\n"
    )
