"""``url_for`` for the rows of a list: a route's address worked out once, its ids filled in.

A list page links every row (a card to its asset, a lead to its page), and ``url_for`` walks
the URL map each time: 48 calls were about a tenth of a library page's work
(bench/bench_scale.py). ``id_url`` builds the address once per route and the request's script
root, with markers where the ids go, and fills in the ids of each row after that.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request, url_for

# Integers no row has, whose digits appear nowhere else in an address: marker i is MARK + i.
_MARK = 7_300_000_017
_PATTERNS: dict[tuple[str, tuple[str, ...], str], str | None] = {}
_MAX_PATTERNS = 512  # a few per list page's route and script root


def id_url(endpoint: str, **ids: Any) -> str:
    """``url_for(endpoint, **ids)`` where every value is a whole number (a row's id)."""
    names = tuple(sorted(ids))
    if not all(type(ids[name]) is int for name in names):
        return url_for(endpoint, **ids)  # not ids after all: the general way
    key = (endpoint, names, request.script_root)
    if key not in _PATTERNS:
        if len(_PATTERNS) >= _MAX_PATTERNS:
            # The script root comes from the request (a proxy's SCRIPT_NAME): bounded, so a
            # stream of made-up roots cannot grow it for ever.
            _PATTERNS.clear()
        _PATTERNS[key] = _pattern(endpoint, names)
    pattern = _PATTERNS[key]
    if pattern is None:
        return url_for(endpoint, **ids)
    return pattern.format_map(ids)


def _pattern(endpoint: str, names: tuple[str, ...]) -> str | None:
    """The address with ``{name}`` where each id goes, or None when the markers do not come
    out once each as plain digits (a converter that does not write an int as its digits)."""
    marks = {name: str(_MARK + i) for i, name in enumerate(names)}
    values: dict[str, Any] = {name: int(mark) for name, mark in marks.items()}
    built = url_for(endpoint, **values)
    if "{" in built or "}" in built:
        return None
    for name, mark in marks.items():
        if built.count(mark) != 1:
            return None
        built = built.replace(mark, "{" + name + "}")
    return built


def init_app(app: Flask) -> None:
    app.add_template_global(id_url, "id_url")
