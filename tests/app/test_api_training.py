"""The training and onboarding API: answers stay on the server, field errors, the DPA rule on
the lead API, the vendor's leaderboard and the applications queue."""

from __future__ import annotations

from typing import Any

from prm_domain.enums import Role

QUIZ = [
    {"text": "Which plan has SSO?", "choices": ["Basic", "Business"], "answer": 1},
    {"text": "Billing?", "choices": ["Per seat", "Per server"], "answer": 0},
]


def test_training_over_the_api(make_user: Any, make_partner: Any, api_as: Any) -> None:
    vendor = api_as(make_user(Role.MARKETING_MANAGER))
    r = vendor.post("/api/v1/courses", {"title": "Selling", "questions": QUIZ, "points": 15})
    assert r.status_code == 201 and r.json["answers"] == [1, 0]
    course = r.json["id"]
    r = vendor.post("/api/v1/courses", {"title": "Bad", "questions": [{"text": "Q"}]})
    assert r.status_code == 422 and "questions.0.choices" in r.json["error"]["fields"]
    r = vendor.post(
        "/api/v1/paths",
        {"name": "Sales", "role": "sales", "course_ids": [course], "code": "S-1"},
    )
    assert r.status_code == 201
    path = r.json["id"]
    assert vendor.post(
        "/api/v1/paths", {"name": "X", "role": "ops", "course_ids": [course], "code": "S-2"}
    ).json["error"]["fields"].keys() == {"role"}

    partner = make_partner()
    learner = api_as(make_user(Role.PARTNER_USER, partner, display_name="Lee Learner"))
    r = learner.get(f"/api/v1/courses/{course}")
    assert r.status_code == 200 and "answers" not in r.json
    assert all(set(q) == {"text", "choices"} for q in r.json["questions"])
    assert "answer" not in str(learner.get("/api/v1/courses").json)
    assert learner.post("/api/v1/courses", {"title": "Mine"}).status_code == 403
    assert learner.post(f"/api/v1/paths/{path}/enrolments").status_code == 201
    r = learner.post(f"/api/v1/courses/{course}/attempts", {"answers": [1]})
    assert r.status_code == 422 and "answers" in r.json["error"]["fields"]
    r = learner.post(f"/api/v1/courses/{course}/attempts", {"answers": [1, 1]})
    assert r.json["passed"] is False and r.json["results"] == []  # the score only
    assert r.json["score_percent"] == 50
    r = learner.post(f"/api/v1/courses/{course}/attempts", {"answers": [1, 0]})
    assert r.json["passed"] is True and r.json["certifications"] == ["S-1"]
    assert r.json["results"] == [True, True]
    assert (
        learner.post(f"/api/v1/courses/{course}/attempts", {"answers": [1, 0]}).status_code == 201
    )
    r = learner.post(f"/api/v1/courses/{course}/attempts", {"answers": [1, 0]})  # the 4th today
    assert r.status_code == 429 and r.json["error"]["code"] == "rate_limited"
    assert "try again from" in r.json["error"]["message"] and int(r.headers["Retry-After"]) > 0
    certs = learner.get("/api/v1/certifications").json
    assert certs["total"] == 1 and certs["items"][0]["current"] is True
    assert learner.get("/api/v1/training/enrolments").json["items"][0]["completed_at"] is not None
    board = vendor.get("/api/v1/leaderboard").json
    assert board["people"][0]["name"] == "Lee Learner" and board["people"][0]["points"] == 65
    assert board["partners"][0]["points"] == 65
    other = api_as(make_user(Role.PARTNER_ADMIN, make_partner()))
    assert other.get("/api/v1/leaderboard").json["people"] == []
    assert other.get(f"/api/v1/leaderboard?partner_id={partner.id}").status_code == 404
    assert other.get("/api/v1/certifications").json["total"] == 0

    # Editing the path: add a course in front, change role and validity; the code stays.
    extra = vendor.post("/api/v1/courses", {"title": "Intro"}).json["id"]
    spare = vendor.post("/api/v1/courses", {"title": "Spare"}).json["id"]
    r = vendor.patch(
        f"/api/v1/paths/{path}",
        {"course_ids": [extra, course], "role": "technical", "validity_days": 730},
    )
    assert r.status_code == 200, r.json
    assert (r.json["course_ids"], r.json["role"], r.json["validity_days"]) == (
        [extra, course],
        "technical",
        730,
    )
    r = vendor.patch(f"/api/v1/paths/{path}", {"code": "NEW"})
    assert r.status_code == 422 and "code" in r.json["error"]["fields"]
    r = vendor.patch(f"/api/v1/paths/{path}", {"course_ids": [course, course]})
    assert r.status_code == 422 and "course_ids" in r.json["error"]["fields"]
    r = vendor.patch(f"/api/v1/paths/{path}", {"validity_days": 5})
    assert r.status_code == 422 and "validity_days" in r.json["error"]["fields"]
    assert learner.patch(f"/api/v1/paths/{path}", {"name": "Mine"}).status_code == 403
    # A course in a path cannot go; one nobody took is deleted; one people passed is archived.
    r = vendor.delete(f"/api/v1/courses/{course}")
    assert r.status_code == 409 and "course" in r.json["error"]["fields"]
    assert learner.delete(f"/api/v1/courses/{spare}").status_code == 403
    assert vendor.delete(f"/api/v1/courses/{spare}").json == {"id": spare, "outcome": "deleted"}
    assert vendor.get(f"/api/v1/courses/{spare}").status_code == 404
    assert vendor.patch(f"/api/v1/paths/{path}", {"course_ids": [extra]}).status_code == 200
    assert vendor.delete(f"/api/v1/courses/{course}").json["outcome"] == "archived"
    assert learner.get(f"/api/v1/courses/{course}").status_code == 404
    assert learner.get("/api/v1/certifications").json["items"][0]["code"] == "S-1"
    assert vendor.get("/api/v1/leaderboard").json["people"][0]["points"] == 65
    r = vendor.patch(f"/api/v1/paths/{path}", {"course_ids": [extra, course]})
    assert r.status_code == 422 and "archived" in r.json["error"]["fields"]["course_ids"]


def test_dpa_rule_on_the_lead_api(make_user: Any, make_partner: Any, api_as: Any) -> None:
    partner = make_partner()
    admin = api_as(make_user(Role.PARTNER_ADMIN, partner))
    vendor = api_as(make_user(Role.VENDOR_ADMIN))
    assert admin.get("/api/v1/leads").status_code == 200  # nothing published: nothing to sign
    assert admin.get("/api/v1/dpa").status_code == 404
    r = vendor.post("/api/v1/dpa", {"version": "2026-1", "text": "Terms\nMore terms"})
    assert r.status_code == 201
    version = r.json["id"]
    r = admin.get("/api/v1/leads")
    assert r.status_code == 403 and r.json["error"]["code"] == "dpa_unsigned"
    steps = admin.get(f"/api/v1/partners/{partner.id}/onboarding").json["steps"]
    assert {"key": "dpa", "done": False}.items() <= steps[0].items()
    r = admin.post(f"/api/v1/partners/{partner.id}/dpa-signatures", {"version_id": version})
    assert r.status_code == 201
    assert admin.get("/api/v1/leads").status_code == 200
    assert vendor.get(f"/api/v1/partners/{partner.id}").json["dpa_signed_on"] is not None


def test_applications_and_rules_over_the_api(
    make_user: Any, api_as: Any, make_tier: Any, client: Any
) -> None:
    from prm_domain import training

    make_tier()
    manager = make_user(Role.CHANNEL_MANAGER)
    vendor = api_as(manager)
    r = vendor.post(
        "/api/v1/onboarding-rules",
        {"name": "Retail", "vertical": "retail", "channel_manager_id": manager.id},
    )
    assert r.status_code == 201
    assert vendor.get("/api/v1/onboarding-rules").json["items"][0]["name"] == "Retail"
    bad = vendor.post("/api/v1/onboarding-rules", {"name": "X", "channel_manager_id": 2_000_000})
    assert bad.status_code == 422 and "channel_manager_id" in bad.json["error"]["fields"]
    session = client.application.extensions["cobrand.db"].sessionmaker()
    application = training.submit_application(
        session,
        {
            "company": "Shop IT",
            "contact_name": "S",
            "contact_email": "s@shop.example",
            "country": "IT",
            "region": "EMEA",
            "type": "reseller",
            "verticals": ["Retail"],
        },
    )
    session.commit()
    listed = vendor.get("/api/v1/applications?status=pending").json
    assert [a["company"] for a in listed["items"]] == ["Shop IT"]
    r = vendor.post(f"/api/v1/applications/{application.id}/approve", {"note": ""})
    assert r.status_code == 200 and r.json["status"] == "approved"
    partner_id = r.json["partner_id"]
    invitation = r.json["invitation"]
    assert invitation["email"] == "s@shop.example" and invitation["url"] in invitation["message"]
    # A new link replaces the first; only a partner's managers send one.
    again = vendor.post(f"/api/v1/users/{invitation['user_id']}/invitation")
    assert again.status_code == 201 and again.json["url"] != invitation["url"]
    assert "new invitation link" in again.json["message"]
    assert client.get(invitation["url"].removeprefix("http://localhost")).status_code == 404
    outsider = api_as(make_user(Role.PARTNER_ADMIN))
    r = outsider.post(f"/api/v1/users/{invitation['user_id']}/invitation")
    assert r.status_code == 404
    invitation = again.json
    # The link sets the first partner admin's password; then a token can be had with it.
    link = invitation["url"].removeprefix("http://localhost")
    token = client.get("/sign-in").get_data(as_text=True).split('name="csrf_token" value="')[1]
    form = {
        "password": "shop-it-pass",
        "confirm": "shop-it-pass",
        "csrf_token": token[: token.index('"')],
    }
    assert client.post(link, data=form).status_code == 302
    client.post("/sign-out", data={"csrf_token": form["csrf_token"]})
    got = client.post(
        "/api/v1/tokens", json={"email": "s@shop.example", "password": "shop-it-pass"}
    )
    assert got.status_code == 201, got.json
    r = vendor.post(f"/api/v1/users/{invitation['user_id']}/invitation")
    assert r.status_code == 409 and "user_id" in r.json["error"]["fields"]
    checklist = vendor.get(f"/api/v1/partners/{partner_id}/onboarding").json
    assert checklist["channel_manager"]["email"] == manager.email
    again = vendor.post(f"/api/v1/applications/{application.id}/reject", {"note": "late"})
    assert again.status_code == 409
    partner_admin = api_as(make_user(Role.PARTNER_ADMIN))
    assert partner_admin.get("/api/v1/applications").status_code == 404


def test_reminder_task_and_course_file(app: Any, make_user: Any, api_as: Any, session: Any) -> None:
    """The periodic task reminds once per term; a course PDF is checked by its bytes."""
    import datetime as dt

    from app.celery_app import enqueue, schedule
    from prm_domain import training
    from prm_domain.base import utcnow
    from tests.library_fixtures import brochure

    assert "cobrand.certification_reminders" in schedule(app)
    vendor = make_user(Role.VENDOR_ADMIN)
    course = training.create_course(session, vendor, {"title": "Solo"})
    path = training.create_path(
        session, vendor, {"name": "Solo", "role": "technical", "course_ids": [course.id],
                          "code": "SOLO"},
    )  # fmt: skip
    learner = make_user(Role.PARTNER_USER)
    training.enrol(session, learner, path.id)
    cert = training.submit_attempt(session, learner, course.id, []).certifications[0]
    cert.expires_at = utcnow() + dt.timedelta(days=5)
    session.commit()
    with app.app_context():
        first = enqueue("cobrand.certification_reminders")
        again = enqueue("cobrand.certification_reminders")
    assert first is not None and first.result() == 1
    assert again is not None and again.result() == 0

    api = api_as(vendor)
    r = api.request("PUT", f"/api/v1/courses/{course.id}/file", data=b"not a pdf at all")
    assert r.status_code == 422 and "file" in r.json["error"]["fields"]
    r = api.request("PUT", f"/api/v1/courses/{course.id}/file", data=brochure(1))
    assert r.status_code == 200 and r.json["has_file"] is True
    r = api_as(learner).get(f"/api/v1/courses/{course.id}/file")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
