"""Request and response shapes of training, certification and onboarding."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.api.schemas import Id, In, Out, PageQuery
from prm_domain.enums import ApplicationStatus, BusinessModel, TrainingRole


class QuestionIn(In):
    text: str = Field(min_length=1, max_length=500)
    choices: list[str] = Field(min_length=2, max_length=6)
    answer: int = Field(ge=0, le=5, description="index of the right choice")


class CourseIn(In):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    url: str = Field("", max_length=500, description="a link to the course, or upload a PDF")
    questions: list[QuestionIn] = Field(default_factory=list, max_length=20)
    pass_percent: int = Field(80, ge=0, le=100)
    points: int = Field(10, ge=0, le=1000)
    published: bool = True


class CoursePatch(In):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    url: str | None = Field(None, max_length=500)
    questions: list[QuestionIn] | None = Field(None, max_length=20)
    pass_percent: int | None = Field(None, ge=0, le=100)
    points: int | None = Field(None, ge=0, le=1000)
    published: bool | None = None


class QuestionOut(BaseModel):
    """A question as learners get it: the right answer is never sent before submission."""

    text: str
    choices: list[str]


class CourseOut(Out):
    id: int
    title: str
    description: str
    url: str
    has_file: bool
    filename: str
    questions: list[QuestionOut]
    pass_percent: int
    points: int
    published: bool


class CourseAdminOut(CourseOut):
    """What the vendor's editor gets back: the questions with their answers."""

    answers: list[int]


class CourseQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="search in titles")


class AttemptIn(In):
    answers: list[int] = Field(max_length=20, description="the chosen choice index per question")


class AttemptOut(Out):
    id: int
    course_id: int
    score_percent: int
    passed: bool
    correct: int
    total: int
    results: list[bool] = Field(
        description="per question, after a pass only (empty before one): whether the answer "
        "was right"
    )
    certifications: list[str] = Field(description="codes granted or renewed by this pass")


class PathIn(In):
    name: str = Field(min_length=1, max_length=200)
    role: TrainingRole
    description: str = Field("", max_length=2000)
    course_ids: list[Id] = Field(min_length=1, max_length=30)
    code: str = Field(min_length=1, max_length=40, description="the certification's code")
    validity_days: int = Field(365, ge=30, le=3650)
    points: int = Field(50, ge=0, le=1000)


class PathPatch(In):
    """What changes; the certification code never does (certifications carry it)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    role: TrainingRole | None = None
    description: str | None = Field(None, max_length=2000)
    course_ids: list[Id] | None = Field(None, min_length=1, max_length=30)
    validity_days: int | None = Field(None, ge=30, le=3650)
    points: int | None = Field(None, ge=0, le=1000)


class CourseDeletedOut(Out):
    id: int
    outcome: Literal["deleted", "archived"] = Field(
        description="archived (unpublished, history kept) when people took it"
    )


class PathOut(Out):
    id: int
    name: str
    role: TrainingRole
    description: str
    course_ids: list[int]
    code: str
    validity_days: int
    points: int


class PathEnrolmentOut(Out):
    id: int
    user_id: int
    partner_id: int
    path_id: int
    enrolled_at: dt.datetime
    completed_at: dt.datetime | None


class CertificationOut(Out):
    id: int
    user_id: int
    partner_id: int
    path_id: int
    code: str
    role: TrainingRole
    granted_at: dt.datetime
    expires_at: dt.datetime
    renewals: int
    current: bool


class CertificationQuery(PageQuery):
    partner_id: Id | None = Field(None, description="vendor only: one partner's")


class StandingOut(Out):
    user_id: int
    name: str
    partner_id: int
    partner_name: str
    points: int
    courses: int
    certifications: int
    badges: list[str]


class PartnerPointsOut(BaseModel):
    partner_name: str
    points: int
    certifications: int


class LeaderboardOut(BaseModel):
    people: list[StandingOut]
    partners: list[PartnerPointsOut] = Field(description="vendor only: partners ranked")


class LeaderboardQuery(BaseModel):
    partner_id: Id | None = Field(None, description="one partner's board (vendor)")


class DpaIn(In):
    version: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1, max_length=50_000)


class DpaOut(Out):
    id: int
    version: str
    text: str
    published_at: dt.datetime


class DpaSignIn(In):
    version_id: Id


class DpaSignatureOut(Out):
    id: int
    partner_id: int
    version_id: int
    user_id: int | None
    signed_at: dt.datetime


class ApplicationOut(Out):
    id: int
    company: str
    contact_name: str
    contact_email: str
    country: str
    region: str
    type: str
    business_model: str | None
    verticals: list[str]
    website: str
    message: str
    status: ApplicationStatus
    partner_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    created_at: dt.datetime


class InvitationOut(Out):
    """The first user's one-time link to set a password: shown in this answer only."""

    user_id: int
    email: str
    url: str
    expires_at: dt.datetime
    message: str


class ApplicationDecisionOut(ApplicationOut):
    invitation: InvitationOut | None = None


class ApplicationQuery(PageQuery):
    status: ApplicationStatus | None = None


class RuleIn(In):
    name: str = Field(min_length=1, max_length=120)
    priority: int = Field(100, ge=0, le=1000)
    vertical: str = Field("", max_length=40, description="empty: any vertical")
    business_model: BusinessModel | None = Field(None, description="empty: any")
    path_ids: list[Id] = Field(default_factory=list, max_length=10)
    categories: list[str] = Field(
        default_factory=list, max_length=10, description="library categories to start with"
    )
    channel_manager_id: Id | None = None


class RuleOut(Out):
    id: int
    name: str
    priority: int
    vertical: str
    business_model: str
    path_ids: list[int]
    categories: list[str]
    channel_manager_id: int | None


class RuleListOut(BaseModel):
    items: list[RuleOut]


class StepOut(BaseModel):
    key: str
    label: str
    done: bool
    link: str


class ChecklistOut(BaseModel):
    progress_percent: int
    steps: list[StepOut]
    channel_manager: dict[str, Any] | None
    categories: list[str]
