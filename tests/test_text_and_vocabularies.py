"""Unit tests: the Markdown sanitiser and the 5-star openness derivation."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from pilots.text import render_markdown
from pilots.vocabularies import LICENCE_CC_BY, LICENCE_MODELLICENTIE, LICENCE_OTHER, openness


class LiveMarkup(HTMLParser):
    """Collects the elements and attributes a browser would really create from some HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


SAFE_TAGS = {
    "p",
    "a",
    "strong",
    "em",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "h3",
    "blockquote",
    "br",
    "hr",
    "del",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "<a href='https://x' onclick='alert(1)'>x</a>",
        "<iframe src='https://evil.example'></iframe>",
        "![x](https://evil.example/track.png)",
        "<style>body{display:none}</style>",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<svg><script>alert(1)</script></svg>",
        "`<script>` in code",
    ],
)
def test_markdown_renders_script_inert(source):
    for tag, attrs in LiveMarkup(str(render_markdown(source))).tags:
        assert tag in SAFE_TAGS, tag
        assert not any(name.startswith("on") or name in {"style", "src"} for name in attrs), attrs
        if "href" in attrs:
            assert attrs["href"].lower().startswith(("http://", "https://", "mailto:")), attrs


def test_markdown_keeps_useful_formatting():
    html = str(render_markdown("# Titel\n\n**vet** en *schuin*\n\n- een\n- twee\n\n[site](https://stad.gent)"))
    assert "<h3>Titel</h3>" in html  # the page owns h1 and h2
    assert "<strong>vet</strong>" in html and "<em>schuin</em>" in html
    assert "<li>een</li>" in html
    assert '<a href="https://stad.gent" rel="nofollow noopener noreferrer">site</a>' in html


def test_markdown_of_nothing():
    assert render_markdown(None) == "" and render_markdown("") == ""


def _stars(**overrides):
    values = {
        "available_openly": True,
        "url": "https://data.example/x",
        "licence": LICENCE_MODELLICENTIE,
        "file_type": "CSV",
        "standard": None,
    }
    values.update(overrides)
    return openness(**values).stars


@pytest.mark.parametrize(
    "overrides,expected",
    [
        ({"available_openly": False}, 0),
        ({"url": None}, 0),
        ({"licence": LICENCE_OTHER}, 0),
        ({"licence": None}, 0),
        ({"file_type": "PDF"}, 1),
        ({"file_type": None}, 1),
        ({"file_type": "XLSX"}, 2),
        ({"file_type": "CSV"}, 3),
        ({"file_type": "JSON", "licence": LICENCE_CC_BY}, 3),
        ({"file_type": "CSV", "standard": "DATEX II"}, 3),  # a vocabulary needs RDF to link
        ({"file_type": "RDF_TURTLE"}, 4),
        ({"file_type": "JSON_LD", "standard": "DATEX II"}, 5),
        ({"file_type": "JSON_LD", "standard": "   "}, 4),
    ],
)
def test_five_star_derivation(overrides, expected):
    assert _stars(**overrides) == expected


def test_openness_explains_itself():
    result = openness(available_openly=True, url="https://x", licence=LICENCE_MODELLICENTIE, file_type="JSON_LD", standard="OSLO")
    assert result.stars == 5
    assert len(result.reasons) == 5
    assert "OSLO" in result.reasons[-1]
