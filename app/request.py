"""The request class: a chunked body over MAX_CONTENT_LENGTH is a 413, never a cut-off body.

Werkzeug 3.1 caps a body sent without Content-Length (Transfer-Encoding: chunked, which
gunicorn and Werkzeug's server mark ``wsgi.input_terminated``) at ``max_content_length`` by
returning its first bytes and stopping there: ``get_data()`` gets a silently truncated body,
and an oversized upload was then reported as a damaged file. This reads one byte past the
limit to tell "exactly at the limit" from "more is coming", and refuses the latter.
"""

from __future__ import annotations

import typing as t

import flask
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

if t.TYPE_CHECKING:
    from flask import Flask


class _MaxStream(LimitedStream):
    """Reads at most ``maximum`` bytes; the first byte beyond it raises a 413."""

    def __init__(self, stream: t.IO[bytes], maximum: int) -> None:
        super().__init__(stream, maximum + 1, is_max=True)
        self.maximum = maximum

    def readinto(self, b: t.Any) -> int | None:
        size = super().readinto(b)
        if self._pos > self.maximum:
            raise RequestEntityTooLarge(
                f"The request body is larger than {self.maximum // 2**20 or self.maximum} "
                f"{'MB' if self.maximum >= 2**20 else 'bytes'}."
            )
        return size


class Request(flask.Request):
    @cached_property
    def stream(self) -> t.IO[bytes]:
        maximum = self.max_content_length
        if (
            not self.shallow
            and maximum is not None
            and self.content_length is None
            and "wsgi.input_terminated" in self.environ
        ):
            return t.cast(t.IO[bytes], _MaxStream(self.environ["wsgi.input"], maximum))
        return super().stream


def init_app(app: Flask) -> None:
    app.request_class = Request
