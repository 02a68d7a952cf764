"""MJML email: compile once, personalise per partner, never let partner values inject HTML."""

from __future__ import annotations

import contextlib
import html
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from asset_engine import (
    AssetError,
    BrandKit,
    Contact,
    TemplateError,
    compile_email,
    personalise_email,
    render_email,
)
from tests.requirements import CORPUS, corpus_params

from .engine_helpers import make_brand

SIMPLE = """<mjml>
  <mj-head>
    <mj-title>Hello {{ partner }}</mj-title>
    <mj-style inline="inline">.promo div { color: #ff0000 !important; }</mj-style>
    <mj-html-attributes>
      <mj-selector path=".promo div">
        <mj-html-attribute name="data-id">42</mj-html-attribute>
      </mj-selector>
    </mj-html-attributes>
  </mj-head>
  <mj-body>
    <mj-section><mj-column>
      <mj-text css-class="promo">Offer from {{ partner }}, call {{ contact.phone }}.</mj-text>
      <mj-button href="{{ tracking_url }}">Book a demo</mj-button>
      <mj-button href="https://vendor.test/p?ref={{ partner }}">Partner page</mj-button>
      <mj-text>
        <a href="{{ contact.website }}" title="{{ contact.name }}">Site</a> {{FirstName}}
      </mj-text>
      <mj-text>Code: {{ offer.code }}</mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>"""

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "</title><script>alert(1)</script>",
    "{{ contact.phone }}",
]


def _tags(document: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collector().feed(document)
    return found


def test_render_email_fills_brand_and_context_values(brand: BrandKit) -> None:
    result = render_email(SIMPLE, brand, {"offer": {"code": "SPRING-24"}})
    assert "Offer from Acme Partners, call +1 555 0100." in result.html
    assert 'href="https://cobrand.test/t/abc123"' in result.html
    assert 'href="https://vendor.test/p?ref=Acme%20Partners"' in result.html
    assert 'href="https://acme.test"' in result.html  # bare domain made a link
    assert "Code: SPRING-24" in result.html
    assert "{{FirstName}}" in result.html  # an ESP merge tag is left for the ESP
    assert "<title>Hello Acme Partners</title>" in result.html
    assert "Offer from Acme Partners" in result.text
    assert "Book a demo (https://cobrand.test/t/abc123)" in result.text
    assert "<" not in result.text.replace("<script>", "")


def test_mj_style_inline_is_inlined_and_html_attributes_dropped(brand: BrandKit) -> None:
    compiled = compile_email(SIMPLE)
    promo = re.search(r'class="promo[^"]*".*?<div style="([^"]*)"', compiled.html, re.DOTALL)
    assert promo is not None and "#ff0000" in promo.group(1)
    assert "mj-html-attributes" not in compiled.html


@pytest.mark.parametrize("value", HOSTILE)
def test_partner_values_cannot_inject_html(value: str) -> None:
    kit = make_brand(
        partner_name=value,
        contact=Contact(name=value, phone=value, website="https://acme.test/" + value),
    )
    result = render_email(SIMPLE, kit, {"offer": {"code": value}})
    assert "<script>alert" not in result.html
    assert "<img src=x" not in result.html
    for tag, attrs in _tags(result.html):
        assert tag not in ("script", "img") or not any(v and "alert" in v for _, v in attrs), (
            tag,
            attrs,
        )
        for name, _ in attrs:
            assert not name.startswith("on"), (tag, attrs)
    assert html.escape(value, quote=True) in result.html or "%" in result.html
    # A value that looks like a placeholder is not substituted a second time.
    if value == "{{ contact.phone }}":
        assert "{{ contact.phone }}" in html.unescape(result.html)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
    ],
)
def test_only_web_mail_and_tel_links_are_accepted(url: str) -> None:
    kit = make_brand(tracking_url=url)
    with pytest.raises(TemplateError, match="tracking_url"):
        render_email(SIMPLE, kit, {"offer": {"code": "x"}})


@pytest.mark.parametrize(
    ("url", "href"),
    [
        ("https://a.test/x?y=1&z=2", "https://a.test/x?y=1&amp;z=2"),
        ("mailto:a@b.test", "mailto:a@b.test"),
        ("tel:+15550100", "tel:+15550100"),
        ('https://x.test/"onmouseover="alert(1)', "https://x.test/%22onmouseover=%22alert(1)"),
        ("https://x.test/a b'<c>", "https://x.test/a%20b%27%3Cc%3E"),
    ],
)
def test_safe_links_are_kept_and_encoded(url: str, href: str) -> None:
    result = render_email(SIMPLE, make_brand(tracking_url=url), {"offer": {"code": "x"}})
    assert f'href="{href}"' in result.html


@pytest.mark.parametrize(
    "source",
    [
        '<mjml><mj-body><mj-include path="/etc/passwd" /></mj-body></mjml>',
        '<mjml><mj-head><mj-include path="/etc/passwd" type="css" /></mj-head>'
        "<mj-body></mj-body></mjml>",
        '<mjml><mj-body><MJ-INCLUDE path="../../../../etc/passwd"/></mj-body></mjml>',
    ],
)
def test_mj_include_is_refused(source: str, brand: BrandKit) -> None:
    with pytest.raises(TemplateError, match="mj-include") as info:
        render_email(source, brand)
    assert "root:" not in str(info.value)


def test_values_in_unsafe_places_are_refused(brand: BrandKit) -> None:
    source = (
        "<mjml><mj-head><mj-style>.a { color: {{ brand.primary_color }} }</mj-style></mj-head>"
        "<mj-body><mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section>"
        "</mj-body></mjml>"
    )
    with pytest.raises(TemplateError, match="style"):
        render_email(source, brand)


def test_bad_mjml_is_a_template_error(brand: BrandKit) -> None:
    with pytest.raises(AssetError):
        render_email("<p>not mjml</p>", brand)
    with pytest.raises(TemplateError, match="compiled"):
        render_email("<mjml><mj-body><mj-section><mj-column></mj-body></mjml>", brand)


def test_personalisation_of_a_compiled_template_is_fast(brand: BrandKit) -> None:
    compiled = compile_email(SIMPLE)
    start = time.perf_counter()
    for _ in range(100):
        personalise_email(compiled, brand, {"offer": {"code": "x"}})
    assert (time.perf_counter() - start) / 100 < 0.005


MJML_DIR = CORPUS / "mjml"


class _VisibleText(HTMLParser):
    """Text a reader sees: in MJML, the content of the text-bearing components."""

    CONTENT = frozenset(
        {"mj-text", "mj-button", "mj-navbar-link", "mj-social-element", "mj-table", "mj-raw"}
    )

    def __init__(self, mjml_source: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.mjml_source = mjml_source
        self.depth = 0
        self.skip = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head", "mj-head", "title", "mj-style"):
            self.skip += 1
        if tag in self.CONTENT:
            self.depth += 1
        self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "mj-head", "title", "mj-style"):
            self.skip = max(0, self.skip - 1)
        if tag in self.CONTENT:
            self.depth = max(0, self.depth - 1)
        self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip and (self.depth or not self.mjml_source):
            self.chunks.append(data)

    def strings(self) -> list[str]:
        return [" ".join(c.split()) for c in "".join(self.chunks).split("\n") if c.strip()]


def _visible(source: str, mjml_source: bool) -> _VisibleText:
    parser = _VisibleText(mjml_source)
    parser.feed(source)
    parser.close()
    return parser


@pytest.mark.parametrize("path", corpus_params(MJML_DIR, "*.mjml"))
def test_corpus_template_renders_with_all_its_content(path: Path, brand: BrandKit) -> None:
    source = path.read_text(encoding="utf-8")
    result = render_email(source, brand)
    assert result.html.lstrip().lower().startswith("<!doctype html")
    assert result.text.strip()
    rendered = " ".join(" ".join(_visible(result.html, mjml_source=False).strings()).split())
    # Strings that start with "<" are conditional-comment markup inside mj-raw, not text.
    expected = [s for s in _visible(source, mjml_source=True).strings() if not s.startswith("<")]
    missing = [s for s in expected if s not in rendered]
    assert not missing, missing[:5]


def _section(body: str) -> str:
    return f"<mjml><mj-body><mj-section><mj-column>{body}</mj-column></mj-section></mj-body></mjml>"


HOSTILE_TEMPLATES = {
    "unclosed-styles": "<mjml><mj-head>" + "<mj-style inline='inline'>x" * 100_000,
    "many-placeholders": _section("<mj-text>" + "{{ partner }} " * 20_000 + "</mj-text>"),
    "long-tag": _section('<mj-raw><a title="' + "{{ partner }}" * 3000 + '">x</a></mj-raw>'),
    "unclosed-placeholders": _section("<mj-text>" + "{{ a" * 200_000 + "</mj-text>"),
}


@pytest.mark.parametrize("source", HOSTILE_TEMPLATES.values(), ids=HOSTILE_TEMPLATES.keys())
def test_hostile_templates_finish_quickly(source: str, brand: BrandKit) -> None:
    start = time.perf_counter()
    with contextlib.suppress(AssetError):
        render_email(source, brand)
    assert time.perf_counter() - start < 5.0


def test_placeholders_are_classified_by_context(brand: BrandKit) -> None:
    for unsafe in (
        '<div style="color: {{ brand.primary_color }}">x</div>',
        "<div onclick='{{ partner }}'>x</div>",
        "<script>var p = '{{ partner }}';</script>",
    ):
        with pytest.raises(TemplateError, match="inside a style"):
            render_email(_section(f"<mj-raw>{unsafe}</mj-raw>"), brand)
    ok = _section(
        "<mj-raw><a href='{{ tracking_url }}' data-x=\"{{ partner }}\">"
        "<img alt='{{ partner }}' src='https://x.test/{{ partner }}.png'></a></mj-raw>"
    )
    result = render_email(ok, brand).html
    # MRML re-quotes attributes with double quotes.
    assert 'href="https://cobrand.test/t/abc123"' in result
    assert 'data-x="Acme Partners"' in result
    assert 'src="https://x.test/Acme%20Partners.png"' in result
    assert 'alt="Acme Partners"' in result


def test_compiled_email_can_be_stored_and_rebuilt(brand: BrandKit) -> None:
    from asset_engine import CompiledEmail

    compiled = compile_email(SIMPLE)
    rebuilt = CompiledEmail.from_parts(compiled.html, compiled.text)
    context = {"offer": {"code": "X1"}}
    assert personalise_email(rebuilt, brand, context) == personalise_email(compiled, brand, context)
