"""MJML email: compile once per template version (MRML), personalise per partner (fast, safe)."""

from __future__ import annotations

import bisect
import html
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal, TypeVar
from urllib.parse import quote, urlsplit

from ._errors import AssetError, TemplateError
from ._model import BrandKit, RenderedEmail
from ._text import Record, brand_context

MAX_MJML_CHARS = 2_000_000
MAX_VALUE_CHARS = 10_000
# MRML (Rust) recurses once per nesting level with large frames (about 4 KB per mj-wrapper)
# and has no depth limit of its own: a few thousand levels overflow a thread's stack and kill
# the whole process (SIGSEGV), which no exception handler can catch. Real emails nest about
# 10 MJML levels and 20 HTML levels; 64 leaves room and costs well under a megabyte of stack.
MAX_DEPTH = 64
MAX_ELEMENTS = 20_000
# Compiled on a thread of its own with a known stack, so the depth bound keeps its margin
# whatever thread the caller runs on (gunicorn's gthread and Celery threads use smaller ones).
COMPILE_STACK_BYTES = 32 * 1024 * 1024
_STACK_LOCK = threading.Lock()

T = TypeVar("T")
SlotKind = Literal["text", "attr", "url", "url-part", "forbidden"]

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
_INCLUDE = re.compile(r"<\s*mj-include\b", re.IGNORECASE)
# Opening and closing tags are found separately and paired in one pass: a lazy ".*?" up to
# a closing tag would rescan the rest of the document for every unclosed opening tag.
_BLOCK_TAG = re.compile(
    r"<\s*(/?)\s*(mj-style|mj-html-attributes)\b([^<>]{0,2000}?)(/?)\s*>", re.IGNORECASE
)
_INLINE_ATTR = re.compile(r"""\binline\s*=\s*["']?inline\b""", re.IGNORECASE)
MAX_PLACEHOLDERS = 10_000
MAX_TAG_CHARS = 8192
_URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "background", "poster", "cite", "formaction", "xlink:href"}
)
_BARE_DOMAIN = re.compile(
    r"^(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?:[/?#]\S*)?$"
)
_URL_SAFE = ":/?#[]@!$&()*+,;=%~-._"
_SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_BRAND_ROOTS = frozenset({"partner", "partner_name", "contact", "brand", "tracking_url"})


@dataclass(frozen=True)
class _Slot:
    name: str
    raw: str
    kind: SlotKind


@dataclass(frozen=True)
class _Split:
    parts: tuple[str, ...]
    slots: tuple[_Slot, ...]


@dataclass(frozen=True)
class CompiledEmail:
    """A compiled template: HTML and plain text with their ``{{ name }}`` placeholders intact.

    Store it per template version; ``personalise_email`` fills it per partner.
    """

    html: str
    text: str
    _html: _Split
    _text: _Split

    @classmethod
    def from_parts(cls, html: str, text: str) -> CompiledEmail:
        """Rebuild from a stored ``.html`` and ``.text`` (what the app keeps per version).

        Only the placeholder analysis is redone (linear, about a millisecond), not MJML.
        """
        if not isinstance(html, str) or not isinstance(text, str):
            raise TemplateError("A stored compiled email must be text.")
        return cls(html, text, _split_html(html), _split_text(text))


def _preprocess(source: str) -> tuple[str, str]:
    if _INCLUDE.search(source):
        raise TemplateError(
            "The MJML template uses mj-include, which is not allowed: templates cannot read "
            "other files. Paste the included content into the template instead."
        )
    out: list[str] = []
    inline_css: list[str] = []
    last = 0
    opened: re.Match[str] | None = None
    for tag in _BLOCK_TAG.finditer(source):
        closing, name, self_closing = tag.group(1), tag.group(2).lower(), tag.group(4)
        if opened is None:
            if closing:
                continue
            if self_closing:
                if name == "mj-html-attributes":
                    out.append(source[last : tag.start()])
                    last = tag.end()
                continue
            opened = tag
            continue
        if not closing or name != opened.group(2).lower():
            continue
        body = source[opened.end() : tag.start()]
        if name == "mj-html-attributes":
            # MRML refuses mj-html-attributes; dropping it loses only extra HTML attributes.
            replacement = ""
        elif _INLINE_ATTR.search(opened.group(3)):
            inline_css.append(body)
            # Media queries cannot be inlined; a plain mj-style keeps them in the <head>.
            replacement = f"<mj-style>{body}</mj-style>" if "@media" in body else ""
        else:
            replacement = source[opened.start() : tag.end()]
        out.append(source[last : opened.start()])
        out.append(replacement)
        last = tag.end()
        opened = None
    out.append(source[last:])
    return "".join(out), "\n".join(inline_css)


# Where a comment, CDATA section or tag starts; a tag's rest is read by _TAG_REST, which
# skips quoted attribute values (a "</div>" inside one closes nothing).
_MARKUP_START = re.compile(r"<!--|<!\[CDATA\[|<(/?)([A-Za-z][^\s/<>\"'=]*)")
_TAG_REST = re.compile(r"""(?:[^"'<>]|"[^"]*"|'[^']*')*>""")
# Their content is text to the parser: tags inside them are not elements.
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "mj-style"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr", "mj-breakpoint", "mj-divider", "mj-image", "mj-spacer", "mj-all"}
)  # fmt: skip


def check_markup(source: str) -> None:
    """Refuse markup nested deeper than MAX_DEPTH, with more than MAX_ELEMENTS elements, or
    with a tag that never ends, before any native parser sees it. Linear in its size."""
    stack: list[str] = []
    elements = 0
    position = 0
    while (start := _MARKUP_START.search(source, position)) is not None:
        opener = start.group(0)
        if opener in ("<!--", "<![CDATA["):
            end = source.find("-->" if opener == "<!--" else "]]>", start.end())
            if end == -1:
                return  # the rest is a comment: no more elements
            position = end + 3
            continue
        rest = _TAG_REST.match(source, start.end())
        if rest is None:
            raise TemplateError(
                f"The email template has a <{start.group(2)[:40]}> tag that is never closed "
                "with '>' (or has an unclosed quote)."
            )
        position = rest.end()
        name = start.group(2).lower()
        if start.group(1):
            # MRML closes the innermost open element whatever the closing tag's name
            # ("<div><span></div>" is one level deep after it), so the count does the same.
            if stack:
                stack.pop()
            continue
        elements += 1
        if elements > MAX_ELEMENTS:
            raise TemplateError(
                f"The email template has more than {MAX_ELEMENTS} elements; "
                "split it into smaller emails."
            )
        if rest.group(0)[:-1].rstrip().endswith("/") or name in _VOID:
            continue
        if name in _RAW_TEXT:
            end_tag = re.compile(rf"</\s*{re.escape(name)}\s*>", re.IGNORECASE).search(
                source, position
            )
            position = end_tag.end() if end_tag else len(source)
            continue
        stack.append(name)
        if len(stack) > MAX_DEPTH:
            raise TemplateError(
                f"The email template nests elements more than {MAX_DEPTH} levels deep "
                f"(at <{name[:40]}>); simplify its structure."
            )


def _on_large_stack(call: Callable[[], T]) -> T:
    """``call()`` on a thread with COMPILE_STACK_BYTES of stack; its exception is re-raised."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as exc:  # a Rust panic surfaces as BaseException
            failure.append(exc)

    with _STACK_LOCK:
        previous = threading.stack_size(COMPILE_STACK_BYTES)
        try:
            worker = threading.Thread(target=run, name="email-compile", daemon=True)
            worker.start()
        finally:
            threading.stack_size(previous)
    worker.join()
    if failure:
        raise failure[0]
    return result[0]


def _mjml_error(exc: BaseException) -> TemplateError:
    return TemplateError(f"The MJML template could not be compiled: {exc}")


def compile_email(source: str) -> CompiledEmail:
    """Compile MJML to HTML and plain text once; raises TemplateError on a bad template."""
    if not isinstance(source, str):
        raise TemplateError("The MJML template must be text.")
    if len(source) > MAX_MJML_CHARS:
        raise TemplateError(
            f"The MJML template is too large ({len(source)} characters, limit {MAX_MJML_CHARS})."
        )
    if "<mjml" not in source.lower():
        raise TemplateError("The template is not MJML: it has no <mjml> root element.")
    check_markup(source)
    prepared, inline_css = _preprocess(source)
    # Imported here so that the PDF and image paths work even where the email extras
    # (mjml-python, css-inline) are not installed yet.
    import css_inline
    import mjml

    try:
        # No include loader is passed, so MRML itself cannot open files either.
        compiled = _on_large_stack(lambda: mjml.mjml2html(prepared, disable_comments=False))
    except Exception as exc:
        raise _mjml_error(exc) from exc
    except BaseException as exc:  # a Rust panic surfaces as BaseException
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise _mjml_error(exc) from exc
    if inline_css:
        # Like MJML's own juice pass: inline only the mj-style inline="inline" CSS and never
        # fetch a stylesheet (css_inline would, by default). keep_at_rules is left off: with
        # it, css_inline 0.23 silently skips extra_css.
        inliner = css_inline.CSSInliner(
            inline_style_tags=False,
            keep_style_tags=True,
            keep_link_tags=True,
            load_remote_stylesheets=False,
            extra_css=inline_css,
        )
        try:
            compiled = _on_large_stack(lambda: inliner.inline(compiled))
        except (css_inline.InlineError, ValueError) as exc:
            raise TemplateError(f"The template's inline CSS could not be applied: {exc}") from exc
    text = html_to_text(compiled)
    return CompiledEmail(compiled, text, _split_html(compiled), _split_text(text))


class _Landmarks:
    """Positions of the markup that decides a placeholder's context, found once per document
    so that classifying many placeholders stays linear in the document's size."""

    def __init__(self, document: str) -> None:
        lowered = document.lower()
        self.document = document

        def positions(pattern: str) -> list[int]:
            return [m.start() for m in re.finditer(pattern, lowered)]

        self.opens = positions("<")
        self.closes = positions(">")
        self.raw_open = positions(r"<(?:style|script)\b")
        self.raw_close = positions(r"</(?:style|script)\b")

    @staticmethod
    def _last_before(items: list[int], position: int) -> int:
        index = bisect.bisect_left(items, position)
        return items[index - 1] if index else -1

    def kind(self, position: int) -> SlotKind:
        if self._last_before(self.raw_open, position) > self._last_before(self.raw_close, position):
            return "forbidden"
        last_open = self._last_before(self.opens, position)
        if last_open <= self._last_before(self.closes, position):
            return "text"
        if self.document.startswith("<!--", last_open):
            return "text"
        if position - last_open > MAX_TAG_CHARS:
            return "forbidden"
        found = _attribute_at(self.document[last_open:position])
        if found is None or not found[1]:
            return "forbidden"  # tag or attribute name, or an unquoted value
        attribute, _, value = found
        attribute = attribute.lower()
        if attribute.startswith("on") or attribute == "style":
            return "forbidden"
        if attribute in _URL_ATTRIBUTES:
            return "url" if not value.strip() else "url-part"
        return "attr"


def _attribute_at(tag: str) -> tuple[str, str, str] | None:
    """For the text of a tag from '<' up to a point inside it: the attribute whose value the
    point is in, as (name, quote, value so far); None if the point is not in a value."""
    n = len(tag)
    i = 1
    while i < n and not tag[i].isspace() and tag[i] not in "/>":
        i += 1
    while i < n:
        while i < n and (tag[i].isspace() or tag[i] == "/"):
            i += 1
        start = i
        while i < n and not tag[i].isspace() and tag[i] not in "=/>":
            i += 1
        name = tag[start:i]
        j = i
        while j < n and tag[j].isspace():
            j += 1
        if j >= n:
            return None
        if tag[j] != "=":
            i = j if j > start else j + 1
            continue
        j += 1
        while j < n and tag[j].isspace():
            j += 1
        if j >= n:
            return name, "", ""
        quote = tag[j]
        if quote in "\"'":
            end = tag.find(quote, j + 1)
            if end == -1:
                return name, quote, tag[j + 1 :]
            i = end + 1
        else:
            k = j
            while k < n and not tag[k].isspace() and tag[k] != ">":
                k += 1
            if k >= n:
                return name, "", tag[j:]
            i = k
    return None


def _split_html(document: str) -> _Split:
    parts: list[str] = []
    slots: list[_Slot] = []
    last = 0
    landmarks: _Landmarks | None = None
    for count, match in enumerate(_PLACEHOLDER.finditer(document), start=1):
        if count > MAX_PLACEHOLDERS:
            raise TemplateError(
                f"The email template has more than {MAX_PLACEHOLDERS} placeholders."
            )
        landmarks = landmarks or _Landmarks(document)
        parts.append(document[last : match.start()])
        slots.append(_Slot(match.group(1), match.group(0), landmarks.kind(match.start())))
        last = match.end()
    parts.append(document[last:])
    return _Split(tuple(parts), tuple(slots))


def _split_text(text: str) -> _Split:
    parts: list[str] = []
    slots: list[_Slot] = []
    last = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(text[last : match.start()])
        slots.append(_Slot(match.group(1), match.group(0), "text"))
        last = match.end()
    parts.append(text[last:])
    return _Split(tuple(parts), tuple(slots))


def _lookup(name: str, values: Mapping[str, object]) -> tuple[bool, object]:
    root, *path = name.split(".")
    if root not in values:
        return False, None
    value: object = values[root]
    for key in path:
        if isinstance(value, Record) and key in value.fields:
            value = value.fields[key]
            continue
        if not isinstance(value, Mapping) or key not in value:
            raise TemplateError(f"The email template uses {{{{ {name} }}}}, which has no value.")
        value = value[key]
    return True, value


def _as_text(name: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TemplateError(
            f"The value for {{{{ {name} }}}} must be text or a number, not {type(value).__name__}."
        )
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        raise TemplateError(f"The value for {{{{ {name} }}}} is too long.")
    return text


def _safe_url(name: str, value: str) -> str:
    # Browsers drop tabs and newlines anywhere in a URL ("java\tscript:"), so do the same
    # before judging the scheme.
    url = re.sub(r"[\t\n\r]", "", value).strip()
    if not url:
        return ""
    if _BARE_DOMAIN.match(url):
        url = "https://" + url
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise TemplateError(f"The value for {{{{ {name} }}}} is not a valid link: {value!r}.")
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError as exc:
        raise TemplateError(f"The value for {{{{ {name} }}}} is not a valid link.") from exc
    if scheme not in _SAFE_SCHEMES:
        raise TemplateError(
            f"The value for {{{{ {name} }}}} must be an http(s), mailto or tel link, not {value!r}."
        )
    # Quotes, angle brackets, spaces and braces are percent-encoded: the link still works
    # and can neither leave its attribute nor look like a placeholder.
    return quote(url, safe=_URL_SAFE)


def _fill(split: _Split, values: Mapping[str, object], *, escape: bool) -> str:
    out = [split.parts[0]]
    for slot, part in zip(split.slots, split.parts[1:], strict=True):
        found, value = _lookup(slot.name, values)
        if not found:
            # Not ours: an ESP merge tag such as {{FirstName}} is left for the sending platform.
            out.append(slot.raw)
        else:
            text = _as_text(slot.name, value)
            if not escape:
                out.append(text)
            elif slot.kind == "forbidden":
                raise TemplateError(
                    f"The email template puts {{{{ {slot.name} }}}} inside a style, script, "
                    "event handler or tag name, where a value cannot be inserted safely."
                )
            elif slot.kind == "url":
                out.append(html.escape(_safe_url(slot.name, text), quote=True))
            elif slot.kind == "url-part":
                out.append(html.escape(quote(text, safe=""), quote=True))
            else:
                out.append(html.escape(text, quote=True))
        out.append(part)
    return "".join(out)


def brand_fields(compiled: CompiledEmail) -> tuple[str, ...]:
    """The partner fields a compiled template uses (``partner_name``, ``contact.phone`` ...),
    each once, in order of first use. None means every partner gets the same email."""
    if not isinstance(compiled, CompiledEmail):
        raise AssetError("compiled must come from compile_email().")
    seen: dict[str, None] = {}
    for slot in (*compiled._html.slots, *compiled._text.slots):
        if slot.name.split(".", 1)[0] in _BRAND_ROOTS:
            seen.setdefault(slot.name, None)
    return tuple(seen)


# A footer block a vendor can paste or append: every contact field of the partner, as links
# where they are links. Empty fields print as nothing (the separators stay, which reads fine).
PARTNER_FOOTER_MJML = """<mj-section padding="16px 0 8px" border-top="1px solid #dddddd">
  <mj-column>
    <mj-image src="{{ brand.logo_url }}" alt="{{ partner_name }}" width="140px" align="left"
      padding-bottom="4px" />
    <mj-text font-size="15px" font-weight="bold" color="#222222" padding-bottom="4px">
      {{ partner_name }}
    </mj-text>
    <mj-text font-size="13px" line-height="20px" color="#444444" padding-top="0">
      {{ contact.name }} <span style="color:#777777">{{ contact.title }}</span><br>
      <a href="tel:{{ contact.phone }}">{{ contact.phone }}</a> ·
      <a href="mailto:{{ contact.email }}">{{ contact.email }}</a><br>
      <a href="{{ contact.website }}">{{ contact.website }}</a><br>
      {{ contact.address }}
    </mj-text>
  </mj-column>
</mj-section>
"""

_BODY_END = re.compile(r"</\s*mj-body\s*>", re.IGNORECASE)


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def has_partner_footer(source: str) -> bool:
    """Whether the template already holds ``PARTNER_FOOTER_MJML`` (appended, or pasted as is)."""
    return _squeezed(PARTNER_FOOTER_MJML) in _squeezed(source)


def append_partner_footer(source: str) -> str:
    """The MJML template with ``PARTNER_FOOTER_MJML`` as its last section."""
    if not isinstance(source, str):
        raise TemplateError("The MJML template must be text.")
    if has_partner_footer(source):
        raise TemplateError("The template already has the standard partner footer.")
    ends = list(_BODY_END.finditer(source))
    if not ends:
        raise TemplateError("The template has no </mj-body> to add the partner footer before.")
    at = ends[-1].start()
    return source[:at] + PARTNER_FOOTER_MJML + source[at:]


def personalise_email(
    compiled: CompiledEmail, brand: BrandKit, context: Mapping[str, object] | None = None
) -> RenderedEmail:
    """Fill the placeholders with the partner's values, HTML-escaped for where they stand."""
    if not isinstance(compiled, CompiledEmail):
        raise AssetError("compiled must come from compile_email().")
    values: dict[str, object] = dict(context or {})
    values.update(brand_context(brand))
    values["tracking_url"] = brand.tracking_url or ""
    return RenderedEmail(
        html=_fill(compiled._html, values, escape=True),
        text=_fill(compiled._text, values, escape=False),
    )


def render_email(
    source: str, brand: BrandKit, context: Mapping[str, object] | None = None
) -> RenderedEmail:
    return personalise_email(compile_email(source), brand, context)


_BLOCK = frozenset(
    {
        "p",
        "div",
        "br",
        "tr",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "blockquote",
        "hr",
        "section",
        "header",
        "footer",
        "center",
    }
)
_SKIP = frozenset({"head", "style", "script", "title", "xml"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skip = 0
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self.chunks.append("\n")
        elif tag == "td":
            self.chunks.append(" ")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt and not self.skip:
                self.chunks.append(f" {alt} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.chunks.append("\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and not self.skip and not href.startswith("#"):
                self.chunks.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.chunks.append(data)


def html_to_text(document: str) -> str:
    """A readable plain-text part: blocks on their own lines, links as 'text (url)'."""
    parser = _TextExtractor()
    parser.feed(document)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.chunks).split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"
