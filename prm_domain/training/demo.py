"""Demo rows of training and onboarding: courses, two paths, a certified person at Coral, the
DPA (signed by the active partners), an onboarding rule, Everest routed, one application."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import users
from prm_domain.models import (
    Certification,
    Course,
    DpaSignature,
    LearningPath,
    OnboardingRule,
    Partner,
    PartnerApplication,
    User,
)
from prm_domain.training import courses, onboarding, progress

COURSES: list[dict[str, Any]] = [
    {
        "title": "Nimbus Cloud fundamentals",
        "description": "What Nimbus Cloud is, who buys it and why: the 20-minute tour.",
        "url": "https://nimbus.example/academy/fundamentals",
        "questions": [
            {
                "text": "Where does Nimbus Cloud keep customer data?",
                "choices": ["On the partner's servers", "In the customer's chosen region"],
                "answer": 1,
            },
            {
                "text": "Which plan includes single sign-on?",
                "choices": ["Starter", "Business", "None"],
                "answer": 1,
            },
        ],
        "pass_percent": 100,
        "points": 10,
    },
    {
        "title": "Selling Nimbus Cloud",
        "description": "Discovery questions, the pricing model and the three objections you hear.",
        "url": "https://nimbus.example/academy/selling",
        "questions": [
            {
                "text": "What is Nimbus Cloud priced by?",
                "choices": ["Per seat per month", "Per server", "One-off licence"],
                "answer": 0,
            },
        ],
        "pass_percent": 100,
        "points": 20,
    },
    {
        "title": "Deploying Nimbus Cloud",
        "description": "Tenancy set-up, SSO and the migration toolkit, step by step.",
        "url": "https://nimbus.example/academy/deploying",
        "questions": [
            {
                "text": "Which protocol does Nimbus SSO use?",
                "choices": ["SAML 2.0", "FTP", "Telnet"],
                "answer": 0,
            },
        ],
        "pass_percent": 100,
        "points": 20,
    },
]

PATHS: list[dict[str, Any]] = [
    {
        "name": "Nimbus sales certification",
        "role": "sales",
        "description": "For account managers: the product and how to sell it.",
        "courses": ["Nimbus Cloud fundamentals", "Selling Nimbus Cloud"],
        "code": "NIMBUS-SALES",
        "validity_days": 365,
    },
    {
        "name": "Nimbus technical certification",
        "role": "technical",
        "description": "For engineers: deploy and run Nimbus Cloud for customers.",
        "courses": ["Nimbus Cloud fundamentals", "Deploying Nimbus Cloud"],
        "code": "NIMBUS-TECH",
        "validity_days": 365,
    },
]

DPA_TEXT = (
    "Data processing addendum, version 2026-1.\n"
    "The partner processes the personal data in leads and deals registrations only to follow "
    "them up for the vendor's products, keeps them confidential, and deletes them when the "
    "partnership ends."
)


def load(session: Session, admin: User) -> None:
    by_title = {c.title: c for c in session.scalars(select(Course))}
    for spec in COURSES:
        if spec["title"] not in by_title:
            course = courses.create_course(session, admin, spec)
            by_title[course.title] = course
    paths = {p.name: p for p in session.scalars(select(LearningPath))}
    for spec in PATHS:
        if spec["name"] not in paths:
            values = {k: v for k, v in spec.items() if k != "courses"}
            values["course_ids"] = [by_title[str(t)].id for t in spec["courses"]]
            paths[str(spec["name"])] = courses.create_path(session, admin, values)
    dpa = onboarding.current_dpa(session) or onboarding.publish_dpa(
        session, admin, "2026-1", DPA_TEXT
    )
    # The partners that signed on paper (dpa_signed_on) signed this version.
    signed = set(
        session.scalars(select(DpaSignature.partner_id).where(DpaSignature.version_id == dpa.id))
    )
    for partner in session.scalars(select(Partner).where(Partner.dpa_signed_on.is_not(None))):
        if partner.id not in signed:
            session.add(DpaSignature(partner_id=partner.id, version_id=dpa.id))
    manager = users.find_by_email(session, "channel@nimbus.example")
    if not session.scalar(select(OnboardingRule.id)):
        onboarding.create_rule(
            session,
            admin,
            {
                "name": "Software vendors on subscription",
                "priority": 10,
                "vertical": "education",
                "business_model": "subscription",
                "path_ids": [paths["Nimbus technical certification"].id],
                "categories": ["Sales playbooks", "Brochures"],
                "channel_manager_id": manager.id if manager else None,
            },
        )
        onboarding.create_rule(
            session,
            admin,
            {
                "name": "Everyone else",
                "priority": 100,
                "path_ids": [paths["Nimbus sales certification"].id],
                "categories": ["Brochures"],
                "channel_manager_id": manager.id if manager else None,
            },
        )
    everest = session.scalar(select(Partner).where(Partner.name_key == "everest software"))
    if everest is not None:
        onboarding.apply_onboarding(session, admin, everest.id)
    # Carla at Coral holds the sales certification (and the leaderboard's top spot).
    carla = users.find_by_email(session, "carla@coral.example")
    path = paths["Nimbus sales certification"]
    if carla is not None and not session.scalar(
        select(Certification.id).where(Certification.user_id == carla.id)
    ):
        progress.enrol(session, carla, path.id)
        for course in courses.courses_of(session, path):
            right = [q["answer"] for q in course.questions]
            progress.submit_attempt(session, carla, course.id, right)
    if not session.scalar(select(PartnerApplication.id)):
        onboarding.submit_application(
            session,
            {
                "company": "Summit Networks",
                "contact_name": "Sam Peak",
                "contact_email": "sam@summit-networks.example",
                "country": "CA",
                "region": "NA",
                "type": "msp",
                "business_model": "managed_services",
                "verticals": ["healthcare"],
                "website": "https://summit-networks.example",
                "message": "We run IT for 40 clinics and would like to resell Nimbus Cloud.",
            },
        )
    session.flush()
