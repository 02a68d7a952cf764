"""Form errors in the portal's words: a field's label, never its internal name; a choice's
label, never its stored value. The domain's messages are written to follow a field's name
("is required"); the API shows them with the machine names, the portal through this module."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from flask import Flask, flash, get_flashed_messages
from markupsafe import Markup

from prm_domain.errors import DomainError, field_words

SHOWN = 10  # fields named in a summary at most (an import's rows can be many)
FIELD_ERRORS = "field-errors"  # the flash category that carries a redirected form's errors

# A list of stored values ("must be one of: msp, isv"): the portal offers choices by their
# labels, so only a tampered form gets here; naming the values would show internals.
_ONE_OF = re.compile(r"must be one of:?\s.*", re.S)
# An internal name in a message ("consent_source", "trade_show", "tier_id").
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def human(message: Any) -> str:
    """A domain message with internal names turned into words."""
    text = _ONE_OF.sub("is not one of the choices offered", str(message))
    return _SNAKE.sub(lambda m: field_words(m.group(0)), text)


def capfirst(value: Any) -> str:
    text = str(value)
    return text[:1].upper() + text[1:]


def field_messages(fields: Mapping[str, str]) -> dict[str, str]:
    return {name: capfirst(human(why)) for name, why in fields.items()}


def summary(exc: DomainError) -> str:
    """One sentence for the top of the page. A message the domain wrote for people stands as
    it is; one made from the fields ("Check these fields: ...") says each field's reason."""
    text = capfirst(human(exc.message))
    generated = text.startswith("Check these fields:")
    if text.startswith("Check the ") and len(exc.fields) == 1:
        return text  # "Check the email: is required." says it all
    # A field's reason is added where the sentence does not say it already (without the
    # page's script it is the only place the reason shows).
    parts = [
        f"{capfirst(field_words(k))}: {human(v)}"
        for k, v in exc.fields.items()
        if generated or human(v).lower() not in text.lower()
    ]
    if not parts:
        return text
    more = f"; and {len(parts) - SHOWN} more" if len(parts) > SHOWN else ""
    head = "Check these fields:" if generated else text
    return f"{head} {'; '.join(parts[:SHOWN])}{more}."


def flash_error(exc: DomainError) -> None:
    """For a view that redirects after a refusal: the summary on top, and each field's message
    for the page's script to put next to its field (see app.js, placeFieldErrors)."""
    flash(summary(exc), "error")
    if exc.fields:
        flash(json.dumps(field_messages(exc.fields)), FIELD_ERRORS)


def flashed_field_errors() -> Markup:
    """The JSON of the field messages flashed for this page (or "{}"), escaped for a
    data attribute."""
    merged: dict[str, str] = {}
    for raw in get_flashed_messages(category_filter=[FIELD_ERRORS]):
        merged.update(json.loads(str(raw)))
    return Markup.escape(json.dumps(merged))


def init_app(app: Flask) -> None:
    app.add_template_filter(human, "human")
    app.add_template_filter(field_words, "field_words")
    app.add_template_global(flashed_field_errors, "flashed_field_errors")
    app.jinja_env.globals["FIELD_ERRORS"] = FIELD_ERRORS
