"""Training and onboarding: courses with a quiz, learning paths, enrolments, certifications,
the data processing addendum, partner applications and onboarding rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from prm_domain.base import NO_ID_REUSE, Base, utcnow


class Course(Base):
    """A link or an uploaded PDF, with a short quiz and a pass mark.

    ``questions`` is ``[{"text", "choices": [str, ...], "answer": int}]``: the answers stay on
    the server; what partners get is :func:`prm_domain.training.public_questions`.
    """

    __tablename__ = "course"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    file_key: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255), default="")
    questions: Mapped[list[Any]] = mapped_column(default=list)
    pass_percent: Mapped[int] = mapped_column(default=80)
    points: Mapped[int] = mapped_column(default=10)
    published: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LearningPath(Base):
    """Courses in order for a role; completing them grants the certification ``code``."""

    __tablename__ = "learning_path"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # TrainingRole
    description: Mapped[str] = mapped_column(String(2000), default="")
    course_ids: Mapped[list[int]] = mapped_column(default=list)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # the certification's code
    validity_days: Mapped[int] = mapped_column(default=365)
    points: Mapped[int] = mapped_column(default=50)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PathEnrolment(Base):
    __tablename__ = "path_enrolment"
    __table_args__ = (UniqueConstraint("user_id", "path_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_path.id", ondelete="CASCADE"))
    enrolled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]


class QuizAttempt(Base):
    """One submission of a course's quiz, graded on the server."""

    __tablename__ = "quiz_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    score_percent: Mapped[int]
    passed: Mapped[bool]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CourseCompletion(Base):
    """A course passed by a person (its points count once)."""

    __tablename__ = "course_completion"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    points: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Certification(Base):
    """A person's certification from a completed path; renewed by passing the path again."""

    __tablename__ = "certification"
    __table_args__ = (UniqueConstraint("user_id", "path_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_path.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    renewals: Mapped[int] = mapped_column(default=0)
    points: Mapped[int] = mapped_column(default=0)
    # The expiry a reminder was sent for: one reminder per term, however often the job runs.
    reminded_for: Mapped[dt.datetime | None]


class DpaVersion(Base):
    """A version of the data processing addendum the vendor published; the newest is current."""

    __tablename__ = "dpa_version"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class DpaSignature(Base):
    __tablename__ = "dpa_signature"
    __table_args__ = (UniqueConstraint("partner_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("dpa_version.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PartnerApplication(Base):
    """A company's application to become a partner, from the public form."""

    __tablename__ = "partner_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    company: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str] = mapped_column(String(254))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(8))  # Region
    type: Mapped[str] = mapped_column(String(32))  # PartnerType
    business_model: Mapped[str | None] = mapped_column(String(32))
    verticals: Mapped[list[str]] = mapped_column(default=list)
    website: Mapped[str] = mapped_column(String(500), default="")
    message: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OnboardingRule(Base):
    """Routes a new partner by vertical and business model (empty: any) to learning paths,
    library categories and a channel manager. The lowest ``priority`` that matches wins."""

    __tablename__ = "onboarding_rule"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    priority: Mapped[int] = mapped_column(default=100)
    vertical: Mapped[str] = mapped_column(String(40), default="")
    business_model: Mapped[str] = mapped_column(String(32), default="")
    path_ids: Mapped[list[int]] = mapped_column(default=list)
    categories: Mapped[list[str]] = mapped_column(default=list)
    channel_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PartnerOnboarding(Base):
    """What the onboarding rules gave a partner (frozen when applied)."""

    __tablename__ = "partner_onboarding"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), unique=True
    )
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("onboarding_rule.id", ondelete="SET NULL")
    )
    path_ids: Mapped[list[int]] = mapped_column(default=list)
    categories: Mapped[list[str]] = mapped_column(default=list)
    channel_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
