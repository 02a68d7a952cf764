"""The one exception family the engine raises for bad input."""

from __future__ import annotations


class AssetError(ValueError):
    """Input the engine cannot turn into an asset; the message is meant for a person."""


class InvalidPdfError(AssetError):
    """The template is not a readable PDF (empty, truncated, damaged, not a PDF)."""


class EncryptedPdfError(InvalidPdfError):
    """The PDF is encrypted; the engine never guesses or removes passwords."""


class InvalidImageError(AssetError):
    """A logo or image template that is not an allowed, sane image."""


class InvalidZoneError(AssetError):
    """A zone that cannot be placed (outside the page, bad colour, bad option)."""


class TemplateError(AssetError):
    """A text or email template that fails to compile or render."""
