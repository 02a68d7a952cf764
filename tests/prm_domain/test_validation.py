"""Field rules: each returns the clean value or raises ValidationError naming the field."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

from prm_domain import validation as v
from prm_domain.enums import PartnerType
from prm_domain.errors import ValidationError


def refused(rule: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(ValidationError) as exc:
        rule("f", *args, **kw)
    assert set(exc.value.fields) == {"f"}
    assert "f" in exc.value.message
    return exc.value.fields["f"]


# --- hostnames --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("example.com", "example.com"),
        ("WWW.Example.COM", "www.example.com"),
        ("example.com.", "example.com"),  # the root dot
        ("  shop.example.co.uk  ", "shop.example.co.uk"),
        ("bücher.de", "xn--bcher-kva.de"),  # IDN to its ASCII form
        ("BÜCHER.de", "xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
        ("müller-gmbh.example", "xn--mller-gmbh-9db.example"),
        ("a-b.c-d.example", "a-b.c-d.example"),
        ("1password.com", "1password.com"),
        ("a." + "b" * 63 + ".com", "a." + "b" * 63 + ".com"),
    ],
)
def test_hostname_accepts_and_normalises(given: str, clean: str) -> None:
    assert v.hostname("f", given) == clean


@pytest.mark.parametrize(
    "given",
    [
        "",
        "   ",
        "com",  # not a full domain name
        "example",
        "exa mple.com",
        "exa_mple.com",
        "-example.com",
        "example-.com",
        "a..example.com",
        ".example.com",
        "example.com/path",
        "https://example.com",
        "user@example.com",
        "example.com:8080",  # no ports unless asked for
        "a." + "b" * 64 + ".com",  # a label of 64
        ".".join(["a" * 60] * 5),  # more than 253 in all
        "ex\x00ample.com",
        "ex\nample.com",
        "\u200b.com",
        None,
        42,
        ["example.com"],
    ],
)
def test_hostname_refuses(given: Any) -> None:
    refused(v.hostname, given)


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("Example.com:8080", "example.com:8080"),
        # Default ports are dropped, as an Origin header drops them.
        ("Example.com:443", "example.com"),
        ("example.com:80", "example.com"),
        ("example.com", "example.com"),
        ("bücher.de:8443", "xn--bcher-kva.de:8443"),
        # The integer form, as an Origin header writes it.
        ("alpine-it.example:08080", "alpine-it.example:8080"),
        ("example.com:0443", "example.com"),
    ],
)
def test_hostname_with_port(given: str, clean: str) -> None:
    assert v.hostname("f", given, allow_port=True) == clean


@pytest.mark.parametrize(
    "given",
    [
        "example.com:0",
        "example.com:000",
        "example.com:65536",
        "example.com:065536",
        "example.com:http",
        "example.com:²",
        "h:٣",
    ],
)
def test_hostname_refuses_bad_ports(given: str) -> None:
    # "²" and "٣" are str.isdigit(); the first used to crash int(), the second was stored.
    refused(v.hostname, given, allow_port=True)


@pytest.mark.parametrize(
    "given", ["=?utf-8?b?QQ==?=@delta-dist.example", "a=?b@x.example", "=?@x.example"]
)
def test_mailbox_refuses_encoded_words(given: str) -> None:
    refused(v.mailbox, given)


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        # IDNA 2008 / UTS 46: sharp s and final sigma are letters of their own, not folded.
        ("straße.de", "xn--strae-oqa.de"),
        ("STRASSE.de", "strasse.de"),
        ("\uff41\uff42\uff43.com", "abc.com"),  # full-width letters map to ASCII
    ],
)
def test_hostname_is_idna_2008(given: str, clean: str) -> None:
    assert v.hostname("f", given) == clean
    assert v.hostname("f", "ὀδυσσεύς.gr") != v.hostname("f", "ὀδυσσεύσ.gr")


@pytest.mark.parametrize(
    "given",
    [
        "127.0.0.1",
        "10.0.0.1",
        "\uff18.\uff18.\uff18.\uff18",  # full-width digits
        "127.1",
        "0x7f.1",
        "2130706433",
        "[::1]",
        "::1",
        "[2001:db8::1]",
        "localhost",
        "intranet",
        "ex\u202eample.com",
    ],
)
def test_hostname_refuses_ip_addresses_and_single_labels(given: str) -> None:
    why = refused(v.hostname, given)
    assert "IP address" in why or "not a" in why or "invisible" in why


def test_ip_addresses_are_named_as_such() -> None:
    assert "IP address" in refused(v.hostname, "192.168.1.10")
    assert "IP address" in refused(v.hostname, "192.168.1.10:8080", allow_port=True)


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("127.0.0.1:8081", "127.0.0.1:8081"),
        ("localhost:3000", "localhost:3000"),
        ("LOCALHOST:3000", "localhost:3000"),
        ("localhost", "localhost"),
        ("shop.example.com:443", "shop.example.com"),
    ],
)
def test_loopback_is_allowed_only_where_asked_for(given: str, clean: str) -> None:
    assert v.hostname("f", given, allow_port=True, allow_loopback=True) == clean
    if clean.split(":")[0] in v.LOOPBACK:
        refused(v.hostname, given, allow_port=True)
    refused(v.hostname, "10.0.0.1:8081", allow_port=True, allow_loopback=True)


@pytest.mark.parametrize(
    "given",
    [
        "javascript:alert(1)",
        "JavaScript://example.com/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://javascript:alert(1)@example.com/",
        "https://user:pass@example.com/",
        "https://192.168.0.1/",
        "http://10.0.0.1:8080/x",
        "https://example.com:99999/",
        "https://ex\u202eample.com/",
        "//example.com/x",
        "example.com",
    ],
)
def test_http_url_refuses(given: str) -> None:
    refused(v.http_url, given)
    refused(v.http_url, given, allow_loopback=False)


def test_http_url_accepts_web_addresses_and_loopback_where_asked_for() -> None:
    assert v.http_url("f", "https://Example.com/a?b=1#c") == "https://Example.com/a?b=1#c"
    assert v.http_url("f", "http://bücher.de:8080/") == "http://bücher.de:8080/"
    assert v.http_url("f", "http://localhost:8081/p")
    assert v.http_url("f", "http://127.0.0.1:8081/p")
    refused(v.http_url, "http://localhost:8081/p", allow_loopback=False)
    refused(v.http_url, "http://127.0.0.1/", allow_loopback=False)


# --- country codes, emails, text ---------------------------------------------------------------


@pytest.mark.parametrize(("given", "clean"), [("de", "DE"), ("DE", "DE"), (" us ", "US")])
def test_country_accepts_two_letters(given: str, clean: str) -> None:
    assert v.country("f", given) == clean


@pytest.mark.parametrize(
    "given",
    [
        *("", "D", "DEU", "D1", "12", "ÄÖ", "ß", "ﬀ", "ǅ", "d\x00", "d-", None, 49),
        # The right shape, but no country: ISO 3166-1 alpha-2 is checked, not just two letters.
        *("UK", "EU", "XX", "ZZ", "AA", "QQ", "xk"),
    ],
)
def test_country_refuses(given: Any) -> None:
    # "ß" and "ﬀ" upper-case to "SS" and "FF": they used to be accepted as such.
    refused(v.country, given)


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("Jane.Doe@Example.COM", "jane.doe@example.com"),
        ("  a+tag@sub.example.org ", "a+tag@sub.example.org"),
        ("o'neil@example.ie".replace("'", ""), "oneil@example.ie"),
        ("x@a-b.example", "x@a-b.example"),
        ("Ünïcode@example.com", "ünïcode@example.com"),
    ],
)
def test_email_accepts_and_case_folds(given: str, clean: str) -> None:
    assert v.email("f", given) == clean


@pytest.mark.parametrize(
    "given",
    [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@b",
        "a@@example.com",
        "a b@example.com",
        "a@exa mple.com",
        "a@-example.com",
        "a@example..com",
        "a@example.com.",
        "<a@example.com>",
        "a,b@example.com",
        "a@example.com\x00",
        "a\x00@example.com",
        "x" * 250 + "@example.com",
        "İ" * 200 + "@example.com",  # 212 characters, but 412 once lower-cased
        None,
        ["a@example.com"],
    ],
)
def test_email_refuses(given: Any) -> None:
    refused(v.email, given)


def test_text_strips_and_limits() -> None:
    assert v.text("f", "  hi\tthere ", max_len=20) == "hi\tthere"
    assert v.text("f", "", max_len=5, required=False) == ""
    assert refused(v.text, "", max_len=5) == "is required"
    assert "at most 3" in refused(v.text, "abcd", max_len=3)
    assert "control" in refused(v.text, "a\x00b", max_len=5)
    assert "control" in refused(v.text, "a\x1bb", max_len=5)
    assert refused(v.text, b"bytes", max_len=10) == "must be text"
    assert v.text("f", "Ünï 株式会社 🦄", max_len=20) == "Ünï 株式会社 🦄"


@pytest.mark.parametrize(
    "char",
    # Bidirectional embeddings, overrides and isolates; marks; zero-width and BOM; separators.
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c", "\u200b", "\ufeff", "\u2060", "\u00ad"]
    + ["\u2028", "\u2029", "\x7f", "\x85", "\U000e0041"],
)
def test_text_refuses_invisible_formatting_characters(char: str) -> None:
    why = refused(v.text, f"Acme{char}cod.exe", max_len=50)
    assert "invisible" in why


def test_text_keeps_joiners_that_scripts_and_emoji_need() -> None:
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # a ZWNJ inside a word
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert v.text("f", persian, max_len=20) == persian
    assert v.text("f", family, max_len=20) == family
    assert v.text("f", "עברית ועוד العربية", max_len=40) == "עברית ועוד العربية"


def test_string_list_dedupes_keeps_order_and_checks_items() -> None:
    assert v.string_list("f", [" a", "b", "a ", "c"], max_items=5, max_len=3) == ["a", "b", "c"]
    assert v.string_list("f", [], max_items=0, max_len=1) == []
    refused(v.string_list, "a,b", max_items=5, max_len=5)
    refused(v.string_list, ["a"] * 6, max_items=5, max_len=5)
    refused(v.string_list, ["ok", 3], max_items=5, max_len=5)
    refused(v.string_list, ["toolong"], max_items=5, max_len=3)
    refused(v.string_list, [""], max_items=5, max_len=3)


def test_choice() -> None:
    assert v.choice("f", "msp", PartnerType) is PartnerType.MSP
    assert v.choice("f", PartnerType.ISV, PartnerType) is PartnerType.ISV
    assert "reseller" in refused(v.choice, "MSP", PartnerType)
    refused(v.choice, None, PartnerType)


# --- percentages: Decimal, never float ----------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("2.50", "2.50"),
        ("2.5", "2.50"),
        ("0", "0.00"),
        ("100", "100.00"),
        ("100.00", "100.00"),
        (7, "7.00"),
        (decimal.Decimal("12.05"), "12.05"),
        ("1.230", "1.23"),  # trailing zero is not a third decimal
        ("1E+1", "10.00"),
    ],
)
def test_percent_accepts(given: Any, clean: str) -> None:
    out = v.percent("f", given)
    assert isinstance(out, decimal.Decimal)
    assert str(out) == clean


@pytest.mark.parametrize(
    "given",
    [
        12.5,
        12.345,
        0.1,
        True,
        "12.345",
        "100.01",
        "-0.01",
        "NaN",
        "sNaN",
        "Infinity",
        "",
        "x",
        None,
        [1],
    ],
)
def test_percent_refuses(given: Any) -> None:
    refused(v.percent, given)


def test_percent_refuses_floats_with_a_reason() -> None:
    assert "string" in refused(v.percent, 2.5)


# --- dates and passwords --------------------------------------------------------------------------


def test_past_date() -> None:
    today = dt.date.today()
    assert v.past_date("f", None) is None
    assert v.past_date("f", today) == today
    assert v.past_date("f", dt.date(2020, 2, 29)) == dt.date(2020, 2, 29)
    refused(v.past_date, today + dt.timedelta(days=30))
    refused(v.past_date, "2020-01-01")
    refused(v.past_date, dt.datetime(2020, 1, 1, tzinfo=dt.UTC))


def test_password() -> None:
    assert v.password("f", "0123456789") == "0123456789"
    assert v.password("f", " spaces are kept ") == " spaces are kept "
    refused(v.password, "012345678")
    refused(v.password, "x" * 257)
    refused(v.password, None)
    refused(v.password, 1234567890)
