"""Enrolment in paths, quiz attempts graded on the server, certifications (granted, renewed,
reminded), points, badges and the leaderboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from prm_domain import access, audit, notifications
from prm_domain.access import Right
from prm_domain.base import utcnow
from prm_domain.enums import TrainingRole
from prm_domain.errors import NotFound, PermissionDenied, RateLimited, ValidationError
from prm_domain.models import (
    Certification,
    CourseCompletion,
    LearningPath,
    Partner,
    PathEnrolment,
    QuizAttempt,
    User,
)
from prm_domain.pagination import Page, paginate
from prm_domain.training.courses import courses_of, ensure_learner, get_course, get_path

# A certification can be renewed (by passing its path's quizzes again) from this long before
# it expires; the reminder goes out when it is this close.
RENEWAL_WINDOW = dt.timedelta(days=60)
REMINDER_BEFORE = dt.timedelta(days=30)
# Quiz attempts per person and course within any rolling day. Only the score is returned
# before a pass, but changing one answer at a time still reads the key off the score; the
# limit makes that take days rather than seconds (certifications feed lead routing).
ATTEMPTS_PER_DAY = 3
ATTEMPT_WINDOW = dt.timedelta(days=1)


def _learner(actor: User) -> int:
    ensure_learner(actor)
    if actor.partner_id is None:
        raise PermissionDenied("Training is taken by partners' people; vendor staff preview it.")
    return actor.partner_id


def enrol(session: Session, actor: User, path_id: int) -> PathEnrolment:
    """Enrol the actor in a path; enrolling again returns the existing enrolment."""
    partner_id = _learner(actor)
    path = get_path(session, actor, path_id)
    found = session.scalar(
        select(PathEnrolment).where(
            PathEnrolment.user_id == actor.id, PathEnrolment.path_id == path.id
        )
    )
    if found is not None:
        return found
    enrolment = PathEnrolment(user_id=actor.id, partner_id=partner_id, path_id=path.id)
    session.add(enrolment)
    session.flush()
    _complete_paths(session, actor, [path])  # courses passed earlier count
    return enrolment


def list_enrolments(
    session: Session, actor: User, *, page: int = 1, per_page: int = 50
) -> Page[PathEnrolment]:
    """The actor's own enrolments; vendor staff see everyone's."""
    ensure_learner(actor)
    stmt = select(PathEnrolment).order_by(PathEnrolment.id.desc())
    if not access.has(actor, Right.VIEW_ALL_PARTNERS):
        stmt = stmt.where(PathEnrolment.user_id == actor.id)
    return paginate(session, stmt, page=page, per_page=per_page)


@dataclass
class AttemptResult:
    attempt: QuizAttempt
    correct: int
    total: int
    # Per question, after a pass only (before one it would give the key away): whether the
    # answer given was right.
    results: list[bool] = field(default_factory=list)
    certifications: list[Certification] = field(default_factory=list)


def _ensure_attempt_allowed(session: Session, actor: User, course_id: int, per_day: int) -> None:
    """Refuse a further attempt once ``per_day`` were made within the last day.

    The actor's row is locked first (Postgres; SQLite serialises writers anyway), so two
    submissions at once cannot both count the same attempts and slip past the limit."""
    session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    now = utcnow()
    recent = session.scalars(
        select(QuizAttempt.at)
        .where(
            QuizAttempt.user_id == actor.id,
            QuizAttempt.course_id == course_id,
            QuizAttempt.at > now - ATTEMPT_WINDOW,
        )
        .order_by(QuizAttempt.at.desc())
        .limit(per_day)
    ).all()
    if len(recent) < per_day:
        return
    again = recent[-1] + ATTEMPT_WINDOW  # when the oldest counted attempt leaves the window
    raise RateLimited(
        f"You have taken this quiz {per_day} times in the last 24 hours; "
        f"you may try again from {again:%Y-%m-%d %H:%M} UTC.",
        retry_after=max(1, int((again - now).total_seconds()) + 1),
    )


def submit_attempt(
    session: Session,
    actor: User,
    course_id: int,
    answers: Sequence[Any],
    *,
    attempts_per_day: int = ATTEMPTS_PER_DAY,
) -> AttemptResult:
    """Grade the answers (indexes of the chosen choices) on the server and record the attempt.

    At most ``attempts_per_day`` attempts per course within any 24 hours. Before a pass only
    the score is told; which answers were right only after one. A pass completes the course
    (its points count once) and may complete, or renew, the certification of every path the
    actor is enrolled in that holds the course."""
    partner_id = _learner(actor)
    course = get_course(session, actor, course_id)
    questions = course.questions
    if (
        not isinstance(answers, list | tuple)
        or len(answers) != len(questions)
        or any(not isinstance(a, int) or isinstance(a, bool) for a in answers)
    ):
        raise ValidationError.for_fields(
            {"answers": f"must give one choice index for each of the {len(questions)} questions"}
        )
    _ensure_attempt_allowed(session, actor, course.id, attempts_per_day)
    results = [a == q["answer"] for a, q in zip(answers, questions, strict=True)]
    correct = sum(results)
    score = round(100 * correct / len(questions)) if questions else 100
    passed = score >= course.pass_percent
    attempt = QuizAttempt(
        user_id=actor.id,
        partner_id=partner_id,
        course_id=course.id,
        score_percent=score,
        passed=passed,
    )
    session.add(attempt)
    session.flush()
    out = AttemptResult(attempt, correct, len(questions), results if passed else [])
    if not passed:
        return out
    done = session.scalar(
        select(CourseCompletion).where(
            CourseCompletion.user_id == actor.id, CourseCompletion.course_id == course.id
        )
    )
    if done is None:
        session.add(
            CourseCompletion(
                user_id=actor.id, partner_id=partner_id, course_id=course.id, points=course.points
            )
        )
        session.flush()
    paths = session.scalars(
        select(LearningPath).join(
            PathEnrolment,
            and_(PathEnrolment.path_id == LearningPath.id, PathEnrolment.user_id == actor.id),
        )
    )
    out.certifications = _complete_paths(
        session, actor, [p for p in paths if course.id in p.course_ids]
    )
    if out.certifications:
        from prm_domain import tier_rules

        codes = ", ".join(c.code for c in out.certifications)
        tier_rules.evaluate_partner_id(session, partner_id, f"certification {codes}")
    return out


def _passed_since(session: Session, user_id: int, course_ids: list[int], since: Any) -> bool:
    stmt = select(QuizAttempt.course_id).where(
        QuizAttempt.user_id == user_id,
        QuizAttempt.course_id.in_(course_ids),
        QuizAttempt.passed.is_(True),
    )
    if since is not None:
        stmt = stmt.where(QuizAttempt.at > since)
    return set(session.scalars(stmt)) >= set(course_ids)


def _complete_paths(
    session: Session, actor: User, paths: Sequence[LearningPath]
) -> list[Certification]:
    """Grant the certification of each path all of whose courses the actor passed; renew one
    in its renewal window when every course was passed again within that window."""
    assert actor.partner_id is not None
    now = utcnow()
    granted = []
    for path in paths:
        ids = [c.id for c in courses_of(session, path)]
        if not ids:
            continue
        cert = session.scalar(
            select(Certification).where(
                Certification.user_id == actor.id, Certification.path_id == path.id
            )
        )
        if cert is None:
            if not _passed_since(session, actor.id, ids, None):
                continue
            cert = Certification(
                user_id=actor.id,
                partner_id=actor.partner_id,
                path_id=path.id,
                code=path.code,
                role=path.role,
                granted_at=now,
                expires_at=now + dt.timedelta(days=path.validity_days),
                points=path.points,
            )
            session.add(cert)
            action = "certification.granted"
        elif now >= cert.expires_at - RENEWAL_WINDOW and _passed_since(
            # Passed again: inside the window, and after the term being renewed began.
            session,
            actor.id,
            ids,
            max(cert.expires_at - RENEWAL_WINDOW, cert.granted_at),
        ):
            cert.expires_at = now + dt.timedelta(days=path.validity_days)
            cert.granted_at = now
            cert.renewals += 1
            cert.reminded_for = None
            action = "certification.renewed"
        else:
            continue
        session.execute(
            update(PathEnrolment)
            .where(PathEnrolment.user_id == actor.id, PathEnrolment.path_id == path.id)
            .where(PathEnrolment.completed_at.is_(None))
            .values(completed_at=now)
        )
        session.flush()
        audit.record(
            session,
            actor,
            action,
            cert,
            {"code": cert.code, "expires_at": cert.expires_at},
            partner_id=actor.partner_id,
        )
        granted.append(cert)
    return granted


def list_certifications(
    session: Session,
    actor: User,
    *,
    partner_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Certification]:
    """Partner admins: their organisation's; partner users: their own; vendor staff: all."""
    ensure_learner(actor)
    stmt = select(Certification).order_by(Certification.expires_at, Certification.id)
    if access.has(actor, Right.VIEW_ALL_PARTNERS):
        if partner_id is not None:
            stmt = stmt.where(Certification.partner_id == partner_id)
    elif access.has(actor, Right.MANAGE_OWN_USERS):
        stmt = stmt.where(Certification.partner_id == actor.partner_id)
    else:
        stmt = stmt.where(Certification.user_id == actor.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def own_certifications(session: Session, actor: User) -> dict[int, Certification]:
    """The actor's own certifications by path id (a learner's catalogue shows them)."""
    if actor.partner_id is None:
        return {}
    stmt = select(Certification).where(Certification.user_id == actor.id)
    return {c.path_id: c for c in session.scalars(stmt)}


def is_current(cert: Certification, now: dt.datetime | None = None) -> bool:
    return cert.expires_at > (now or utcnow())


def renewable(cert: Certification, now: dt.datetime | None = None) -> bool:
    """Inside the renewal window (or expired): passing the path's quizzes again renews it."""
    return (now or utcnow()) >= cert.expires_at - RENEWAL_WINDOW


def partner_certifications(session: Session, partner_id: int) -> set[str]:
    """Codes of the current (unexpired) certifications held by the partner's active people."""
    stmt = (
        select(Certification.code)
        .join(User, User.id == Certification.user_id)
        .where(
            Certification.partner_id == partner_id,
            Certification.expires_at > utcnow(),
            User.active.is_(True),
        )
    )
    return set(session.scalars(stmt))


def certified_people(session: Session, partner_id: int, role: TrainingRole | str) -> int:
    """How many of the partner's active people hold a current certification for ``role``."""
    stmt = (
        select(func.count(func.distinct(Certification.user_id)))
        .join(User, User.id == Certification.user_id)
        .where(
            Certification.partner_id == partner_id,
            Certification.role == TrainingRole(role).value,
            Certification.expires_at > utcnow(),
            User.active.is_(True),
        )
    )
    return int(session.scalar(stmt) or 0)


def send_expiry_reminders(session: Session, now: dt.datetime | None = None) -> int:
    """Tell each holder of a certification that expires within REMINDER_BEFORE how to renew.

    Idempotent: one reminder per certification and term (``reminded_for`` and the
    notification's dedupe key), however often the periodic job runs. Returns how many were sent.
    """
    now = now or utcnow()
    due = session.scalars(
        select(Certification)
        .join(User, User.id == Certification.user_id)
        .join(Partner, Partner.id == Certification.partner_id)
        .where(
            Certification.expires_at > now,
            Certification.expires_at <= now + REMINDER_BEFORE,
            User.active.is_(True),
        )
    ).all()
    sent = 0
    for cert in due:
        if cert.reminded_for is not None and cert.reminded_for == cert.expires_at:
            continue
        path = session.get(LearningPath, cert.path_id)
        name = path.name if path else cert.code
        sent += notifications.notify_user(
            session,
            partner_id=cert.partner_id,
            user_id=cert.user_id,
            kind="certification",
            text=(
                f"Your certification {name} expires on {cert.expires_at.date().isoformat()}: "
                "pass its courses' quizzes again to renew it."
            ),
            link="/training/certifications",
            dedupe_key=f"cert:{cert.id}:{cert.expires_at.date().isoformat()}",
        )
        cert.reminded_for = cert.expires_at
    session.flush()
    return sent


# -- points, badges, leaderboard ---------------------------------------------------------------


BADGES: dict[str, str] = {
    "first_course": "First course",
    "five_courses": "Five courses",
    "certified": "Certified",
    "sales_and_technical": "Sales and technical",
}


@dataclass
class Standing:
    user_id: int
    name: str
    partner_id: int
    partner_name: str
    points: int
    courses: int
    certifications: int
    roles: set[str] = field(default_factory=set)

    @property
    def badges(self) -> list[str]:
        earned = []
        if self.courses >= 1:
            earned.append("first_course")
        if self.courses >= 5:
            earned.append("five_courses")
        if self.certifications:
            earned.append("certified")
        if {r.value for r in TrainingRole} <= self.roles:
            earned.append("sales_and_technical")
        return earned


def leaderboard(
    session: Session, actor: User, *, partner_id: int | None = None, limit: int = 50
) -> list[Standing]:
    """People ranked by points (passed courses and certifications): a partner's people see
    their own organisation's board; the vendor sees one across partners, or one partner's."""
    ensure_learner(actor)
    if not access.has(actor, Right.VIEW_ALL_PARTNERS):
        if partner_id is not None and partner_id != actor.partner_id:
            raise NotFound("Partner not found.")
        partner_id = actor.partner_id
    now = utcnow()
    rows: dict[int, Standing] = {}

    def standing(user: User, partner: Partner) -> Standing:
        if user.id not in rows:
            rows[user.id] = Standing(user.id, user.display_name, partner.id, partner.name, 0, 0, 0)
        return rows[user.id]

    done = (
        select(CourseCompletion, User, Partner)
        .join(User, User.id == CourseCompletion.user_id)
        .join(Partner, Partner.id == CourseCompletion.partner_id)
    )
    certs = (
        select(Certification, User, Partner)
        .join(User, User.id == Certification.user_id)
        .join(Partner, Partner.id == Certification.partner_id)
    )
    if partner_id is not None:
        done = done.where(CourseCompletion.partner_id == partner_id)
        certs = certs.where(Certification.partner_id == partner_id)
    for completion, user, partner in session.execute(done):
        row = standing(user, partner)
        row.points += completion.points
        row.courses += 1
    for cert, user, partner in session.execute(certs):
        row = standing(user, partner)
        row.points += cert.points
        if cert.expires_at > now:
            row.certifications += 1
            row.roles.add(cert.role)
    ranked = sorted(rows.values(), key=lambda s: (-s.points, s.name, s.user_id))
    return ranked[:limit]


def partner_ranking(session: Session, actor: User) -> list[tuple[str, int, int]]:
    """The vendor's view: partners by total points, with their current certifications."""
    access.require(actor, Right.VIEW_ALL_PARTNERS)
    totals: dict[str, list[int]] = {}
    for s in leaderboard(session, actor, limit=10_000):
        entry = totals.setdefault(s.partner_name, [0, 0])
        entry[0] += s.points
        entry[1] += s.certifications
    return sorted(((n, p, c) for n, (p, c) in totals.items()), key=lambda t: (-t[1], t[0]))
