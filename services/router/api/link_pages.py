"""The small HTML pages of one-click links: a confirmation form, and the outcome."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

from services.router.projection.model import IncidentView

# Scanners and previews must not act, cache or leak the link onwards.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
}
_STYLE = (
    "table{border-collapse:collapse}"
    "td,th{text-align:left;padding:.2rem .6rem .2rem 0;vertical-align:top}"
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:3rem auto;padding:0 1rem}"
    "button{font-size:1.1rem;padding:.6rem 1.4rem;cursor:pointer}"
    ".muted{color:#666}"
)
_VERBS = {"acknowledge": "Acknowledge", "resolve": "Resolve"}


def html_page(title: str, body: str, status: int) -> HTMLResponse:
    document = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f'<meta name=robots content="noindex,nofollow"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers=_HEADERS)


def _incident_lines(view: IncidentView) -> str:
    return (
        f"<p><strong>[{escape(view.priority)}] {escape(view.title)}</strong></p>"
        f"<p class=muted>{escape(view.incident_id)} · {escape(view.status)} · opened "
        f"{escape(view.opened_at.strftime('%Y-%m-%d %H:%M UTC'))}</p>"
    )


def confirmation(view: IncidentView, action: str, form_target: str) -> HTMLResponse:
    verb = _VERBS[action]
    body = (
        f"<h1>{verb} incident?</h1>{_incident_lines(view)}"
        f'<form method=post action="{escape(form_target)}">'
        f"<button type=submit>{verb}</button></form>"
    )
    return html_page(f"{verb} {view.incident_id}", body, 200)


def outcome(view: IncidentView | None, headline: str, detail: str, status: int) -> HTMLResponse:
    lines = _incident_lines(view) if view is not None else ""
    body = f"<h1>{escape(headline)}</h1>{lines}<p>{escape(detail)}</p>"
    return html_page(headline, body, status)
