"""Safe rendering of organisers' text: everything escaped, only http(s) and e-mail addresses
linked, blank lines as paragraphs."""

from __future__ import annotations

import pytest

from calendar_service.web.richtext import linkify, paragraphs, safe_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('"><img src=x onerror=alert(1)>', "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        (
            "see https://example.org/x.",
            'see <a href="https://example.org/x" '
            'rel="nofollow noopener">https://example.org/x</a>.',
        ),
        (
            "(https://example.org/wiki/A_(b))",
            '(<a href="https://example.org/wiki/A_(b)" '
            'rel="nofollow noopener">https://example.org/wiki/A_(b)'
            "</a>)",
        ),
        (
            'https://x.org/"onmouseover="alert(1)',
            '<a href="https://x.org/" rel="nofollow noopener">'
            "https://x.org/</a>&#34;onmouseover=&#34;alert(1)",
        ),
        (
            "http://a.org?q=<b>",
            '<a href="http://a.org?q=" rel="nofollow noopener">http://a.org?q=</a>&lt;b&gt;',
        ),
        ("line one\nline two", "line one<br>\nline two"),
        (
            "mail a.b@example.org!",
            'mail <a href="mailto:a.b@example.org" rel="nofollow noopener">a.b@example.org</a>!',
        ),
        ("https://", "https://"),
    ],
)
def test_linkify_escapes_everything_and_links_only_http_addresses(text: str, expected: str) -> None:
    assert str(linkify(text)) == expected


def test_paragraphs_split_on_blank_lines() -> None:
    assert str(paragraphs("One\ntwo\n\n\nThree <b>")) == (
        "<p>One<br>\ntwo</p>\n<p>Three &lt;b&gt;</p>"
    )
    assert str(paragraphs("")) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.org/a", "https://example.org/a"),
        ("  http://example.org ", "http://example.org"),
        ("javascript:alert(1)", None),
        ("JAVASCRIPT://example.org/%0aalert(1)", None),
        ("data:text/html,<script>", None),
        ("//example.org", None),
        ("https://exa mple.org", None),
        ("https://[::1", None),
        (None, None),
    ],
)
def test_safe_url_keeps_only_absolute_http_addresses(value: object, expected: str | None) -> None:
    assert safe_url(value) == expected
