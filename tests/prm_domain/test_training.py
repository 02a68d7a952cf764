"""Training, certification and onboarding rules, on both backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import access, auth, invitations, training
from prm_domain.base import utcnow
from prm_domain.enums import PartnerStatus, Role
from prm_domain.errors import (
    Conflict,
    InvalidCredentials,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationError,
)
from prm_domain.models import (
    Certification,
    Invitation,
    Notification,
    Partner,
    QuizAttempt,
    User,
)
from prm_domain.syndication import leads as lead_service
from tests.conftest import PASSWORD

QUIZ = [
    {"text": "Which plan has SSO?", "choices": ["Basic", "Business"], "answer": 1},
    {"text": "Max users?", "choices": ["10", "100", "unlimited"], "answer": 2},
]


@pytest.fixture
def course_path(
    session: Session, make_user: Callable[..., User]
) -> Callable[..., tuple[Any, Any, User]]:
    def make(role: str = "sales", validity: int = 365) -> tuple[Any, Any, User]:
        vendor = make_user(Role.CHANNEL_MANAGER)
        n = len(training.list_courses(session, vendor).items)
        one = training.create_course(
            session, vendor, {"title": f"Pitch {role} {n}", "questions": QUIZ, "pass_percent": 100}
        )
        two = training.create_course(
            session, vendor, {"title": f"Intro {role} {n}", "url": "https://learn.example/x"}
        )
        path = training.create_path(
            session,
            vendor,
            {
                "name": f"{role} path {n}",
                "role": role,
                "course_ids": [one.id, two.id],
                "code": f"{role.upper()}-{n}",
                "validity_days": validity,
            },
        )
        return (one, two), path, vendor

    return make


def test_quiz_is_graded_on_the_server_and_certifies_on_path_completion(
    session: Session, make_user: Callable[..., User], course_path: Any
) -> None:
    (quiz, link), path, _vendor = course_path()
    learner = make_user(Role.PARTNER_USER)
    assert "answer" not in str(training.public_questions(quiz))
    training.enrol(session, learner, path.id)
    failed = training.submit_attempt(session, learner, quiz.id, [1, 0])
    assert (failed.attempt.passed, failed.attempt.score_percent, failed.results) == (
        False,
        50,
        [],  # before a pass only the score: per-question feedback would give the key away
    )
    assert training.submit_attempt(session, learner, link.id, []).certifications == []
    passed = training.submit_attempt(session, learner, quiz.id, [1, 2])
    assert passed.attempt.passed and [c.code for c in passed.certifications] == [path.code]
    assert passed.results == [True, True]
    partner_id = learner.partner_id
    assert partner_id is not None
    assert training.partner_certifications(session, partner_id) == {path.code}
    assert training.certified_people(session, partner_id, "sales") == 1
    assert training.certified_people(session, partner_id, "technical") == 0
    board = training.leaderboard(session, learner)
    assert board[0].points == 10 + 10 + 50 and "certified" in board[0].badges
    with pytest.raises(ValidationError):
        training.submit_attempt(session, learner, quiz.id, [1])  # one answer per question


def test_quiz_attempts_are_limited_per_course_and_day(
    session: Session, make_user: Callable[..., User], course_path: Any
) -> None:
    (quiz, link), _path, _vendor = course_path()
    learner = make_user(Role.PARTNER_USER)
    # Trying the same choice everywhere tells the score only, never which question it hit.
    for guess in ([0, 0], [1, 1]):
        tried = training.submit_attempt(session, learner, quiz.id, guess, attempts_per_day=2)
        assert (tried.attempt.passed, tried.results) == (False, [])
    with pytest.raises(RateLimited) as exc:
        training.submit_attempt(session, learner, quiz.id, [1, 2], attempts_per_day=2)
    assert "2 times in the last 24 hours" in exc.value.message
    assert "try again from" in exc.value.message and 0 < exc.value.retry_after <= 86400 + 1
    attempts = select(QuizAttempt).where(QuizAttempt.user_id == learner.id)
    assert len(session.scalars(attempts).all()) == 2  # the refused one is not stored
    # Other courses and other people have their own allowance.
    assert training.submit_attempt(session, learner, link.id, [], attempts_per_day=2)
    other = make_user(Role.PARTNER_USER)
    assert training.submit_attempt(session, other, quiz.id, [0, 0], attempts_per_day=2)
    # A day later the allowance is back.
    for attempt in session.scalars(attempts.where(QuizAttempt.course_id == quiz.id)):
        attempt.at -= dt.timedelta(days=1, minutes=1)
    session.flush()
    again = training.submit_attempt(session, learner, quiz.id, [1, 2], attempts_per_day=2)
    assert again.attempt.passed and again.results == [True, True]


def test_expired_certifications_do_not_count_and_reminders_are_sent_once(
    session: Session, make_user: Callable[..., User], course_path: Any
) -> None:
    (quiz, link), path, _ = course_path()
    learner = make_user(Role.PARTNER_USER)
    training.enrol(session, learner, path.id)
    training.submit_attempt(session, learner, link.id, [])
    training.submit_attempt(session, learner, quiz.id, [1, 2])
    cert = session.scalars(select(Certification).where(Certification.user_id == learner.id)).one()
    cert.expires_at = utcnow() + dt.timedelta(days=10)
    session.flush()
    assert training.send_expiry_reminders(session) == 1
    assert training.send_expiry_reminders(session) == 0  # idempotent
    note = session.scalars(select(Notification).where(Notification.user_id == learner.id)).one()
    assert "renew" in note.text
    # Passing the path again in the renewal window renews it for a full term.
    training.submit_attempt(session, learner, link.id, [])
    renewed = training.submit_attempt(session, learner, quiz.id, [1, 2])
    assert [c.code for c in renewed.certifications] == [path.code]
    assert cert.renewals == 1 and cert.expires_at > utcnow() + dt.timedelta(days=300)
    cert.expires_at = utcnow() - dt.timedelta(days=1)
    session.flush()
    assert learner.partner_id is not None
    assert training.partner_certifications(session, learner.partner_id) == set()


def test_only_vendor_trainers_edit_and_bad_quizzes_name_the_field(
    session: Session, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    with pytest.raises(PermissionDenied):
        training.create_course(session, admin, {"title": "Mine"})
    vendor = make_user(Role.MARKETING_MANAGER)
    bad = [{"text": "Q", "choices": ["a", "b"], "answer": 2}]
    with pytest.raises(ValidationError) as exc:
        training.create_course(session, vendor, {"title": "T", "questions": bad})
    assert "questions.0.answer" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        training.create_path(
            session, vendor, {"name": "P", "role": "ops", "course_ids": [999999], "code": "X"}
        )
    assert {"role", "course_ids"} <= set(exc.value.fields)


def test_unsigned_current_dpa_closes_leads_until_a_partner_admin_signs(
    session: Session, make_user: Callable[..., User], make_partner: Callable[..., Partner]
) -> None:
    partner = make_partner()
    admin = make_user(Role.PARTNER_ADMIN, partner)
    member = make_user(Role.PARTNER_USER, partner)
    vendor = make_user(Role.VENDOR_ADMIN)
    assert access.status_allows(admin, access.Area.LEADS)  # no DPA published: nothing to sign
    dpa = training.publish_dpa(session, vendor, "2026-1", "We process data for you.")
    assert not access.status_allows(admin, access.Area.LEADS)
    assert access.status_allows(admin, access.Area.EMBEDS)
    told = session.scalars(select(Notification).where(Notification.partner_id == partner.id))
    assert [n.link for n in told] == ["/dpa"]
    with pytest.raises(access.DpaUnsigned):
        lead_service.list_leads(session, admin)
    with pytest.raises(PermissionDenied):
        training.sign_dpa(session, member, partner.id, dpa.id)  # admins sign
    training.sign_dpa(session, admin, partner.id, dpa.id)
    assert partner.dpa_signed_on == utcnow().date()
    assert lead_service.list_leads(session, admin).total == 0
    newer = training.publish_dpa(session, vendor, "2026-2", "Changed terms.")
    assert not access.status_allows(admin, access.Area.LEADS)
    with pytest.raises(Conflict):
        training.sign_dpa(session, admin, partner.id, dpa.id)  # not the current one
    other = make_partner()
    with pytest.raises(NotFound):
        training.sign_dpa(session, admin, other.id, newer.id)


def test_application_approved_into_a_partner_routed_by_the_rules(
    session: Session,
    make_user: Callable[..., User],
    course_path: Any,
    make_tier: Any,
    make_partner: Any,
) -> None:
    make_tier()
    _, path, _ = course_path(role="technical")
    vendor = make_user(Role.CHANNEL_MANAGER)
    training.create_rule(session, vendor, {"name": "Any", "priority": 500})
    training.create_rule(
        session,
        vendor,
        {
            "name": "Health MSPs",
            "priority": 10,
            "vertical": "Healthcare",
            "business_model": "managed_services",
            "path_ids": [path.id],
            "categories": ["Healthcare"],
            "channel_manager_id": vendor.id,
        },
    )
    with pytest.raises(ValidationError) as exc:
        training.submit_application(session, {"company": "X", "contact_email": "nope"})
    assert {"contact_email", "contact_name", "country", "type"} <= set(exc.value.fields)
    application = training.submit_application(
        session,
        {
            "company": "Medic Ops GmbH",
            "contact_name": "Mia",
            "contact_email": "mia@medic.example",
            "country": "DE",
            "region": "EMEA",
            "type": "msp",
            "business_model": "managed_services",
            "verticals": ["healthcare"],
        },
    )
    decided = training.decide_application(session, vendor, application.id, approve=True).application
    assert decided.status == "approved" and decided.partner_id is not None
    partner = session.get(Partner, decided.partner_id)
    assert partner is not None and partner.status == PartnerStatus.ONBOARDING
    steps = training.checklist(session, vendor, partner.id)
    assert steps.channel_manager is not None and steps.channel_manager.id == vendor.id
    assert steps.categories == ["Healthcare"]
    assert [s.key for s in steps.steps][-2:] == [f"enrol:{path.id}", f"certify:{path.id}"]
    assert steps.progress_percent == 0
    # The dashboard shows it while the partner is routed (whatever its status says) ...
    shown = training.dashboard_checklist(session, vendor, partner.id, status_held=False)
    assert shown is not None and [s.key for s in shown.steps] == [s.key for s in steps.steps]
    # ... and for a partner the rules never routed, only while its status holds something back.
    other = make_partner()
    assert training.dashboard_checklist(session, vendor, other.id, status_held=False) is None
    held = training.dashboard_checklist(session, vendor, other.id, status_held=True)
    assert held is not None and not held.routed and held.progress_percent < 100
    with pytest.raises(Conflict):
        training.decide_application(session, vendor, application.id, approve=False)


def test_approval_invites_the_first_partner_admin_to_set_a_password(
    session: Session, make_user: Callable[..., User], make_tier: Any
) -> None:
    make_tier()
    vendor = make_user(Role.VENDOR_ADMIN)
    values = {
        "company": "Fjord Cloud AS",
        "contact_name": "Ola Nordmann",
        "contact_email": "Ola@Fjord.example",
        "country": "NO",
        "region": "EMEA",
        "type": "reseller",
    }
    application = training.submit_application(session, values)
    decision = training.decide_application(session, vendor, application.id, approve=True)
    issued = decision.invitation
    assert issued is not None and issued.token.startswith("cbi_")
    first = issued.user
    assert (first.email, first.role, first.partner_id) == (
        "ola@fjord.example",
        Role.PARTNER_ADMIN,
        decision.application.partner_id,
    )
    # Nobody knows its password until the link sets one; only the link's hash is stored.
    with pytest.raises(InvalidCredentials):
        auth.authenticate(session, first.email, "")
    stored = session.scalars(select(Invitation).where(Invitation.user_id == first.id)).one()
    assert stored.token_hash != issued.token and issued.token not in stored.token_hash
    text = invitations.message(issued, "https://portal.example", "Fjord Cloud AS")
    assert f"https://portal.example/invitation/{issued.token}" in text
    welcome = session.scalars(select(Notification).where(Notification.user_id == first.id)).one()
    assert welcome.kind == "welcome"
    # Bad passwords name the field; nothing is used up.
    with pytest.raises(ValidationError) as exc:
        invitations.accept(session, issued.token, "short", "short")
    assert "password" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        invitations.accept(session, issued.token, "a long passphrase", "a different one")
    assert set(exc.value.fields) == {"confirm"}
    user = invitations.accept(session, issued.token, "a long passphrase", "a long passphrase")
    assert auth.authenticate(session, "ola@fjord.example", "a long passphrase").id == user.id
    # Once only.
    with pytest.raises(NotFound):
        invitations.accept(session, issued.token, "another passphrase", "another passphrase")
    assert invitations.find(session, issued.token) is None
    # A link for someone who signed in opens nothing (see the takeover test below).
    assert invitations.find(session, invitations.issue(session, vendor, user).token) is None
    # A newer link ends the older one; an expired one opens nothing.
    colleague = make_user(Role.PARTNER_USER, session.get(Partner, user.partner_id))
    older = invitations.issue(session, vendor, colleague)
    newer = invitations.issue(session, vendor, colleague)
    assert invitations.find(session, older.token) is None
    assert invitations.find(session, newer.token) is not None
    row = session.scalars(
        select(Invitation).where(Invitation.user_id == colleague.id, Invitation.used_at.is_(None))
    ).one()
    row.expires_at = utcnow() - dt.timedelta(seconds=1)
    session.flush()
    assert invitations.find(session, newer.token) is None
    # Another partner's admin may not invite this organisation's people.
    with pytest.raises(NotFound):
        invitations.issue(session, make_user(Role.PARTNER_ADMIN), user)


def test_a_link_sent_before_the_person_signed_in_cannot_take_over_their_account(
    session: Session, make_user: Callable[..., User], password_hash: str
) -> None:
    """Reissuing is refused once the person signed in, so no admin takes over a colleague's
    account; a link sent while they had not yet (they had a password from whoever made the
    account) must stop working when they sign in, not stay live for its seven days in the
    hands of the admin who saw it."""
    admin = make_user(Role.PARTNER_ADMIN)
    colleague = make_user(Role.PARTNER_ADMIN, admin.partner)
    issued = invitations.reissue(session, admin, colleague.id)
    assert invitations.find(session, issued.token) is not None
    auth.authenticate(session, colleague.email, PASSWORD)  # the colleague signs in
    assert invitations.find(session, issued.token) is None
    with pytest.raises(NotFound):
        invitations.accept(session, issued.token, "the admin's password", "the admin's password")
    session.refresh(colleague)
    assert colleague.password_hash == password_hash


def test_approval_refuses_a_contact_who_has_an_account(
    session: Session, make_user: Callable[..., User], make_tier: Any
) -> None:
    make_tier()
    vendor = make_user(Role.VENDOR_ADMIN)
    taken = make_user(Role.PARTNER_USER)
    application = training.submit_application(
        session,
        {
            "company": "Twice Ltd",
            "contact_name": "T",
            "contact_email": taken.email,
            "country": "GB",
            "region": "EMEA",
            "type": "reseller",
        },
    )
    with pytest.raises(Conflict) as exc:
        training.decide_application(session, vendor, application.id, approve=True)
    assert "contact_email" in exc.value.fields
