"""Organisers' plain text made readable in HTML without letting any markup through.

Everything is escaped first; then http(s) addresses and e-mail addresses become links and
blank lines become paragraphs, single line breaks ``<br>``.  Nothing else is ever interpreted,
so ``<script>``, ``"><img onerror=…>`` and ``javascript:`` reach the page as visible text.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from markupsafe import Markup, escape

# An address starts at http(s):// and runs to whitespace or a character that cannot be in an
# unquoted URL in prose; trailing punctuation is handed back to the sentence below.
_LINK = re.compile(
    r"(?P<url>\bhttps?://[^\s<>\"'`]+)"
    r"|(?P<email>\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}\b)"
)
_TRAILING = ".,;:!?)]}'\""
_PARAGRAPH = re.compile(r"\n[ \t]*\n+")


def safe_url(value: object) -> str | None:
    """The address itself when it is an absolute http(s) URL with a host, else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ord(char) < 33 for char in text):
        return None
    return text


def _split_trailing(url: str) -> tuple[str, str]:
    """Keep sentence punctuation out of a link, but keep balanced brackets in it."""
    tail = ""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        tail = url[-1] + tail
        url = url[:-1]
    return url, tail


def _link(href: str, text: str) -> Markup:
    return Markup('<a href="{}" rel="nofollow noopener">{}</a>').format(href, text)


def linkify_line(text: str) -> Markup:
    """Escape one run of text and turn its addresses into links."""
    out: list[Markup | str] = []
    position = 0
    for match in _LINK.finditer(text):
        out.append(escape(text[position : match.start()]))
        if match.group("url"):
            url, tail = _split_trailing(match.group("url"))
            href = safe_url(url)
            out.append(_link(href, url) if href else escape(url))
            out.append(escape(tail))
        else:
            email = match.group("email")
            out.append(_link("mailto:" + email, email))
        position = match.end()
    out.append(escape(text[position:]))
    return Markup("").join(out)


def linkify(text: object) -> Markup:
    """A description as inline HTML: links made, line breaks kept (no paragraphs)."""
    if not text:
        return Markup("")
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return Markup("<br>\n").join(linkify_line(line) for line in lines)


def paragraphs(text: object) -> Markup:
    """A description as paragraphs: blank lines split them, single breaks become ``<br>``."""
    if not text:
        return Markup("")
    normalised = str(text).replace("\r\n", "\n").replace("\r", "\n").strip()
    return Markup("\n").join(
        Markup("<p>{}</p>").format(linkify(block)) for block in _PARAGRAPH.split(normalised)
    )
