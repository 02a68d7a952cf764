"""Hosts, URLs, countries and names through the API: normalised once, refused with a field error."""

from __future__ import annotations

from typing import Any

import pytest

from prm_domain.enums import Role
from prm_domain.models import Lead
from tests.syndication.test_endpoints import _lead
from tests.syndication.test_endpoints import world as endpoints_world  # noqa: F401 - a fixture

SHALOM = "\u05e9\u05dc\u05d5\u05dd"  # Hebrew, written with escapes: some letters look Latin


@pytest.fixture
def world(make_user, make_partner, make_tier, api_as, app):
    app.config["SYNDICATION_CACHE_SECONDS"] = 0
    tier = make_tier()
    partner = make_partner(tier=tier, name="Alpha Shop")
    return {
        "tier": tier,
        "partner": partner,
        "vendor": api_as(make_user(Role.VENDOR_ADMIN)),
        "admin": api_as(make_user(Role.PARTNER_ADMIN, partner=partner)),
    }


def _embed(world: dict[str, Any], domains: list[str]) -> Any:
    return world["admin"].post(
        "/api/v1/embeds", {"kind": "block", "items": "all", "allowed_domains": domains}
    )


def test_embed_domains_with_default_ports_match_their_origin(world, client) -> None:
    r = _embed(world, ["Shop.Example.com:443", "blog.example.com:80", "straße.de"])
    assert r.status_code == 201, r.json
    assert r.json["allowed_domains"] == ["blog.example.com", "shop.example.com", "xn--strae-oqa.de"]
    key = r.json["key"]
    for origin in (
        "https://shop.example.com",
        "http://blog.example.com",
        "https://xn--strae-oqa.de",
    ):
        answer = client.get(f"/syndication/v1/embeds/{key}", headers={"Origin": origin})
        assert answer.status_code == 200, origin
        assert answer.headers["Access-Control-Allow-Origin"] == origin
    # IDNA 2003 would have folded it to strasse.de: another domain, another owner.
    other = client.get(f"/syndication/v1/embeds/{key}", headers={"Origin": "https://strasse.de"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_embed_ports_are_stored_as_an_origin_writes_them(world, client) -> None:
    """A leading zero ("08080") was stored as typed and never matched the Origin "…:8080"."""
    r = _embed(world, ["alpine-it.example:08080", "b.example:0443", "c.example:00080"])
    assert r.status_code == 201, r.json
    assert r.json["allowed_domains"] == ["alpine-it.example:8080", "b.example", "c.example"]
    answer = client.get(
        f"/syndication/v1/embeds/{r.json['key']}",
        headers={"Origin": "https://alpine-it.example:8080"},
    )
    assert answer.headers.get("Access-Control-Allow-Origin") == "https://alpine-it.example:8080"
    for bad in ("a.example:0", "a.example:00000", "a.example:65536", "a.example:099999"):
        r = _embed(world, [bad])
        assert r.status_code == 422, bad
        assert "port" in r.json["error"]["fields"]["allowed_domains"], bad


def test_a_pasted_origin_counts_as_its_host(world) -> None:
    r = _embed(
        world, ["https://Shop.Example.com/", "http://127.0.0.1:8081", "https://b.example:443"]
    )
    assert r.status_code == 201, r.json
    assert r.json["allowed_domains"] == ["127.0.0.1:8081", "b.example", "shop.example.com"]
    for bad in ("https://shop.example.com/page", "https://u@shop.example.com", "ftp://x.example"):
        assert _embed(world, [bad]).status_code == 422, bad


def test_embed_domains_allow_a_local_test_page_but_no_other_ip(world) -> None:
    r = _embed(world, ["127.0.0.1:8081", "localhost:3000"])
    assert r.status_code == 201, r.json
    assert r.json["allowed_domains"] == ["127.0.0.1:8081", "localhost:3000"]
    for bad in (["10.0.0.5"], ["203.0.113.9:8080"], ["[2001:db8::1]:443"], ["intranet:8080"]):
        r = _embed(world, bad)
        assert r.status_code == 422, bad
        assert "allowed_domains" in r.json["error"]["fields"], bad


@pytest.mark.parametrize(
    ("domain", "words"),
    [
        ("192.168.0.10", "IP address"),
        ("127.0.0.1", "IP address"),
        ("\uff18.\uff18.\uff18.\uff18", "IP address"),  # full-width digits
        ("localhost", "full domain name"),
        ("shop.example.com:8080", "not a valid host name"),
    ],
)
def test_partner_website_domains_refuse_ip_addresses(world, domain, words) -> None:
    partner = world["partner"]
    r = world["vendor"].patch(f"/api/v1/partners/{partner.id}", {"website_domains": [domain]})
    assert r.status_code == 422, r.json
    assert words in r.json["error"]["fields"]["website_domains"]


def test_partner_website_domains_are_idna_2008(world) -> None:
    partner = world["partner"]
    r = world["vendor"].patch(
        f"/api/v1/partners/{partner.id}", {"website_domains": ["Straße.de", "BÜCHER.example"]}
    )
    assert r.status_code == 200, r.json
    assert r.json["website_domains"] == ["xn--strae-oqa.de", "xn--bcher-kva.example"]


@pytest.mark.parametrize("country", ["UK", "EU", "XX", "zz"])
def test_country_codes_must_exist(world, country) -> None:
    partner = world["partner"]
    r = world["vendor"].patch(f"/api/v1/partners/{partner.id}", {"country": country})
    assert r.status_code == 422, r.json
    assert "ISO 3166" in r.json["error"]["fields"]["country"]
    ok = world["vendor"].patch(f"/api/v1/partners/{partner.id}", {"country": "gb"})
    assert ok.status_code == 200 and ok.json["country"] == "GB"


@pytest.mark.parametrize(
    "website",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.domain)",
        "javascript:80",
        "javascript:alert`1`@example.com",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "https://10.0.0.1/",
        "mailto:jane@acme.example",
        "http://localhost:3000/",
    ],
)
def test_contact_website_is_an_http_address_only(world, website) -> None:
    partner = world["partner"]
    r = world["admin"].patch(
        f"/api/v1/partners/{partner.id}/brand-kit", {"contact_website": website}
    )
    assert r.status_code == 422, r.json
    assert "contact_website" in r.json["error"]["fields"]


@pytest.mark.parametrize("website", ["acme.example", "https://acme.example/contact", "bücher.de"])
def test_contact_website_as_typed_when_it_is_a_web_address(world, website) -> None:
    partner = world["partner"]
    r = world["admin"].patch(
        f"/api/v1/partners/{partner.id}/brand-kit", {"contact_website": website}
    )
    assert r.status_code == 200, r.json


@pytest.mark.parametrize(
    "name", ["Acme\u202egnp.exe", "Acme\u2067Shop", "Acme\u200fShop", "Acme\u061cShop"]
)
def test_names_with_bidirectional_controls_are_refused(world, name) -> None:
    partner = world["partner"]
    # The name is the vendor's to set, and the partner's to propose: both refuse it.
    r = world["vendor"].patch(f"/api/v1/partners/{partner.id}", {"name": name})
    assert r.status_code == 422, r.json
    assert "invisible" in r.json["error"]["fields"]["name"]
    r = world["admin"].post(f"/api/v1/partners/{partner.id}/change-requests", {"name": name})
    assert r.status_code == 422, r.json
    assert "invisible" in r.json["error"]["fields"]["name"]
    r = world["vendor"].post(
        "/api/v1/syndication/items",
        {"kind": "banner", "title": name, "content": {"headline": "x", "text": "y"}},
    )
    assert r.status_code == 422 and "title" in r.json["error"]["fields"]
    r = world["admin"].patch(f"/api/v1/partners/{partner.id}/brand-kit", {"contact_name": name})
    assert r.status_code == 422 and "contact_name" in r.json["error"]["fields"]


def test_lead_names_refuse_bidi_controls_and_messages_lose_them(client, session, request) -> None:
    """A visitor's name is refused like any name; the free-text message keeps its words and line
    breaks but loses the invisible characters (an RTL typist may send marks without meaning to)."""
    world = request.getfixturevalue("endpoints_world")
    fields = {"name": "Dana", "email": "dana@buyer.example"}
    r = _lead(world, fields={**fields, "name": "Dana\u202egnp.exe"})
    assert r.status_code == 422 and "name" in r.json["error"]["fields"], r.json
    r = _lead(world, fields={**fields, "message": f"Call me\u202e\u200b\n{SHALOM}\u200f!"})
    assert r.status_code == 201, r.json
    assert session.query(Lead).one().message == f"Call me\n{SHALOM}!"
