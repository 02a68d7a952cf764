"""Text zone templates (sandboxed) and fitting text into a box."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import TemplateError as JinjaTemplateError
from jinja2.exceptions import UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ._errors import TemplateError
from ._model import BrandKit

MAX_TEMPLATE_CHARS = 2000
MAX_OUTPUT_CHARS = 2000
LINE_HEIGHT = 1.2
ASCENT = 0.928  # DejaVu Sans, in em
DESCENT = 0.236
ELLIPSIS = "\u2026"
# Smallest text a partner's contact line may print at on paper; past it, text is ellipsised.
MIN_READABLE_PT = 7.0

# Only filters that cannot grow a string without bound: a template is vendor input, and
# the sandbox alone still lets '{{ "x" * 10**9 }}' or chained replace() eat the memory.
_FILTERS = frozenset(
    {"upper", "lower", "title", "capitalize", "trim", "default", "d", "truncate", "string"}
)
_ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Const,
    nodes.Filter,
    nodes.Test,
    nodes.Concat,
    nodes.CondExpr,
    nodes.If,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
)


@functools.cache
def _env() -> ImmutableSandboxedEnvironment:
    # Output goes into PDF text or pixels, never HTML, so escaping would only corrupt "&".
    return ImmutableSandboxedEnvironment(
        autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False
    )


class Record(str):
    """A name that also has fields: ``{{ partner }}`` is the partner's name and
    ``{{ partner.name }}``, ``{{ partner.phone }}`` ... its details, in zone texts, post texts
    and emails alike (templates written before either form keep working)."""

    fields: dict[str, str]

    def __new__(cls, text: str, fields: Mapping[str, str]) -> Record:
        record = super().__new__(cls, text)
        record.fields = dict(fields)
        return record

    def __getattr__(self, key: str) -> str:
        # Only called when str itself has no such attribute; the sandbox keeps "_" names out.
        try:
            return self.fields[key]
        except KeyError:
            raise AttributeError(key) from None


# The one set of variables for zone texts, post texts and emails (``link`` and
# ``unsubscribe_url`` where a post or an email has them).
VARIABLES = (
    "partner.name",
    "partner.email",
    "partner.phone",
    "partner.website",
    "partner.address",
    "contact.name",
    "contact.title",
    "contact.email",
    "contact.phone",
    "contact.website",
    "contact.address",
    "brand.primary_color",
    "brand.logo_url",
    "tracking_url",
    "link",
)


def brand_context(brand: BrandKit) -> dict[str, Any]:
    """The only names a template can reach: plain data, no objects with methods."""
    contact = {
        "name": brand.contact.name,
        "title": brand.contact.title,
        "email": brand.contact.email,
        "phone": brand.contact.phone,
        "website": brand.contact.website,
        "address": brand.contact.address,
    }
    partner = Record(
        brand.partner_name,
        {
            "name": brand.partner_name,
            "email": brand.contact.email,
            "phone": brand.contact.phone,
            "website": brand.contact.website,
            "address": brand.contact.address,
        },
    )
    brand_data = {
        "partner_name": brand.partner_name,
        "name": brand.partner_name,
        "primary_color": brand.primary_color,
        "tracking_url": brand.tracking_url or "",
        "logo_url": brand.logo_url or "",
        "contact": contact,
    }
    return {
        "partner": partner,
        "partner_name": brand.partner_name,
        "contact": contact,
        "brand": brand_data,
        "tracking_url": brand.tracking_url or "",
    }


def _check_nodes(tree: nodes.Node, source: str) -> None:
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, _ALLOWED_NODES):
            raise TemplateError(
                f"The text template {source!r} uses {type(node).__name__}, which zone "
                "templates do not allow: use {{ contact.phone }}-style fields, filters such "
                "as upper/lower/title/default and {% if %}."
            )
        if isinstance(node, nodes.Filter | nodes.Test) and node.name not in _FILTERS | {
            "defined",
            "undefined",
            "none",
            "string",
        }:
            raise TemplateError(
                f"The text template {source!r} uses the filter {node.name!r}, which zone "
                f"templates do not allow (allowed: {', '.join(sorted(_FILTERS))})."
            )


@functools.lru_cache(maxsize=256)
def _compile(source: str) -> Any:
    env = _env()
    try:
        tree = env.parse(source)
    except JinjaTemplateError as exc:
        raise TemplateError(f"The text template {source!r} is not valid: {exc}") from exc
    _check_nodes(tree, source)
    try:
        return env.from_string(source)
    except JinjaTemplateError as exc:
        raise TemplateError(f"The text template {source!r} is not valid: {exc}") from exc


def render_zone_text(source: str, brand: BrandKit) -> str:
    return render_text(source, brand)


def render_text(source: str, brand: BrandKit, extra: Mapping[str, str] | None = None) -> str:
    """A text template (zone text, post text, subject) filled with the partner's variables
    and ``extra`` (``link``); an unknown variable is a TemplateError that names it."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateError(
            f"A text template is limited to {MAX_TEMPLATE_CHARS} characters "
            f"(this one has {len(source)})."
        )
    template = _compile(source)
    try:
        out = str(template.render({**brand_context(brand), **(extra or {})}))
    except UndefinedError as exc:
        raise TemplateError(
            f"The text template {source!r} uses a variable that does not exist ({exc}); "
            f"use: {', '.join(VARIABLES)}."
        ) from exc
    except JinjaTemplateError as exc:
        raise TemplateError(f"The text template {source!r} failed: {exc}") from exc
    except (TypeError, ValueError, AttributeError, LookupError, ArithmeticError) as exc:
        raise TemplateError(f"The text template {source!r} failed: {exc}") from exc
    return out[:MAX_OUTPUT_CHARS]


@dataclass(frozen=True)
class FittedText:
    lines: tuple[str, ...]
    size: float
    line_height: float
    truncated: bool = False  # lines were dropped or ellipsised: not all of the text shows


# A line is broken between words only when that makes the text noticeably larger: a name that
# fits nearly as large on one line stays on one line.
WRAP_GAIN = 1.15


def fit_text(
    text: str,
    width: float,
    height: float,
    max_size: float | None,
    min_size: float,
    measure: Callable[[str, float], float],
    wrap: bool = False,
) -> FittedText:
    """Largest size <= max_size at which the text fits the box; below min_size, ellipsise.

    Without ``wrap``, the text keeps its own lines while they fit; when a line would have to
    shrink to fit the width, it is broken between words instead if that fills the box at a
    clearly larger size (a contact line in a tall box becomes two readable lines, not one
    unreadable one). An explicit ``max_size`` below ``min_size`` is honoured.

    ``measure(text, size)`` must be linear in size (true for one font's advance widths),
    which lets widths be measured once at size 1 and scaled.
    """
    measure = _linear_memo(measure)
    paragraphs = [" ".join(line.split()) for line in text.replace("\r", "").split("\n")]
    paragraphs = [p for p in paragraphs if p] or [""]
    if max_size is not None:
        min_size = min(min_size, max_size * 0.98)
    if wrap:
        return _fit_wrapped(paragraphs, width, height, max_size, min_size, measure)
    lines = paragraphs
    ceiling = height / (len(lines) * LINE_HEIGHT)
    roomy = min(max_size, ceiling) if max_size is not None else ceiling
    size = roomy
    widest = max(measure(line, 1.0) for line in lines)
    if widest > 0:
        size = min(size, width / widest)
    # Rounding in the rasteriser and hinting can add a fraction of a point.
    size *= 0.98
    if size < roomy * 0.98 and any(" " in line for line in lines):
        wrapped = _fit_wrapped(paragraphs, width, height, max_size, min_size, measure)
        if not wrapped.truncated and (size < min_size or wrapped.size >= size * WRAP_GAIN):
            return wrapped
        if size < min_size:
            return wrapped  # cut either way: the wrapped cut shows more of the text
    if size >= min_size:
        return FittedText(tuple(lines), size, size * LINE_HEIGHT)
    return _cut(lines, width, height, min_size, measure)


def _linear_memo(measure: Callable[[str, float], float]) -> Callable[[str, float], float]:
    """``measure`` with each string measured once: the size search re-wraps the same words
    dozens of times, and a width at one size gives every other by scaling."""
    widths: dict[str, float] = {}

    def memo(text: str, size: float) -> float:
        width = widths.get(text)
        if width is None:
            width = widths[text] = measure(text, 1.0)
        return width * size

    return memo


def _cut(
    lines: list[str],
    width: float,
    height: float,
    min_size: float,
    measure: Callable[[str, float], float],
) -> FittedText:
    """At the smallest size: keep the lines that fit in height, ellipsise what is cut.

    Cut text prints at ``min_size``, never below it, while its letters fit the box: the
    spacing between lines gives way first. Only a box lower than one line of letters at
    ``min_size`` gets smaller text.
    """
    capacity = max(1, int(height // (min_size * LINE_HEIGHT)))
    dropped = len(lines) > capacity
    if dropped:
        lines = [*lines[: capacity - 1], lines[capacity - 1] + ELLIPSIS]
    count = len(lines)
    size = min(min_size, height / (count * LINE_HEIGHT) * 0.98)
    line_height = size * LINE_HEIGHT
    if size < min_size and count * (ASCENT + DESCENT) * min_size <= height:
        size, line_height = min_size, height / count
    elif size < min_size:
        size = height / (count * (ASCENT + DESCENT)) * 0.98
        line_height = height / count
    fitted = tuple(_ellipsise(line, width * 0.98, size, measure) for line in lines)
    truncated = dropped or fitted != tuple(lines)
    return FittedText(fitted, size, line_height, truncated)


def _wrap_lines(
    paragraphs: list[str], width: float, size: float, measure: Callable[[str, float], float]
) -> list[str]:
    space = measure(" ", 1.0) * size
    lines: list[str] = []
    for paragraph in paragraphs:
        current: list[str] = []
        used = 0.0
        for word in paragraph.split(" "):
            extent = measure(word, 1.0) * size
            if current and used + space + extent > width:
                lines.append(" ".join(current))
                current, used = [word], extent
            else:
                used += (space if current else 0.0) + extent
                current.append(word)
        lines.append(" ".join(current))
    return lines


def _fit_wrapped(
    paragraphs: list[str],
    width: float,
    height: float,
    max_size: float | None,
    min_size: float,
    measure: Callable[[str, float], float],
) -> FittedText:
    usable = width * 0.98

    def fits(size: float) -> list[str] | None:
        lines = _wrap_lines(paragraphs, usable, size, measure)
        if len(lines) * LINE_HEIGHT * size > height:
            return None
        # Wrapping keeps lines of several words within the width; only a word alone on its
        # line can be wider than the box.
        if any(" " not in line and measure(line, size) > usable for line in lines):
            return None
        return lines

    top = min(max_size, height / LINE_HEIGHT) if max_size is not None else height / LINE_HEIGHT
    top *= 0.98
    best = fits(top)
    if best is not None:
        return FittedText(tuple(best), top, top * LINE_HEIGHT)
    low, high = min_size, top
    found: tuple[float, list[str]] | None = None
    if low < high and (lines := fits(low)) is not None:
        found = (low, lines)
        # Twenty halvings pin the size to within a millionth of the range.
        for _ in range(20):
            middle = (low + high) / 2
            attempt = fits(middle)
            if attempt is not None:
                found, low = (middle, attempt), middle
            else:
                high = middle
    if found is not None:
        size, lines = found
        return FittedText(tuple(lines), size, size * LINE_HEIGHT)
    return _cut(
        _wrap_lines(paragraphs, usable, min_size, measure), width, height, min_size, measure
    )


def _ellipsise(line: str, width: float, size: float, measure: Callable[[str, float], float]) -> str:
    if measure(line, size) <= width:
        return line
    lo, hi = 0, len(line)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(line[:mid].rstrip() + ELLIPSIS, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return line[:lo].rstrip() + ELLIPSIS if lo else ""
