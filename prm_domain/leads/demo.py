"""Demo lead routing: rules, vendor leads offered to Coral (one already being worked) and to
Alpine, and leads in the pool. Idempotent: rules by name, leads by email."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import users
from prm_domain.leads import lifecycle, routing
from prm_domain.models import Lead, LeadRoutingRule, User

ACCEPT_WITHIN = dt.timedelta(hours=48)

RULES: list[dict[str, Any]] = [
    # Nobody holds this certification until training is merged: its leads fall through.
    {"name": "Certified security specialists", "position": 5,
     "verticals": ["security"], "required_certifications": ["NIMBUS-SECURITY"]},
    {"name": "Latin America integrators", "position": 10, "regions": ["LATAM"],
     "partner_types": ["system_integrator"], "capacity": 5},
    {"name": "EMEA resellers", "position": 20, "regions": ["EMEA"],
     "partner_types": ["reseller"], "capacity": 10},
    {"name": "North America healthcare", "position": 30, "regions": ["NA"],
     "verticals": ["healthcare"]},
]  # fmt: skip

LEADS: list[dict[str, Any]] = [
    {"email": "lucia@farmacia-sol.example", "name": "Lucía Pereira", "company": "Farmácia Sol",
     "phone": "+55 11 4000 1234", "country": "BR", "region": "LATAM", "vertical": "retail",
     "message": "We want to move our 40 stores' point of sale to the cloud."},
    {"email": "rafael@mercado-verde.example", "name": "Rafael Lima", "company": "Mercado Verde",
     "phone": "+55 21 3555 0101", "country": "BR", "region": "LATAM", "vertical": "retail",
     "message": "Looking for backup for our e-commerce platform."},
    {"email": "sofia@andes-retail.example", "name": "Sofía Rojas", "company": "Andes Retail",
     "country": "CL", "region": "LATAM", "vertical": "retail",
     "message": "Evaluating Nimbus for 12 warehouses."},
    {"email": "jonas@kraft-werke.example", "name": "Jonas Kraft", "company": "Kraft Werke AG",
     "country": "DE", "region": "EMEA", "vertical": "manufacturing",
     "message": "Factory data platform, 3 sites."},
    {"email": "mei@harbour-bank.example", "name": "Mei Tan", "company": "Harbour Bank",
     "phone": "+65 6000 1000", "country": "SG", "region": "APAC", "vertical": "finance",
     "message": "Disaster recovery for core banking; needs an APAC partner."},
    {"email": "owen@lakeside-schools.example", "name": "Owen Price",
     "company": "Lakeside School District", "country": "US", "region": "NA",
     "vertical": "education", "message": "Cloud storage for 9 schools."},
]  # fmt: skip

# The lead Coral has already taken on, to show the later states.
WORKING = "sofia@andes-retail.example"


def load(session: Session, vendor: User) -> None:
    known = set(session.scalars(select(LeadRoutingRule.name)))
    for spec in RULES:
        if spec["name"] not in known:
            routing.create_rule(session, vendor, spec)
    have = set(session.scalars(select(Lead.email).where(Lead.source == "api")))
    for spec in LEADS:
        if spec["email"] in have:
            continue
        lead = lifecycle.create_lead(session, vendor, spec, accept_within=ACCEPT_WITHIN)
        carla = users.find_by_email(session, "carla@coral.example")
        if spec["email"] == WORKING and carla is not None and lead.partner_id == carla.partner_id:
            lifecycle.accept_lead(session, carla, lead.id)
            lifecycle.start_working(session, carla, lead.id)
