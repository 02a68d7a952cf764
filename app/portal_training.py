"""Portal pages of training (catalogue, course and quiz, certifications, leaderboard, the
vendor's editor) and onboarding (the DPA, the public application form, applications, rules)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from app import db
from app.auth import client_address, login_required, start_session
from app.form_errors import flash_error
from app.portal import _digits, _int_arg, _list_field
from app.ratelimit import limiter
from app.storage import storage
from prm_domain import DomainError, RateLimited, access, invitations, training
from prm_domain.access import Right
from prm_domain.enums import (
    ApplicationStatus,
    BusinessModel,
    PartnerType,
    Region,
    Role,
    TrainingRole,
)
from prm_domain.errors import NotFound as NotFoundError
from prm_domain.errors import PermissionDenied as PermissionDeniedError
from prm_domain.models import User

bp = Blueprint("portal_training", __name__)


def parse_questions(text: str) -> list[dict[str, Any]] | str:
    """Questions from the editor's textarea: blocks separated by a blank line, the question
    first, then one choice per line, the right one starting with "*". Keeps the raw text where
    it is not that shape, so the domain names the field."""
    out: list[dict[str, Any]] = []
    for block in [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]:
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        choices = [c.lstrip("*").strip() for c in lines[1:]]
        right = [i for i, c in enumerate(lines[1:]) if c.startswith("*")]
        out.append({"text": lines[0], "choices": choices, "answer": right[0] if right else -1})
    return out


@bp.get("/training")
@login_required
def catalogue() -> Any:
    q = request.args.get("q", "").strip()[:200] or None
    page = training.list_courses(db.session(), g.user, q=q, page=_int_arg("page"), per_page=25)
    paths = training.list_paths(db.session(), g.user, per_page=200).items
    mine = training.list_enrolments(db.session(), g.user, per_page=200).items
    enrolled = {e.path_id for e in mine if e.user_id == g.user.id}
    certified = training.own_certifications(db.session(), g.user)
    return render_template(
        "training/catalogue.html",
        page=page,
        q=q or "",
        paths=paths,
        enrolled=enrolled,
        certified=certified,
        renewable=training.renewable,
        is_current=training.is_current,
        courses_of=lambda p: training.courses_of(db.session(), p),
        learner=g.user.partner_id is not None,
        can_manage=access.has(g.user, Right.MANAGE_TRAINING),
    )


@bp.get("/training/courses/<id:course_id>")
@login_required
def course(course_id: int) -> Any:
    found = training.get_course(db.session(), g.user, course_id)
    return render_template(
        "training/course.html",
        course=found,
        questions=training.public_questions(found),
        result=None,
        learner=g.user.partner_id is not None,
    )


@bp.post("/training/courses/<id:course_id>/quiz")
@login_required
def quiz_submit(course_id: int) -> Any:
    found = training.get_course(db.session(), g.user, course_id)
    answers: list[Any] = []
    for i in range(len(found.questions)):
        value = _digits(request.form.get(f"q{i}", ""), 2)
        answers.append(-1 if value is None else value)  # unanswered: wrong, never a 500
    try:
        result = training.submit_attempt(
            db.session(),
            g.user,
            course_id,
            answers,
            attempts_per_day=current_app.config["QUIZ_ATTEMPTS_PER_DAY"],
        )
    except (NotFoundError, PermissionDeniedError):
        raise
    except DomainError as exc:
        db.session().rollback()
        flash_error(exc)
        return redirect(url_for("portal_training.course", course_id=course_id))
    db.session().commit()
    for cert in result.certifications:
        flash(f"Certified: {cert.code}, valid until {cert.expires_at.date()}.", "success")
    found = training.get_course(db.session(), g.user, course_id)
    return render_template(
        "training/course.html",
        course=found,
        questions=training.public_questions(found),
        result=result,
        learner=True,
        attempts_per_day=current_app.config["QUIZ_ATTEMPTS_PER_DAY"],
    )


@bp.get("/training/courses/<id:course_id>/file")
@login_required
def course_file(course_id: int) -> Any:
    data = training.course_file(db.session(), g.user, storage(), course_id)
    response = Response(data, content_type="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="course-{course_id}.pdf"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.post("/training/paths/<id:path_id>/enrol")
@login_required
def enrol(path_id: int) -> Any:
    training.enrol(db.session(), g.user, path_id)
    db.session().commit()
    flash("Enrolled: pass each course's quiz to get certified.", "success")
    return redirect(url_for("portal_training.catalogue"))


@bp.get("/training/certifications")
@login_required
def certifications() -> Any:
    page = training.list_certifications(db.session(), g.user, page=_int_arg("page"), per_page=50)
    names = {p.id: p.name for p in training.list_paths(db.session(), g.user, per_page=200).items}
    people = {
        u.id: u.display_name
        for u in db.session().query(User).filter(User.id.in_({c.user_id for c in page.items}))
    }
    return render_template(
        "training/certifications.html",
        page=page,
        names=names,
        people=people,
        is_current=training.is_current,
    )


@bp.get("/training/leaderboard")
@login_required
def leaderboard() -> Any:
    board = training.leaderboard(db.session(), g.user)
    ranking = (
        training.partner_ranking(db.session(), g.user)
        if access.has(g.user, Right.VIEW_ALL_PARTNERS)
        else []
    )
    return render_template(
        "training/leaderboard.html", board=board, ranking=ranking, badges=training.BADGES
    )


# -- the vendor's editor ---------------------------------------------------------------------


def questions_text(questions: list[dict[str, Any]]) -> str:
    """A quiz back in the editor's textarea format (the inverse of ``parse_questions``)."""
    return "\n\n".join(
        "\n".join(
            [
                q["text"],
                *(("*" if i == q["answer"] else "") + c for i, c in enumerate(q["choices"])),
            ]
        )
        for q in questions
    )


def _field_errors(errors: dict[str, str] | None) -> dict[str, str]:
    """The domain's per-question problems ("questions.2.answer") shown at the quiz box, in
    words: question 3."""
    out: dict[str, str] = {}
    for key, message in (errors or {}).items():
        parts = key.split(".")
        if parts[0] == "questions" and len(parts) > 1 and parts[1].isdigit():
            what = {"answer": "mark the right choice with *", "choices": message}.get(
                parts[2] if len(parts) > 2 else "", message
            )
            out.setdefault("questions", f"question {int(parts[1]) + 1}: {what}")
        elif key == "course_ids" and message.startswith("must list"):
            out[key] = "give at least one course (at most 30) its place in the path"
        else:
            out[key] = message
    return out


def _in_words(exc: DomainError) -> str:
    """The page's summary: the field problems are told next to each field, in words (the
    domain's own summary names fields by their internal names)."""
    return "Please correct what is marked below." if exc.fields else exc.message


def _course_form(form: MultiDict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "url": form.get("url", "").strip(),
        "questions": parse_questions(form.get("questions", "")),
    }
    for name in ("pass_percent", "points"):
        raw = form.get(name, "").strip()
        if raw:
            values[name] = number if (number := _digits(raw, 4)) is not None else raw
    return values


def _path_form(form: MultiDict[str, str], courses: list[Any]) -> dict[str, Any]:
    """The path's courses from one position box per course: blank leaves it out, numbers
    give the order (ties by the catalogue's order)."""
    chosen: list[tuple[int, int, int]] = []
    for n, course in enumerate(courses):
        raw = form.get(f"position_{course.id}", "").strip()
        if raw:
            position = _digits(raw, 3)
            chosen.append((position if position is not None else 999, n, course.id))
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        "role": form.get("role", ""),
        "description": form.get("description", ""),
        "course_ids": [cid for _, _, cid in sorted(chosen)],
    }
    for name, width in (("validity_days", 5), ("points", 4)):
        raw = form.get(name, "").strip()
        if raw:
            values[name] = number if (number := _digits(raw, width)) is not None else raw
    return values


def _editor(errors: dict[str, str] | None = None, **extra: Any) -> Any:
    access.ensure_vendor(g.user, Right.MANAGE_TRAINING)
    session = db.session()
    courses = training.list_courses(session, g.user, per_page=200).items
    paths = training.list_paths(session, g.user, per_page=200).items
    titles = {c.id: c.title for c in courses}
    return render_template(
        "training/manage.html",
        courses=courses,
        paths=paths,
        titles=titles,
        roles=TrainingRole,
        errors=_field_errors(errors),
        values=extra.pop("values", {}),
        **extra,
    )


@bp.get("/training/manage")
@login_required
def manage() -> Any:
    return _editor()


@bp.post("/training/manage/courses")
@login_required
def course_create() -> Any:
    access.ensure_vendor(g.user, Right.MANAGE_TRAINING)
    form = request.form
    values = _course_form(form)
    upload = request.files.get("file")
    try:
        created = training.create_course(db.session(), g.user, values)
        if upload is not None and upload.filename:
            training.attach_file(
                db.session(), g.user, storage(), created.id, upload.filename, upload.read()
            )
    except (NotFoundError, PermissionDeniedError):
        raise
    except DomainError as exc:
        db.session().rollback()
        return _editor(exc.fields, error=_in_words(exc), values=form), 422
    db.session().commit()
    flash(f"Course {created.title} added.", "success")
    return redirect(url_for("portal_training.manage"))


@bp.route("/training/manage/courses/<id:course_id>", methods=["GET", "POST"])
@login_required
def course_edit(course_id: int) -> Any:
    access.ensure_vendor(g.user, Right.MANAGE_TRAINING)
    session = db.session()
    course = training.get_course(session, g.user, course_id)
    errors: dict[str, str] = {}
    error = ""
    values: Any = {}
    if request.method == "POST":
        values = _course_form(request.form)
        values["published"] = request.form.get("published") == "1"
        upload = request.files.get("file")
        try:
            training.update_course(session, g.user, course.id, values)
            if upload is not None and upload.filename:
                training.attach_file(
                    session, g.user, storage(), course.id, upload.filename, upload.read()
                )
        except (NotFoundError, PermissionDeniedError):
            raise
        except DomainError as exc:
            session.rollback()
            errors, error, values = exc.fields, _in_words(exc), request.form
        else:
            session.commit()
            flash(f"Course {course.title} saved.", "success")
            return redirect(url_for("portal_training.manage"))
    else:
        values = {
            "title": course.title,
            "description": course.description,
            "url": course.url,
            "pass_percent": course.pass_percent,
            "points": course.points,
            "questions": questions_text(course.questions),
            "published": "1" if course.published else "",
        }
    page = render_template(
        "training/course_edit.html",
        course=course,
        in_paths=training.paths_with(session, course.id),
        values=values,
        errors=_field_errors(errors),
        error=error,
    )
    return page, (422 if errors or error else 200)


@bp.post("/training/manage/courses/<id:course_id>/delete")
@login_required
def course_delete(course_id: int) -> Any:
    access.ensure_vendor(g.user, Right.MANAGE_TRAINING)
    session = db.session()
    title = training.get_course(session, g.user, course_id).title
    try:
        outcome = training.delete_course(session, g.user, course_id)
    except (NotFoundError, PermissionDeniedError):
        raise
    except DomainError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("portal_training.course_edit", course_id=course_id))
    session.commit()
    if outcome == "archived":
        flash(
            f"{title} is archived: people passed it, so their completions and certifications "
            "stay; learners no longer see it.",
            "success",
        )
    else:
        flash(f"{title} is deleted.", "success")
    return redirect(url_for("portal_training.manage"))


@bp.route("/training/manage/paths/<id:path_id>", methods=["GET", "POST"])
@login_required
def path_edit(path_id: int) -> Any:
    access.ensure_vendor(g.user, Right.MANAGE_TRAINING)
    session = db.session()
    path = training.get_path(session, g.user, path_id)
    courses = training.list_courses(session, g.user, per_page=200).items
    errors: dict[str, str] = {}
    error = ""
    if request.method == "POST":
        try:
            training.update_path(session, g.user, path.id, _path_form(request.form, courses))
        except (NotFoundError, PermissionDeniedError):
            raise
        except DomainError as exc:
            session.rollback()
            errors, error = exc.fields, _in_words(exc)
            values: Any = request.form
        else:
            session.commit()
            flash(f"Learning path {path.name} saved.", "success")
            return redirect(url_for("portal_training.manage"))
    else:
        values = {
            "name": path.name,
            "role": path.role,
            "description": path.description,
            "validity_days": path.validity_days,
            "points": path.points,
            **{f"position_{cid}": str(n) for n, cid in enumerate(path.course_ids, start=1)},
        }
    page = render_template(
        "training/path_edit.html",
        path=path,
        courses=[c for c in courses if c.published or c.id in path.course_ids],
        roles=TrainingRole,
        values=values,
        errors=_field_errors(errors),
        error=error,
    )
    return page, (422 if errors or error else 200)


@bp.post("/training/manage/paths")
@login_required
def path_create() -> Any:
    access.ensure_vendor(g.user, Right.MANAGE_TRAINING)
    form = request.form
    ids = [n for v in form.getlist("course_ids") if (n := _digits(v, 9)) is not None]
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        "role": form.get("role", ""),
        "code": form.get("code", "").strip(),
        "description": form.get("description", ""),
        "course_ids": ids,
    }
    raw = form.get("validity_days", "").strip()
    if raw:
        values["validity_days"] = number if (number := _digits(raw, 5)) is not None else raw
    try:
        created = training.create_path(db.session(), g.user, values)
    except (NotFoundError, PermissionDeniedError):
        raise
    except DomainError as exc:
        db.session().rollback()
        return _editor(exc.fields, error=exc.message, values=form), 422
    db.session().commit()
    flash(f"Learning path {created.name} added.", "success")
    return redirect(url_for("portal_training.manage"))


# -- the data processing addendum --------------------------------------------------------------


@bp.route("/dpa", methods=["GET", "POST"])
@login_required
def dpa() -> Any:
    access.ensure_status(g.user, access.Area.ORGANISATION)
    status = 200
    errors: dict[str, str] = {}
    error = None
    if request.method == "POST":
        try:
            if g.user.is_vendor:
                training.publish_dpa(
                    db.session(), g.user, request.form.get("version"), request.form.get("text")
                )
                message = "Published: every partner signs it before leads open again."
            else:
                version = _digits(request.form.get("version_id", ""), 9) or 0
                assert g.user.partner_id is not None
                training.sign_dpa(db.session(), g.user, g.user.partner_id, version)
                message = "Signed. Thank you."
        except (NotFoundError, PermissionDeniedError):
            raise
        except DomainError as exc:
            db.session().rollback()
            errors, error, status = exc.fields, exc.message, 422
        else:
            db.session().commit()
            flash(message, "success")
            return redirect(url_for("portal_training.dpa"))
    partner = g.user.partner
    return render_template(
        "training/dpa.html",
        current=training.current_dpa(db.session()),
        signed=partner is not None and access.dpa_signed(partner),
        can_sign=access.has(g.user, Right.SIGN_DPA),
        can_publish=access.has(g.user, Right.MANAGE_PARTNERS),
        errors=errors,
        error=error,
        values=request.form,
    ), status


# -- the public application form, and the vendor's queue -------------------------------------


def _application_values(form: MultiDict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        k: form.get(k, "").strip()
        for k in (
            "company",
            "contact_name",
            "contact_email",
            "country",
            "region",
            "type",
            "website",
            "message",
        )
    }
    values["country"] = values["country"].upper()
    values["business_model"] = form.get("business_model") or None
    values["verticals"] = _list_field(form, "verticals")
    return values


def _apply_page(**extra: Any) -> Any:
    return render_template(
        "training/apply.html",
        types=PartnerType,
        regions=Region,
        models=BusinessModel,
        errors=extra.pop("errors", {}),
        values=extra.pop("values", {}),
        **extra,
    )


@bp.get("/apply")
def apply_page() -> Any:
    return _apply_page()


@bp.post("/apply")
def apply_submit() -> Any:
    try:
        limiter().consume(
            current_app.config["APPLICATION_LIMIT_PER_ADDRESS"], "apply-addr", client_address()
        )
        training.submit_application(db.session(), _application_values(request.form))
    except RateLimited as exc:
        return _apply_page(error=exc.message, values=request.form), 429
    except DomainError as exc:
        db.session().rollback()
        return _apply_page(errors=exc.fields, error=exc.message, values=request.form), 422
    db.session().commit()
    return _apply_page(sent=True)


@bp.get("/applications")
@login_required
def applications() -> Any:
    raw = request.args.get("status", "pending")
    status = ApplicationStatus(raw) if raw in ApplicationStatus._value2member_map_ else None
    page = training.list_applications(
        db.session(), g.user, status=status, page=_int_arg("page"), per_page=25
    )
    return render_template(
        "training/applications.html", page=page, status=status, statuses=ApplicationStatus
    )


@bp.post("/applications/<id:application_id>/decide")
@login_required
def application_decide(application_id: int) -> Any:
    decision = request.form.get("decision", "")
    if decision not in ("approve", "reject"):
        abort(400, "Choose approve or reject.")
    try:
        decided = training.decide_application(
            db.session(),
            g.user,
            application_id,
            approve=decision == "approve",
            note=request.form.get("note", ""),
        )
    except (NotFoundError, PermissionDeniedError):
        raise
    except DomainError as exc:
        db.session().rollback()
        flash_error(exc)
        return redirect(url_for("portal_training.applications"))
    db.session().commit()
    found = decided.application
    if decided.invitation is not None:
        # Shown here, once: the link is the only way into the new account, and only its hash
        # is kept. Rendered, not redirected, so the token never sits in a cookie.
        base = current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")
        return render_template(
            "training/invited.html",
            application=found,
            invitation=decided.invitation,
            url=base + decided.invitation.path(),
            message=invitations.message(decided.invitation, base, found.company),
        )
    flash(f"Application of {found.company} rejected.", "success")
    return redirect(url_for("portal_training.applications"))


def _invitation(body: str, status: int = 200) -> Response:
    """The link's page: its URL holds the token, so no Referer carries it anywhere."""
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/invitation/<token>")
def invitation_page(token: str) -> Any:
    found = invitations.find(db.session(), token)
    if found is None:
        return _invitation(
            render_template("invitation.html", invalid=invitations.INVALID_LINK, errors={}), 404
        )
    return _invitation(
        render_template("invitation.html", invited=found.user, token=token, errors={})
    )


@bp.post("/invitation/<token>")
def invitation_submit(token: str) -> Any:
    try:
        user = invitations.accept(
            db.session(), token, request.form.get("password", ""), request.form.get("confirm", "")
        )
    except NotFoundError as exc:
        db.session().rollback()
        return _invitation(render_template("invitation.html", invalid=exc.message, errors={}), 404)
    except DomainError as exc:
        db.session().rollback()
        found = invitations.find(db.session(), token)
        page = render_template(
            "invitation.html",
            invited=found.user if found else None,
            token=token,
            errors=exc.fields,
            error=exc.message,
        )
        return _invitation(page, 422)
    start_session(db.session(), user)
    db.session().commit()
    flash("Your password is set: welcome. Your onboarding checklist is below.", "success")
    return redirect(url_for("portal.dashboard"))


@bp.route("/onboarding-rules", methods=["GET", "POST"])
@login_required
def rules() -> Any:
    access.ensure_vendor(g.user, Right.MANAGE_PARTNERS)
    errors: dict[str, str] = {}
    error = None
    status = 200
    if request.method == "POST":
        form = request.form
        values: dict[str, Any] = {
            "name": form.get("name", ""),
            "vertical": form.get("vertical", "").strip(),
            "business_model": form.get("business_model", ""),
            "path_ids": [n for v in form.getlist("path_ids") if (n := _digits(v, 9)) is not None],
            "categories": _list_field(form, "categories"),
            "channel_manager_id": _digits(form.get("channel_manager_id", ""), 9),
        }
        raw = form.get("priority", "").strip()
        if raw:
            values["priority"] = number if (number := _digits(raw, 4)) is not None else raw
        try:
            training.create_rule(db.session(), g.user, values)
        except DomainError as exc:
            db.session().rollback()
            errors, error, status = exc.fields, exc.message, 422
        else:
            db.session().commit()
            flash("Rule added.", "success")
            return redirect(url_for("portal_training.rules"))
    managers = db.session().query(User).filter(User.role == Role.CHANNEL_MANAGER, User.active)
    return render_template(
        "training/rules.html",
        rules=training.list_rules(db.session(), g.user),
        paths=training.list_paths(db.session(), g.user, per_page=200).items,
        managers=list(managers),
        models=BusinessModel,
        errors=errors,
        error=error,
        values=request.form,
    ), status


@bp.post("/onboarding-rules/<id:rule_id>/delete")
@login_required
def rule_delete(rule_id: int) -> Any:
    training.delete_rule(db.session(), g.user, rule_id)
    db.session().commit()
    flash("Rule deleted.", "success")
    return redirect(url_for("portal_training.rules"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
