"""app.urls.id_url: the address of a row, as url_for writes it, from a pattern built once."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

from app.urls import id_url


@pytest.mark.parametrize(
    ("endpoint", "ids"),
    [
        ("portal_library.asset_detail", {"asset_id": 7}),
        ("portal_library.asset_detail", {"asset_id": 7_300_000_017}),  # the marker's own value
        ("api.asset_thumbnail", {"asset_id": 123456789}),
        ("portal_syndication.lead_detail", {"lead_id": 1}),
        ("portal_library.brand_kit", {"partner_id": 42}),
        # A value the route does not take goes to the query string, as url_for puts it.
        ("portal_syndication.lead_list", {"page": 3}),
    ],
)
def test_id_url_writes_what_url_for_writes(app: Flask, endpoint: str, ids: dict[str, int]) -> None:
    for root in ("", "/partners-portal"):
        with app.test_request_context("/", base_url=f"http://example.test{root}"):
            assert id_url(endpoint, **ids) == url_for(endpoint, **ids)
            again = {name: value + 1 for name, value in ids.items()}
            assert id_url(endpoint, **again) == url_for(endpoint, **again)


def test_values_that_are_not_whole_numbers_go_the_general_way(app: Flask) -> None:
    with app.test_request_context("/"):
        assert id_url("portal_syndication.lead_list", page="2 & 3") == url_for(
            "portal_syndication.lead_list", page="2 & 3"
        )
        assert id_url("portal_syndication.lead_list", state=True) == url_for(
            "portal_syndication.lead_list", state=True
        )
