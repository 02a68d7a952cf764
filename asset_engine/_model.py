"""The engine's value types: frozen, validated on construction."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ._colors import parse_color
from ._errors import InvalidZoneError

ZoneKind = Literal["logo", "text", "qr"]
PageSelector = Literal["all", "first", "last"] | Sequence[int]
HAlign = Literal["left", "center", "right"]
VAlign = Literal["top", "middle", "bottom"]

# A box edge may land a hair outside 0..1 through float arithmetic in the zone editor.
_EPS = 1e-6


@dataclass(frozen=True)
class Contact:
    name: str = ""
    title: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    address: str = ""


@dataclass(frozen=True)
class BrandKit:
    partner_name: str
    logo: bytes
    contact: Contact = field(default_factory=Contact)
    primary_color: str = "#000000"
    logo_on_dark: bytes | None = None
    tracking_url: str | None = None
    # Where an email reader's mail client fetches the logo from (emails cannot embed it).
    logo_url: str | None = None

    def __post_init__(self) -> None:
        parse_color(self.primary_color, "brand primary colour")


@dataclass(frozen=True)
class Zone:
    """A place on a page (or image) that receives part of the partner's branding.

    ``box`` is (x, y, width, height) as fractions of the page as a reader sees it,
    origin at the top-left.  ``align``/``valign`` place a logo, text or QR code inside
    its box; ``on_dark`` picks the brand's ``logo_on_dark`` when there is one; ``wrap`` lets
    text break between words instead of only shrinking.
    """

    kind: ZoneKind
    box: tuple[float, float, float, float]
    pages: PageSelector = "all"
    text: str = ""
    color: str | None = None
    align: HAlign = "left"
    font_size: float | None = None
    valign: VAlign = "middle"
    on_dark: bool = False
    bold: bool = False
    wrap: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("logo", "text", "qr"):
            raise InvalidZoneError(f"Unknown zone kind {self.kind!r}: use 'logo', 'text' or 'qr'.")
        box = tuple(self.box)
        if len(box) != 4 or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in box
        ):
            raise InvalidZoneError(
                f"A zone box must be four numbers (x, y, width, height), got {self.box!r}."
            )
        x, y, w, h = (float(v) for v in box)
        if w <= 0 or h <= 0:
            raise InvalidZoneError(f"A zone box needs a positive width and height, got {box!r}.")
        if x < -_EPS or y < -_EPS or x + w > 1 + _EPS or y + h > 1 + _EPS:
            raise InvalidZoneError(
                f"The zone box {box!r} lies outside the page: x, y, width and height are "
                "fractions of the page and the box must stay within 0..1."
            )
        object.__setattr__(self, "box", (x, y, w, h))
        pages = self.pages
        if isinstance(pages, str):
            if pages not in ("all", "first", "last"):
                raise InvalidZoneError(
                    f"Unknown page selection {pages!r}: use 'all', 'first', 'last' "
                    "or a list of page numbers."
                )
        else:
            numbers = tuple(pages)
            if not numbers or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in numbers
            ):
                raise InvalidZoneError(
                    f"Page numbers start at 1 and must be whole numbers, got {pages!r}."
                )
            object.__setattr__(self, "pages", numbers)
        if self.align not in ("left", "center", "right"):
            raise InvalidZoneError(
                f"Unknown alignment {self.align!r}: use 'left', 'center' or 'right'."
            )
        if self.valign not in ("top", "middle", "bottom"):
            raise InvalidZoneError(
                f"Unknown vertical alignment {self.valign!r}: use 'top', 'middle' or 'bottom'."
            )
        if self.color is not None:
            parse_color(self.color, "zone colour")
        if self.font_size is not None and (
            not isinstance(self.font_size, int | float)
            or not math.isfinite(self.font_size)
            or not 0 < self.font_size <= 1000
        ):
            raise InvalidZoneError(
                f"A font size must be a positive number of points, got {self.font_size!r}."
            )
        if self.kind == "text" and not isinstance(self.text, str):
            raise InvalidZoneError("A text zone's text must be a string template.")

    def applies_to(self, page_number: int, page_count: int) -> bool:
        """Whether this zone brands 1-based ``page_number`` of a ``page_count``-page document."""
        if self.pages == "all":
            return True
        if self.pages == "first":
            return page_number == 1
        if self.pages == "last":
            return page_number == page_count
        assert not isinstance(self.pages, str)
        return page_number in self.pages


@dataclass(frozen=True)
class PageSize:
    """A page as the reader sees it: points, after /Rotate, within the CropBox."""

    width: float
    height: float
    rotation: int = 0


@dataclass(frozen=True)
class RenderedEmail:
    html: str
    text: str
