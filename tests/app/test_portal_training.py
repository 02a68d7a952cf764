"""Portal pages of training and onboarding: quiz, DPA, the public application form, the queue."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from prm_domain import training
from prm_domain.enums import Role
from prm_domain.models import Certification, PartnerApplication, User
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    password_hash,
    post_form,
    text_of,
    token,
)
from tests.app.test_portal_tenancy import snapshot

# Routes with an id, run below: courses and paths are the vendor's programme (open to every
# partner); applications and rules are vendor pages that do not exist for partners.
CROSS_TENANT_CASES: list[tuple[str, str]] = [
    ("/training/courses/<id:course_id>", "GET"),
    ("/training/courses/<id:course_id>/quiz", "POST"),
    ("/training/courses/<id:course_id>/file", "GET"),
    ("/training/paths/<id:path_id>/enrol", "POST"),
    ("/applications/<id:application_id>/decide", "POST"),
    ("/onboarding-rules/<id:rule_id>/delete", "POST"),
    ("/training/manage/courses/<id:course_id>", "GET"),
    ("/training/manage/courses/<id:course_id>", "POST"),
    ("/training/manage/courses/<id:course_id>/delete", "POST"),
    ("/training/manage/paths/<id:path_id>", "GET"),
    ("/training/manage/paths/<id:path_id>", "POST"),
]

QUIZ = [{"text": "Which plan has SSO?", "choices": ["Basic", "Business"], "answer": 1}]


@pytest.fixture
def world(make_partner: Any, make_user: Any, session: Any) -> dict[str, Any]:
    vendor = make_user(Role.CHANNEL_MANAGER)
    course = training.create_course(
        session, vendor, {"title": "Selling Nimbus", "questions": QUIZ, "points": 10}
    )
    path = training.create_path(
        session,
        vendor,
        {"name": "Sales basics", "role": "sales", "course_ids": [course.id], "code": "SALES-1"},
    )
    a, b = make_partner(name="Alpha Training Ltd"), make_partner(name="Bravo Training Ltd")
    application = training.submit_application(
        session,
        {
            "company": "Newco",
            "contact_name": "Nia",
            "contact_email": "nia@newco.example",
            "country": "FR",
            "region": "EMEA",
            "type": "reseller",
        },
    )
    rule = training.create_rule(session, vendor, {"name": "Everyone", "path_ids": [path.id]})
    session.commit()
    return {
        "vendor": vendor,
        "course": course,
        "path": path,
        "a_admin": make_user(Role.PARTNER_ADMIN, a, display_name="Alma Alpha"),
        "b_user": make_user(Role.PARTNER_USER, b, display_name="Bruno Bravo"),
        "application": application,
        "rule": rule,
    }


def test_course_page_never_sends_answers_and_the_quiz_certifies(
    client: Any, sign_in_as: Any, session: Any, world: dict[str, Any]
) -> None:
    course, path = world["course"], world["path"]
    sign_in_as(world["b_user"])
    html = text_of(client.get(f"/training/courses/{course.id}"))
    assert "Which plan has SSO?" in html
    assert "checked" not in html and "correct" not in html and "right" not in html
    assert post_form(client, f"/training/paths/{path.id}/enrol").status_code == 302
    r = post_form(client, f"/training/courses/{course.id}/quiz", {"q0": "0"})
    assert r.status_code == 200 and 'data-result="failed"' in text_of(r)
    assert "— wrong" not in text_of(r) and "— right" not in text_of(r)  # the score only
    r = post_form(client, f"/training/courses/{course.id}/quiz", {"q0": "²"})  # never a 500
    assert r.status_code == 200
    r = post_form(client, f"/training/courses/{course.id}/quiz", {"q0": "1"})
    assert 'data-result="passed"' in text_of(r) and "— right" in text_of(r)
    # A fourth attempt within the day (QUIZ_ATTEMPTS_PER_DAY is 3) is refused, saying when.
    r = post_form(client, f"/training/courses/{course.id}/quiz", {"q0": "1"})
    assert r.status_code == 302
    assert "try again from" in text_of(client.get(r.headers["Location"]))
    cert = session.scalar(select(Certification).where(Certification.code == "SALES-1"))
    assert cert is not None and cert.user_id == world["b_user"].id
    assert "Sales basics" in text_of(client.get("/training/certifications"))
    board = text_of(client.get("/training/leaderboard"))
    assert "Bruno Bravo" in board and "Certified" in board
    # The catalogue says so instead of "Enrolled", with the end date; "Renew" only near it.
    catalogue = text_of(client.get("/training"))
    until = f"{cert.expires_at.day} {cert.expires_at.strftime('%b %Y')}"
    assert f"Certified (until {until})" in catalogue and ">Enrolled<" not in catalogue
    assert ">Renew<" not in catalogue
    cert.expires_at = cert.expires_at - dt.timedelta(days=340)  # 25 days left: renewal window
    session.commit()
    catalogue = text_of(client.get("/training"))
    assert "Certified (until" in catalogue and ">Renew<" in catalogue
    assert f'href="/training/courses/{course.id}">Renew<' in catalogue
    # Another organisation's people see neither the certification nor the points.
    client.post("/sign-out", data={"csrf_token": ""})
    sign_in_as(world["a_admin"])
    assert "Sales basics" not in text_of(client.get("/training/certifications"))
    assert "Bruno Bravo" not in text_of(client.get("/training/leaderboard"))


def test_vendor_pages_with_ids_do_not_exist_for_partners(
    client: Any, sign_in_as: Any, session: Any, world: dict[str, Any]
) -> None:
    calls = {
        ("/training/courses/<id:course_id>", "GET"): lambda: client.get(
            f"/training/courses/{world['course'].id}"
        ),
        ("/training/courses/<id:course_id>/quiz", "POST"): lambda: post_form(
            client, f"/training/courses/{world['course'].id}/quiz", {"q0": "1"}
        ),
        ("/training/courses/<id:course_id>/file", "GET"): lambda: client.get(
            f"/training/courses/{world['course'].id}/file"
        ),
        ("/training/paths/<id:path_id>/enrol", "POST"): lambda: post_form(
            client, f"/training/paths/{world['path'].id}/enrol"
        ),
        ("/applications/<id:application_id>/decide", "POST"): lambda: post_form(
            client, f"/applications/{world['application'].id}/decide", {"decision": "approve"}
        ),
        ("/onboarding-rules/<id:rule_id>/delete", "POST"): lambda: post_form(
            client, f"/onboarding-rules/{world['rule'].id}/delete"
        ),
        ("/training/manage/courses/<id:course_id>", "GET"): lambda: client.get(
            f"/training/manage/courses/{world['course'].id}"
        ),
        ("/training/manage/courses/<id:course_id>", "POST"): lambda: post_form(
            client, f"/training/manage/courses/{world['course'].id}", {"title": "Mine"}
        ),
        ("/training/manage/courses/<id:course_id>/delete", "POST"): lambda: post_form(
            client, f"/training/manage/courses/{world['course'].id}/delete"
        ),
        ("/training/manage/paths/<id:path_id>", "GET"): lambda: client.get(
            f"/training/manage/paths/{world['path'].id}"
        ),
        ("/training/manage/paths/<id:path_id>", "POST"): lambda: post_form(
            client, f"/training/manage/paths/{world['path'].id}", {"name": "Mine"}
        ),
    }
    assert set(calls) == set(CROSS_TENANT_CASES)
    sign_in_as(world["a_admin"])
    before = snapshot(session)
    for key in CROSS_TENANT_CASES[4:]:
        assert calls[key]().status_code == 404, key
    assert snapshot(session) == before
    # Shared programme: open to every partner (a course with no file: 404).
    expected = {0: 200, 1: 200, 2: 404, 3: 302}
    for i, key in enumerate(CROSS_TENANT_CASES[:4]):
        assert calls[key]().status_code == expected[i], key
    assert client.get("/applications").status_code == 404
    assert client.get("/onboarding-rules").status_code == 404


def test_dpa_signing_opens_leads(
    client: Any, sign_in_as: Any, session: Any, world: dict[str, Any], make_user: Any
) -> None:
    admin = make_user(Role.VENDOR_ADMIN)
    sign_in_as(admin)
    r = post_form(client, "/dpa", {"version": "2026-1", "text": "We process lead data."})
    assert r.status_code == 302
    client.post("/sign-out", data={"csrf_token": ""})
    sign_in_as(world["a_admin"])
    r = client.get("/leads")
    assert r.status_code == 403 and "data processing addendum" in text_of(r)
    assert 'href="/leads"' not in text_of(client.get("/"))
    dpa = training.current_dpa(session)
    assert dpa is not None
    assert post_form(client, "/dpa", {"version_id": str(dpa.id)}).status_code == 302
    assert "data-dpa-signed" in text_of(client.get("/dpa"))
    # The notice that asked for the signature is resolved by it: gone from the dashboard.
    assert "needs your admin" not in text_of(client.get("/"))
    assert client.get("/leads").status_code == 200
    r = client.get("/api/v1/leads")
    assert r.status_code == 200


def test_public_application_form_is_checked_limited_and_queued(
    app: Any, client: Any, sign_in_as: Any, session: Any, world: dict[str, Any]
) -> None:
    app.config["APPLICATION_LIMIT_PER_ADDRESS"] = "2 per hour"
    page = client.get("/apply")
    assert page.status_code == 200 and "Become a" in text_of(page)
    # No CSRF token: refused, nothing stored.
    assert client.post("/apply", data={"company": "X"}).status_code in (400, 403)
    r = post_form(client, "/apply", {"company": "Acme", "contact_email": "bad"})
    assert r.status_code == 422 and "field-error" in text_of(r)
    good = {
        "company": "Zenith Cloud",
        "contact_name": "Zed",
        "contact_email": "zed@zenith.example",
        "country": "es",
        "region": "EMEA",
        "type": "msp",
        "verticals": "healthcare, retail",
    }
    r = post_form(client, "/apply", good)
    assert r.status_code == 200 and "data-application-sent" in text_of(r)
    assert post_form(client, "/apply", good).status_code == 429
    found = session.scalar(
        select(PartnerApplication).where(PartnerApplication.company == "Zenith Cloud")
    )
    assert (
        found is not None and found.country == "ES" and found.verticals == ["healthcare", "retail"]
    )
    sign_in_as(world["vendor"])
    assert "Zenith Cloud" in text_of(client.get("/applications"))
    r = post_form(client, f"/applications/{found.id}/decide", {"decision": "approve"})
    # The approval shows the first user's invitation link, once (only its hash is stored).
    assert r.status_code == 200 and "Zenith Cloud is now an onboarding partner" in text_of(r)
    link = re.search(r'value="(http://localhost/invitation/cbi_[^"]+)"', text_of(r))
    assert link is not None and "mailto:zed@zenith.example" in text_of(r)
    path = link.group(1).removeprefix("http://localhost")
    assert path.removeprefix("/invitation/") not in str(snapshot(session))
    session.refresh(found)
    partner_page = text_of(client.get(f"/partners/{found.partner_id}"))
    assert 'data-onboarding-progress="0"' in partner_page
    assert "○ Enrol in Sales basics" in partner_page
    # Lost or expired: a new link, and the first one stops working.
    zed = session.scalar(select(User).where(User.email == "zed@zenith.example"))
    assert zed is not None and "New invitation link" in partner_page
    r = post_form(client, f"/users/{zed.id}/invitation")
    fresh = re.search(r'value="http://localhost(/invitation/cbi_[^"]+)"', text_of(r))
    assert r.status_code == 200 and fresh is not None and fresh.group(1) != path
    assert client.get(path).status_code == 404
    path = fresh.group(1)
    client.post("/sign-out", data={"csrf_token": token(client)})
    # The invited person sets a password from the link and is signed in.
    page = client.get(path)
    assert page.status_code == 200 and "zed@zenith.example" in text_of(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    no_token = {"password": "zenith-pass-1", "confirm": "zenith-pass-1"}
    assert client.post(path, data=no_token).status_code == 400  # CSRF: the link stays usable
    r = post_form(client, path, {"password": "zenith-pass-1", "confirm": "zenith-pass-2"})
    assert r.status_code == 422 and "Does not match the password" in text_of(r)
    r = post_form(client, path, {"password": "zenith-pass-1", "confirm": "zenith-pass-1"})
    assert r.status_code == 302
    home = text_of(client.get("/"))
    assert "Your password is set" in home and "Enrol in Sales basics" in home
    # Used up: the link now says so; the password signs in.
    assert client.get(path).status_code == 404
    client.post("/sign-out", data={"csrf_token": token(client)})
    r = post_form(client, "/sign-in", {"email": "zed@zenith.example", "password": "zenith-pass-1"})
    assert r.status_code == 302
    assert "Zenith Cloud" in text_of(client.get("/organisation"))
    # Signed in once: no more links for this account, by anyone.
    client.post("/sign-out", data={"csrf_token": token(client)})
    sign_in_as(world["vendor"])
    r = post_form(client, f"/users/{zed.id}/invitation")
    assert r.status_code == 302 and "has signed in already" in text_of(client.get("/"))


def test_every_post_route_refuses_a_missing_csrf_token(
    app: Any, client: Any, sign_in_as: Any, session: Any, world: dict[str, Any]
) -> None:
    values = {
        "course_id": world["course"].id,
        "path_id": world["path"].id,
        "application_id": world["application"].id,
        "rule_id": world["rule"].id,
    }
    posting = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("portal_training.") and "POST" in (r.methods or ())
    ]
    assert len(posting) >= 9
    for actor in (world["vendor"], world["b_user"]):
        sign_in_as(actor)
        client.get("/")
        before = snapshot(session)
        for rule in posting:
            url = rule.rule
            for name, value in values.items():
                url = url.replace(f"<id:{name}>", str(value))
            r = client.post(url, data={"decision": "approve", "q0": "1", "name": "X"})
            assert r.status_code == 400, (url, r.status_code)
            assert "did not come from this site" in text_of(r)
        assert snapshot(session) == before
        client.post("/sign-out", data={"csrf_token": ""})


def test_vendor_edits_courses_and_paths_and_archives_a_taken_course(
    client: Any, sign_in_as: Any, session: Any, world: dict[str, Any]
) -> None:
    course, path, vendor = world["course"], world["path"], world["vendor"]
    spare = training.create_course(session, vendor, {"title": "Spare parts", "url": ""})
    session.commit()
    sign_in_as(vendor)
    page = text_of(client.get("/training/manage"))
    assert "Sales basics" in page and "1. Selling Nimbus" in page
    assert f'href="/training/manage/courses/{course.id}"' in page
    assert f'href="/training/manage/paths/{path.id}"' in page
    # The course editor shows the quiz back in its own format; bad input is named in words.
    edit = text_of(client.get(f"/training/manage/courses/{course.id}"))
    assert "Which plan has SSO?\nBasic\n*Business" in edit
    r = post_form(
        client,
        f"/training/manage/courses/{course.id}",
        {"title": "Selling Nimbus", "questions": "Q?\nyes\nno", "pass_percent": "80"},
    )
    assert r.status_code == 422 and "Question 1: mark the right choice with *" in text_of(r)
    assert "questions.0" not in text_of(r)
    r = post_form(
        client,
        f"/training/manage/courses/{course.id}",
        {
            "title": "Selling Nimbus 2",
            "questions": "Q?\n*yes\nno",
            "pass_percent": "50",
            "points": "20",
            "published": "1",
        },
    )
    assert r.status_code == 302
    session.expire_all()
    assert (course.title, course.pass_percent, course.questions[0]["answer"]) == (
        "Selling Nimbus 2",
        50,
        0,
    )
    # The path: add the spare course in front, change role and validity.
    r = post_form(
        client,
        f"/training/manage/paths/{path.id}",
        {
            "name": "Sales basics",
            "role": "technical",
            "validity_days": "10",
            f"position_{course.id}": "2",
            f"position_{spare.id}": "1",
        },
    )
    assert r.status_code == 422 and "whole number from 30 to 3650" in text_of(r)
    r = post_form(
        client,
        f"/training/manage/paths/{path.id}",
        {"name": "Sales basics", "role": "sales", "validity_days": "365"},
    )
    assert r.status_code == 422 and "Give at least one course" in text_of(r)
    r = post_form(
        client,
        f"/training/manage/paths/{path.id}",
        {
            "name": "Sales basics",
            "role": "technical",
            "validity_days": "730",
            f"position_{course.id}": "2",
            f"position_{spare.id}": "1",
        },
    )
    assert r.status_code == 302
    session.expire_all()
    assert (path.course_ids, path.role, path.validity_days) == (
        [spare.id, course.id],
        "technical",
        730,
    )
    # A course in a path stays; out of the path, one nobody took is deleted.
    r = post_form(client, f"/training/manage/courses/{spare.id}/delete")
    assert r.status_code == 302 and "take it out of the path first" in text_of(
        client.get(r.headers["Location"])
    )
    form = {
        "name": "Sales basics",
        "role": "sales",
        "validity_days": "365",
        f"position_{course.id}": "1",
    }
    assert post_form(client, f"/training/manage/paths/{path.id}", form).status_code == 302
    r = post_form(client, f"/training/manage/courses/{spare.id}/delete")
    assert "is deleted" in text_of(client.get(r.headers["Location"]))
    assert client.get(f"/training/manage/courses/{spare.id}").status_code == 404
    # One that people passed is archived: their certification stays.
    learner = world["b_user"]
    training.enrol(session, learner, path.id)
    training.submit_attempt(session, learner, course.id, [0])
    other = training.create_course(session, vendor, {"title": "Other"})
    session.commit()
    form = {
        "name": "Sales basics",
        "role": "sales",
        "validity_days": "365",
        f"position_{other.id}": "1",
    }
    assert post_form(client, f"/training/manage/paths/{path.id}", form).status_code == 302
    r = post_form(client, f"/training/manage/courses/{course.id}/delete")
    assert "is archived" in text_of(client.get(r.headers["Location"]))
    session.expire_all()
    assert course.published is False
    assert session.scalars(select(Certification).where(Certification.user_id == learner.id)).one()
