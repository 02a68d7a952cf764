"""Every portal form, sent empty and then with bad values by a vendor admin, a channel manager
and a partner admin on the demo data, answers in people's words: no message on the page names an
internal field (``consent_source``, ``tier_id``) or a stored choice (``trade_show``, ``msp``)."""

from __future__ import annotations

import html as html_lib
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select

from prm_domain import demo, enums
from prm_domain.models import Course, Partner, User
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 is an autouse fixture
    fast_argon2,
    text_of,
    token,
)

# Forms whose sending changes something other than the record the form is about (signing out,
# deleting, deactivating people): not walked here; each has its own tests.
SKIP = ("/sign-out", "/delete", "/active", "/visit", "/notifications/read", "/sign-in")

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# Stored values that are lower-case forms of a label in capitals ("msp" for "MSP", "emea").
RAW_VALUES = {
    member.value
    for enum in vars(enums).values()
    if isinstance(enum, type) and issubclass(enum, enums.StrEnum) and enum is not enums.StrEnum
    for member in enum
    if hasattr(member, "label") and member.label == member.value.upper()
}


class Forms(HTMLParser):
    """The POST forms of a page with their fields: (tag, type, name, first option, value)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: list[Any] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "method": a.get("method", "get").lower(),
                    "action": a.get("action", ""),
                    "fields": [],
                }
            )
        elif self.forms and tag in ("input", "textarea", "select") and a.get("name"):
            field = [tag, a.get("type", "text"), a["name"], None, a.get("value", "")]
            self.forms[-1]["fields"].append(field)
            self._select = field if tag == "select" else None
        elif tag == "option" and self._select is not None and self._select[3] is None:
            self._select[3] = a.get("value", "")


def bad_value(tag: str, kind: str, name: str) -> str:
    if tag == "select" or kind in ("radio", "checkbox"):
        return "bogus_choice"
    return {
        "email": "not-an-email",
        "number": "-1x",
        "date": "2026-02-31",
        "datetime-local": "yesterday",
        "url": "not a url",
        "color": "bluish",
        "password": "short",
    }.get(kind, "x" * 5000)


def payloads(form: dict[str, Any]) -> list[dict[str, str]]:
    """The form sent empty, then with a bad value in every field (hidden fields kept)."""
    empty: dict[str, str] = {}
    bad: dict[str, str] = {}
    for tag, kind, name, _first, value in form["fields"]:
        if kind in ("submit", "button", "file"):
            continue
        if kind == "hidden":
            empty[name] = bad[name] = value
            continue
        empty[name] = ""
        bad[name] = bad_value(tag, kind, name)
    return [empty, bad]


MESSAGE = re.compile(
    r'<(?:p|span|ul|div)[^>]*class="(?:flash flash-error|field-error|field-errors)"[^>]*>'
    r"(.*?)</(?:p|span|ul|div)>",
    re.S,
)


def messages(page: str) -> list[str]:
    found = [html_lib.unescape(re.sub(r"<[^>]+>", " ", m)).strip() for m in MESSAGE.findall(page)]
    for raw in re.findall(r'data-field-errors="([^"]*)"', page):
        found.extend(json.loads(html_lib.unescape(raw)).values())
    return [m for m in found if m]


def offences(message: str) -> list[str]:
    words = SNAKE.findall(message)
    words += [w for w in re.findall(r"\b[a-z]+\b", message) if w in RAW_VALUES]
    if "Invalid value for" in message:
        words.append("Invalid value for")
    return words


@pytest.fixture
def demo_world(session: Any) -> dict[str, Any]:
    demo.load(session)
    session.flush()
    alpine = session.scalar(select(Partner).where(Partner.name == "Alpine IT Solutions"))
    course = session.scalar(select(Course).order_by(Course.id))
    return {"alpine": alpine.id, "course": course.id if course else None}


def sign_in(client: Any, session: Any, email: str) -> None:
    client.post("/sign-out", data={"csrf_token": token(client)})
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    r = client.post(
        "/sign-in",
        data={"email": email, "password": demo.DEMO_PASSWORD, "csrf_token": token(client)},
    )
    assert r.status_code == 302, text_of(r)[:500]


def walk(client: Any, pages: list[str]) -> tuple[list[tuple[str, str, str]], int]:
    """(form action, message, offending words) of every bad message, and how many were read."""
    bad: list[tuple[str, str, str]] = []
    read = 0
    seen: set[str] = set()
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        for form in Forms(text_of(r)).forms:
            action = form["action"] or path
            if form["method"] != "post" or action in seen or any(s in action for s in SKIP):
                continue
            seen.add(action)
            for data in payloads(form):
                data["csrf_token"] = token(client)
                answer = client.post(action, data=data, follow_redirects=True)
                assert answer.status_code < 500, (action, data)
                for message in messages(text_of(answer)):
                    read += 1
                    if found := offences(message):
                        bad.append((action, message, ", ".join(found)))
    return bad, read


@pytest.mark.parametrize(
    ("email", "pages"),
    [
        (
            "admin@nimbus.example",
            [
                "/partners/new",
                "/partners/{alpine}/edit",
                "/tiers",
                "/lead-routing",
                "/onboarding-rules",
                "/dpa",
                "/accounts",
                "/library/new",
                "/syndicated-items/new",
                "/account/password",
                "/campaigns",
                "/mdf",
                "/training/manage",
                "/tier-programme",
                "/webhooks",
            ],
        ),
        ("channel@nimbus.example", ["/partners/new", "/deals", "/leads", "/applications"]),
        (
            "anna@alpine-it.example",
            [
                "/organisation",
                "/deals/new",
                "/embeds/new",
                "/dpa",
                "/partners/{alpine}/brand-kit",
                "/training/courses/{course}",
                "/account/password",
                "/mdf",
                "/channels",
            ],
        ),
    ],
)
def test_form_errors_speak_in_words(
    client: Any, session: Any, demo_world: dict[str, Any], email: str, pages: list[str]
) -> None:
    sign_in(client, session, email)
    bad, read = walk(client, [p.format(**demo_world) for p in pages])
    assert read >= 5, "the walk read too few messages to judge"
    assert bad == [], "\n".join(f"{a}: {m!r} ({w})" for a, m, w in bad)
