"""Headers every answer carries for its reader's safety.

Pages allow only this site's own scripts, styles and images and may not be framed by another
site (clickjacking), except the embeddable agenda (``/embed``), which exists to be framed; no
answer may be sniffed into another type; organiser pages, which show drafts and tokens, are
never stored by a browser or a proxy.
"""

from __future__ import annotations

from flask import Flask, Response, request

# The pages load nothing but the site's own files; no inline script or style anywhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The embeddable agenda: the same, but any site may frame it.
EMBED_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "frame-ancestors 'none'", "frame-ancestors *"
)
FRAMEABLE_ENDPOINTS = frozenset({"agenda.embed"})


def register_headers(app: Flask) -> None:
    @app.after_request
    def protect(response: Response) -> Response:
        if response.status_code == 304:  # no body; a stored answer's 304 has its 200's headers
            return response
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if response.mimetype == "text/html":
            if request.endpoint in FRAMEABLE_ENDPOINTS:
                headers.setdefault("Content-Security-Policy", EMBED_CONTENT_SECURITY_POLICY)
            else:
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Frame-Options", "DENY")
        if request.blueprint == "organiser":
            headers["Cache-Control"] = "no-store"
        return response
