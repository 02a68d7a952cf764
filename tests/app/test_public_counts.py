"""Tracked-link clicks and counted downloads: limited per address, and a repeat from the same
address (a link) or person (a download) within a short window is served but not counted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from prm_domain.models import AssetDownload, TrackedLink
from tests.concurrency import (
    LIMIT_STORES,
    PublicSite,
    in_parallel,
    public_site,
    racy_threads,
)


@pytest.fixture(params=LIMIT_STORES)
def public(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Flask, PublicSite]]:
    yield from public_site(
        tmp_path,
        request.param,
        LINK_LIMIT_PER_ADDRESS="10 per minute",
        DOWNLOAD_LIMIT_PER_ADDRESS="10 per minute",
    )


def _click(flask_app: Flask, code: str, address: str) -> Any:
    return flask_app.test_client().get(f"/r/{code}", environ_base={"REMOTE_ADDR": address})


def _download(flask_app: Flask, site: PublicSite, address: str = "203.0.113.9") -> Any:
    return flask_app.test_client().get(
        f"/api/v1/assets/{site.asset_id}/render?format=pdf&download=true",
        headers={"Authorization": f"Bearer {site.token}"},
        environ_base={"REMOTE_ADDR": address},
    )


def _clicks(flask_app: Flask) -> int:
    with flask_app.extensions["cobrand.db"].sessionmaker() as s:
        return int(s.scalar(select(TrackedLink.clicks)) or 0)


def _downloads(flask_app: Flask) -> int:
    with flask_app.extensions["cobrand.db"].sessionmaker() as s:
        return int(s.scalar(select(func.count()).select_from(AssetDownload)) or 0)


def test_a_link_counts_once_per_address_and_is_limited(public) -> None:
    flask_app, site = public
    first = _click(flask_app, site.link_code, "203.0.113.1")
    assert first.status_code == 302 and first.location.startswith("https://nimbus.example/land?")
    for _ in range(4):  # reloads, double clicks, a mail scanner: one visit
        assert _click(flask_app, site.link_code, "203.0.113.1").status_code == 302
    assert _clicks(flask_app) == 1
    assert _click(flask_app, site.link_code, "198.51.100.2").status_code == 302
    assert _clicks(flask_app) == 2
    # The first address has used 5 of its 10 a minute; then it is slowed down, with a page.
    codes = [_click(flask_app, site.link_code, "203.0.113.1").status_code for _ in range(7)]
    assert codes == [302] * 5 + [429] * 2
    limited = _click(flask_app, site.link_code, "203.0.113.1")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "Slow down" in limited.get_data(as_text=True)
    assert _clicks(flask_app) == 2


def test_parallel_clicks_from_one_address_count_once(public) -> None:
    flask_app, site = public
    with racy_threads():
        codes = in_parallel(10, lambda _: _click(flask_app, site.link_code, "203.0.113.3"))
    assert [c.status_code for c in codes] == [302] * 10  # type: ignore[union-attr]
    assert _clicks(flask_app) == 1


def test_a_download_counts_once_per_person_and_is_limited(public) -> None:
    flask_app, site = public
    first = _download(flask_app, site)
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    with racy_threads():
        again = in_parallel(5, lambda _: _download(flask_app, site).status_code)
    assert again == [200] * 5
    assert _downloads(flask_app) == 1
    codes = [_download(flask_app, site).status_code for _ in range(6)]
    assert codes == [200] * 4 + [429] * 2
    assert _download(flask_app, site, "198.51.100.4").status_code == 200  # another address
    assert _downloads(flask_app) == 1  # the same person, the same file: still one download
