"""Training and certification, the data processing addendum, applications and onboarding."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request

from app import db
from app.api import bp
from app.api.framework import operation
from app.api.schemas import DecisionIn, PageOut, PageQuery, page_out
from app.api.training_schemas import (
    ApplicationDecisionOut,
    ApplicationOut,
    ApplicationQuery,
    AttemptIn,
    AttemptOut,
    CertificationOut,
    CertificationQuery,
    ChecklistOut,
    CourseAdminOut,
    CourseDeletedOut,
    CourseIn,
    CourseOut,
    CoursePatch,
    CourseQuery,
    DpaIn,
    DpaOut,
    DpaSignatureOut,
    DpaSignIn,
    InvitationOut,
    LeaderboardOut,
    LeaderboardQuery,
    PartnerPointsOut,
    PathEnrolmentOut,
    PathIn,
    PathOut,
    PathPatch,
    RuleIn,
    RuleListOut,
    RuleOut,
    StandingOut,
    StepOut,
)
from app.storage import storage
from prm_domain import access, invitations, training
from prm_domain.access import Right
from prm_domain.enums import TrainingRole
from prm_domain.errors import NotFound
from prm_domain.models import Certification, Course

T = "training"
O = "onboarding"  # noqa: E741


def course_out(course: Course) -> CourseOut:
    fields: dict[str, Any] = {
        "id": course.id,
        "title": course.title,
        "description": course.description,
        "url": course.url,
        "has_file": course.file_key is not None,
        "filename": course.filename,
        "questions": training.public_questions(course),
        "pass_percent": course.pass_percent,
        "points": course.points,
        "published": course.published,
    }
    if access.has(g.user, Right.MANAGE_TRAINING):
        return CourseAdminOut(**fields, answers=[q["answer"] for q in course.questions])
    return CourseOut(**fields)


def cert_out(cert: Certification) -> CertificationOut:
    return CertificationOut(
        id=cert.id,
        user_id=cert.user_id,
        partner_id=cert.partner_id,
        path_id=cert.path_id,
        code=cert.code,
        role=TrainingRole(cert.role),
        granted_at=cert.granted_at,
        expires_at=cert.expires_at,
        renewals=cert.renewals,
        current=training.is_current(cert),
    )


@operation(
    bp, "/courses", "GET", summary="Courses", tag=T, query=CourseQuery, response=PageOut[CourseOut]
)
def list_courses(query: CourseQuery) -> PageOut[CourseOut]:
    page = training.list_courses(db.session(), g.user, **query.model_dump())
    return page_out(page, course_out)


@operation(
    bp,
    "/courses",
    "POST",
    summary="Add a course (a link, or upload a PDF after) with its quiz",
    tag=T,
    body=CourseIn,
    response=CourseAdminOut,
    status=201,
    errors=(403, 409),
)
def create_course(body: CourseIn) -> CourseOut:
    course = training.create_course(db.session(), g.user, body.model_dump())
    db.session().commit()
    return course_out(course)


@operation(
    bp,
    "/courses/<id:course_id>",
    "GET",
    summary="One course, with its quiz (never the answers)",
    tag=T,
    response=CourseOut,
)
def get_course(course_id: int) -> CourseOut:
    return course_out(training.get_course(db.session(), g.user, course_id))


@operation(
    bp,
    "/courses/<id:course_id>",
    "PATCH",
    summary="Change a course",
    tag=T,
    body=CoursePatch,
    response=CourseAdminOut,
    errors=(403, 409),
)
def update_course(course_id: int, body: CoursePatch) -> CourseOut:
    values = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    course = training.update_course(db.session(), g.user, course_id, values)
    db.session().commit()
    return course_out(course)


@operation(
    bp,
    "/courses/<id:course_id>",
    "DELETE",
    summary="Delete a course nobody took, or archive one people passed (their history stays); "
    "refused while a learning path lists it",
    tag=T,
    response=CourseDeletedOut,
    errors=(403, 409),
)
def delete_course(course_id: int) -> CourseDeletedOut:
    outcome = training.delete_course(db.session(), g.user, course_id)
    db.session().commit()
    return CourseDeletedOut(id=course_id, outcome=outcome)  # type: ignore[arg-type]


@operation(
    bp,
    "/courses/<id:course_id>/file",
    "PUT",
    summary="Upload the course's content as a PDF (active content is removed)",
    tag=T,
    upload=True,
    response=CourseAdminOut,
    errors=(403,),
)
def put_course_file(course_id: int, data: bytes) -> CourseOut:
    course = training.attach_file(db.session(), g.user, storage(), course_id, "course.pdf", data)
    db.session().commit()
    return course_out(course)


@operation(
    bp,
    "/courses/<id:course_id>/file",
    "GET",
    summary="The course's PDF",
    tag=T,
    produces=("application/pdf",),
)
def get_course_file(course_id: int) -> Response:
    data = training.course_file(db.session(), g.user, storage(), course_id)
    response = Response(data, content_type="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="course-{course_id}.pdf"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@operation(
    bp,
    "/courses/<id:course_id>/attempts",
    "POST",
    summary="Submit the quiz: graded on the server; a pass completes the course",
    tag=T,
    body=AttemptIn,
    response=AttemptOut,
    status=201,
    errors=(403, 429),
)
def submit_attempt(course_id: int, body: AttemptIn) -> AttemptOut:
    result = training.submit_attempt(
        db.session(),
        g.user,
        course_id,
        body.answers,
        attempts_per_day=current_app.config["QUIZ_ATTEMPTS_PER_DAY"],
    )
    db.session().commit()
    return AttemptOut(
        id=result.attempt.id,
        course_id=course_id,
        score_percent=result.attempt.score_percent,
        passed=result.attempt.passed,
        correct=result.correct,
        total=result.total,
        results=result.results,
        certifications=[c.code for c in result.certifications],
    )


@operation(
    bp, "/paths", "GET", summary="Learning paths", tag=T, query=PageQuery, response=PageOut[PathOut]
)
def list_paths(query: PageQuery) -> PageOut[PathOut]:
    page = training.list_paths(db.session(), g.user, **query.model_dump())
    return page_out(page, PathOut.model_validate)


@operation(
    bp,
    "/paths",
    "POST",
    summary="Add a learning path (its completion grants the certification 'code')",
    tag=T,
    body=PathIn,
    response=PathOut,
    status=201,
    errors=(403, 409),
)
def create_path(body: PathIn) -> PathOut:
    path = training.create_path(db.session(), g.user, body.model_dump(mode="json"))
    db.session().commit()
    return PathOut.model_validate(path)


@operation(bp, "/paths/<id:path_id>", "GET", summary="One learning path", tag=T, response=PathOut)
def get_path(path_id: int) -> PathOut:
    return PathOut.model_validate(training.get_path(db.session(), g.user, path_id))


@operation(
    bp,
    "/paths/<id:path_id>",
    "PATCH",
    summary="Change a learning path: name, role, courses (in order), validity, points",
    tag=T,
    body=PathPatch,
    response=PathOut,
    errors=(403, 409),
)
def update_path(path_id: int, body: PathPatch) -> PathOut:
    values = {
        k: v for k, v in body.model_dump(mode="json", exclude_unset=True).items() if v is not None
    }
    path = training.update_path(db.session(), g.user, path_id, values)
    db.session().commit()
    return PathOut.model_validate(path)


@operation(
    bp,
    "/paths/<id:path_id>/enrolments",
    "POST",
    summary="Enrol yourself in a learning path",
    tag=T,
    response=PathEnrolmentOut,
    status=201,
    errors=(403,),
)
def enrol(path_id: int) -> PathEnrolmentOut:
    enrolment = training.enrol(db.session(), g.user, path_id)
    db.session().commit()
    return PathEnrolmentOut.model_validate(enrolment)


@operation(
    bp,
    "/training/enrolments",
    "GET",
    summary="Your enrolments and completions (vendor: everyone's)",
    tag=T,
    query=PageQuery,
    response=PageOut[PathEnrolmentOut],
)
def list_path_enrolments(query: PageQuery) -> PageOut[PathEnrolmentOut]:
    page = training.list_enrolments(db.session(), g.user, **query.model_dump())
    return page_out(page, PathEnrolmentOut.model_validate)


@operation(
    bp,
    "/certifications",
    "GET",
    summary="Certifications: yours, your organisation's (admins) or all (vendor)",
    tag=T,
    query=CertificationQuery,
    response=PageOut[CertificationOut],
)
def list_certifications(query: CertificationQuery) -> PageOut[CertificationOut]:
    page = training.list_certifications(db.session(), g.user, **query.model_dump())
    return page_out(page, cert_out)


@operation(
    bp,
    "/leaderboard",
    "GET",
    summary="Points and badges: your organisation's people, or across partners (vendor)",
    tag=T,
    query=LeaderboardQuery,
    response=LeaderboardOut,
)
def leaderboard(query: LeaderboardQuery) -> LeaderboardOut:
    people = training.leaderboard(db.session(), g.user, partner_id=query.partner_id)
    partners = (
        training.partner_ranking(db.session(), g.user)
        if access.has(g.user, Right.VIEW_ALL_PARTNERS) and query.partner_id is None
        else []
    )
    return LeaderboardOut(
        people=[
            StandingOut(
                user_id=s.user_id,
                name=s.name,
                partner_id=s.partner_id,
                partner_name=s.partner_name,
                points=s.points,
                courses=s.courses,
                certifications=s.certifications,
                badges=s.badges,
            )
            for s in people
        ],
        partners=[
            PartnerPointsOut(partner_name=n, points=p, certifications=c) for n, p, c in partners
        ],
    )


# -- DPA, applications, onboarding -----------------------------------------------------------


@operation(
    bp, "/dpa", "GET", summary="The current data processing addendum", tag=O, response=DpaOut
)
def get_dpa() -> DpaOut:
    access.ensure_status(g.user, access.Area.ORGANISATION)
    dpa = training.current_dpa(db.session())
    if dpa is None:
        raise NotFound("No data processing addendum is published.")
    return DpaOut.model_validate(dpa)


@operation(
    bp,
    "/dpa",
    "POST",
    summary="Publish a new DPA version: every partner signs it before leads open again",
    tag=O,
    body=DpaIn,
    response=DpaOut,
    status=201,
    errors=(403, 409),
)
def publish_dpa(body: DpaIn) -> DpaOut:
    dpa = training.publish_dpa(db.session(), g.user, body.version, body.text)
    db.session().commit()
    return DpaOut.model_validate(dpa)


@operation(
    bp,
    "/partners/<id:partner_id>/dpa-signatures",
    "POST",
    summary="Sign the current DPA for your organisation (partner admins)",
    tag=O,
    body=DpaSignIn,
    response=DpaSignatureOut,
    status=201,
    errors=(403, 409),
)
def sign_dpa(partner_id: int, body: DpaSignIn) -> DpaSignatureOut:
    signature = training.sign_dpa(db.session(), g.user, partner_id, body.version_id)
    db.session().commit()
    return DpaSignatureOut.model_validate(signature)


@operation(
    bp,
    "/applications",
    "GET",
    summary="Partner applications from the public form",
    tag=O,
    query=ApplicationQuery,
    response=PageOut[ApplicationOut],
    errors=(403,),
)
def list_applications(query: ApplicationQuery) -> PageOut[ApplicationOut]:
    page = training.list_applications(db.session(), g.user, **query.model_dump())
    return page_out(page, ApplicationOut.model_validate)


@operation(
    bp,
    "/applications/<id:application_id>/<any(approve, reject):decision>",
    "POST",
    summary="Approve an application into an onboarding partner, or reject it",
    tag=O,
    body=DecisionIn,
    response=ApplicationDecisionOut,
    errors=(403, 409),
)
def decide_application(
    application_id: int, decision: str, body: DecisionIn
) -> ApplicationDecisionOut:
    decided = training.decide_application(
        db.session(), g.user, application_id, approve=decision == "approve", note=body.note
    )
    db.session().commit()
    out = ApplicationDecisionOut.model_validate(decided.application)
    if decided.invitation is not None:
        out.invitation = invitation_out(decided.invitation, decided.application.company, first=True)
    return out


def invitation_out(
    issued: invitations.IssuedInvitation, organisation: str, *, first: bool
) -> InvitationOut:
    base = current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")
    return InvitationOut(
        user_id=issued.user.id,
        email=issued.user.email,
        url=base + issued.path(),
        expires_at=issued.expires_at,
        message=invitations.message(issued, base, organisation, first=first),
    )


@operation(
    bp,
    "/users/<id:user_id>/invitation",
    "POST",
    summary="A new one-time link to set a password, for a partner's person who never signed "
    "in (earlier links stop working); shown in this answer only",
    tag="users",
    response=InvitationOut,
    status=201,
    errors=(403, 409),
)
def reissue_invitation(user_id: int) -> InvitationOut:
    issued = invitations.reissue(db.session(), g.user, user_id)
    organisation = issued.user.partner.name if issued.user.partner else ""
    db.session().commit()
    return invitation_out(issued, organisation, first=False)


@operation(
    bp,
    "/onboarding-rules",
    "GET",
    summary="Onboarding rules, in the order they are tried",
    tag=O,
    response=RuleListOut,
    errors=(403,),
)
def list_onboarding_rules() -> RuleListOut:
    rules = training.list_rules(db.session(), g.user)
    return RuleListOut(items=[RuleOut.model_validate(r) for r in rules])


@operation(
    bp,
    "/onboarding-rules",
    "POST",
    summary="Add an onboarding rule",
    tag=O,
    body=RuleIn,
    response=RuleOut,
    status=201,
    errors=(403,),
)
def create_onboarding_rule(body: RuleIn) -> RuleOut:
    values = body.model_dump(mode="json")
    values["business_model"] = values["business_model"] or ""
    rule = training.create_rule(db.session(), g.user, values)
    db.session().commit()
    return RuleOut.model_validate(rule)


@operation(
    bp,
    "/onboarding-rules/<id:rule_id>",
    "DELETE",
    summary="Delete an onboarding rule",
    tag=O,
    status=204,
    errors=(403,),
)
def delete_onboarding_rule(rule_id: int) -> None:
    training.delete_rule(db.session(), g.user, rule_id)
    db.session().commit()


@operation(
    bp,
    "/partners/<id:partner_id>/onboarding",
    "GET",
    summary="The partner's onboarding checklist and progress",
    tag=O,
    response=ChecklistOut,
)
def get_checklist(partner_id: int) -> ChecklistOut:
    found = training.checklist(db.session(), g.user, partner_id)
    manager = found.channel_manager
    return ChecklistOut(
        progress_percent=found.progress_percent,
        steps=[StepOut(key=s.key, label=s.label, done=s.done, link=s.link) for s in found.steps],
        channel_manager=(
            {"name": manager.display_name, "email": manager.email} if manager else None
        ),
        categories=found.categories,
    )
