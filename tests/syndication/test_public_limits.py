"""The public endpoints' rate limits hold under parallel requests: each request is counted in
the same atomic step that checks it, in process memory and in Redis alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.concurrency import (
    LIMIT_STORES,
    ORIGIN,
    PublicSite,
    in_parallel,
    public_site,
    racy_threads,
)


@pytest.fixture(params=LIMIT_STORES)
def public(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Flask, PublicSite]]:
    yield from public_site(tmp_path, request.param)


def _post(flask_app: Flask, path: str, body: Any, address: str = "203.0.113.5") -> int:
    client = flask_app.test_client()
    r = client.post(
        path, json=body, headers={"Origin": ORIGIN}, environ_base={"REMOTE_ADDR": address}
    )
    return r.status_code


@pytest.mark.parametrize(
    ("endpoint", "body", "passed", "limit"),
    [
        # An expired form token: a request that passes the limit (5 a minute) is answered 400.
        ("leads", {"form_id": 0, "fields": {}, "form_token": "1.x"}, 400, 5),
        # No page view id: a beacon that passes the limit (30 a minute per embed) is a 422.
        ("events", {"events": []}, 422, 30),
    ],
)
def test_parallel_requests_cannot_pass_the_limit(public, endpoint, body, passed, limit) -> None:
    flask_app, site = public
    path = f"/syndication/v1/embeds/{site.key}/{endpoint}"
    n = limit + 35
    for round in range(8):  # rounds, each from an address of its own: any one may race
        address = f"203.0.113.{round + 1}"
        with racy_threads():
            codes = in_parallel(n, lambda _, a=address: _post(flask_app, path, body, a))
        assert sorted(codes) == [passed] * limit + [429] * (n - limit)  # type: ignore[type-var]
