"""Compiled code that every test's fresh app would otherwise build again, shared in the process.

Each test gets its own app (``create_app``), and most of a new app's cost is not the app itself
but code generation that gives the same result every time: Werkzeug compiles a URL builder for
each of the ~580 routes (about three quarters of ``create_app``), and Jinja compiles every
template the app renders anew, since the compiled templates live in the app's own environment.
Both are pure functions of their input, so the test process compiles each once:

- templates through Jinja's documented bytecode cache (keyed by template name and checked
  against a checksum of the source), held in memory;
- URL builders through a memo on ``werkzeug.routing.Rule._compile_builder``, keyed by
  everything the generated code depends on (the rule's parsed trace and the builder flavour).
  Rules with defaults are compiled as before: their defaults are converted at compile time.

tests/app/test_compile_cache.py checks that the shared results equal fresh ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing import Rule


class MemoryBytecodeCache(BytecodeCache):
    """Jinja's bytecode cache in a dict (its file and memcached variants, minus the I/O)."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self.store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)  # ignored when the source checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self.store.clear()


TEMPLATES = MemoryBytecodeCache()


def share_templates(app: Flask) -> Flask:
    """Let a test app load compiled templates from (and add them to) the process-wide cache."""
    app.jinja_env.bytecode_cache = TEMPLATES
    return app


compile_builder: Callable[..., Any] = Rule._compile_builder
_builders: dict[tuple[object, ...], Callable[..., Any]] = {}


def builder_key(rule: Rule, append_unknown: bool) -> tuple[object, ...] | None:
    """What the generated builder depends on, or None when it cannot be shared."""
    if rule.defaults:
        return None
    return (rule.rule, tuple(rule._trace), append_unknown)


def _shared_builder(self: Rule, append_unknown: bool = True) -> Callable[..., Any]:
    key = builder_key(self, append_unknown)
    if key is None:
        return compile_builder(self, append_unknown)  # type: ignore[no-any-return]
    built = _builders.get(key)
    if built is None:
        built = _builders[key] = compile_builder(self, append_unknown)
    return built


def share_url_builders() -> None:
    Rule._compile_builder = _shared_builder  # type: ignore[method-assign]
