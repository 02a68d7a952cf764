"""Courses (a link or an uploaded PDF, with a quiz and a pass mark) and learning paths."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import asset_engine
from prm_domain import access, audit, validation
from prm_domain.access import Right
from prm_domain.assets import MAX_TEMPLATE_BYTES, sanitize_template
from prm_domain.enums import AssetKind, TrainingRole
from prm_domain.errors import Conflict, NotFound, ValidationError
from prm_domain.models import Course, CourseCompletion, LearningPath, QuizAttempt, User
from prm_domain.pagination import Page, paginate
from prm_domain.storage import Storage

COURSE_FIELDS = ("title", "description", "url", "questions", "pass_percent", "points", "published")
PATH_FIELDS = ("name", "role", "description", "course_ids", "code", "validity_days", "points")
MAX_QUESTIONS = 20
MAX_CHOICES = 6


def ensure_learner(actor: User) -> None:
    """Anyone of a partner whose status opens the organisation, and vendor staff (preview)."""
    access.ensure_status(actor, access.Area.ORGANISATION)


def _whole(field: str, low: int, high: int) -> Callable[[Any], int]:
    def rule(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise validation.fail(field, f"must be a whole number from {low} to {high}")
        return value

    return rule


def _flag(field: str) -> Callable[[Any], bool]:
    def rule(value: Any) -> bool:
        if not isinstance(value, bool):
            raise validation.fail(field, "must be true or false")
        return value

    return rule


def clean_questions(value: Any) -> list[dict[str, Any]]:
    """``[{"text", "choices", "answer"}]`` checked: 2 to 6 choices, the answer one of them."""
    if not isinstance(value, list) or len(value) > MAX_QUESTIONS:
        raise validation.fail("questions", f"must be a list of at most {MAX_QUESTIONS} questions")
    out: list[dict[str, Any]] = []
    for i, q in enumerate(value):
        where = f"questions.{i}"
        if not isinstance(q, Mapping) or set(q) != {"text", "choices", "answer"}:
            raise validation.fail(where, "must be an object with text, choices and answer")
        text = validation.text(f"{where}.text", q["text"], max_len=500)
        choices = q["choices"]
        if not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES:
            raise validation.fail(f"{where}.choices", f"must list 2 to {MAX_CHOICES} choices")
        clean_choices = [
            validation.text(f"{where}.choices.{j}", c, max_len=200) for j, c in enumerate(choices)
        ]
        answer = _whole(f"{where}.answer", 0, len(clean_choices) - 1)(q["answer"])
        out.append({"text": text, "choices": clean_choices, "answer": answer})
    return out


def _clean(values: Mapping[str, Any], fields: tuple[str, ...], rules: dict[str, Any]) -> Any:
    problems = {f: "unknown field" for f in values if f not in fields}
    clean: dict[str, Any] = {}
    for field, value in values.items():
        if field in rules:
            try:
                clean[field] = rules[field](value)
            except ValidationError as exc:
                problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    return clean


def _course_rules() -> dict[str, Callable[[Any], Any]]:
    return {
        "title": lambda v: validation.text("title", v, max_len=200),
        "description": lambda v: validation.text("description", v, max_len=2000, required=False),
        "url": lambda v: validation.http_url("url", v, allow_loopback=False) if v else "",
        "questions": clean_questions,
        "pass_percent": _whole("pass_percent", 0, 100),
        "points": _whole("points", 0, 1000),
        "published": _flag("published"),
    }


def _unique(session: Session, model: Any, column: Any, value: str, field: str, own: int) -> None:
    clash = session.scalar(
        select(model.id).where(func.lower(column) == value.lower(), model.id != own)
    )
    if clash is not None:
        raise Conflict(f"{value!r} is used already.", {field: "already used"})


def list_courses(
    session: Session, actor: User, *, q: str | None = None, page: int = 1, per_page: int = 50
) -> Page[Course]:
    ensure_learner(actor)
    stmt = select(Course).order_by(Course.title, Course.id)
    if not access.has(actor, Right.MANAGE_TRAINING):
        stmt = stmt.where(Course.published.is_(True))
    if q:
        stmt = stmt.where(Course.title.ilike(f"%{q.replace('%', '').replace('_', '')}%"))
    return paginate(session, stmt, page=page, per_page=per_page)


def get_course(session: Session, actor: User, course_id: int) -> Course:
    ensure_learner(actor)
    course = session.get(Course, course_id)
    if course is None or not (course.published or access.has(actor, Right.MANAGE_TRAINING)):
        raise NotFound("Course not found.")
    return course


def public_questions(course: Course) -> list[dict[str, Any]]:
    """The quiz as a learner gets it: questions and choices, never the answers."""
    return [{"text": q["text"], "choices": list(q["choices"])} for q in course.questions]


def create_course(session: Session, actor: User, values: Mapping[str, Any]) -> Course:
    access.require(actor, Right.MANAGE_TRAINING)
    if "title" not in values:
        raise ValidationError.for_fields({"title": "is required"})
    clean = _clean(values, COURSE_FIELDS, _course_rules())
    _unique(session, Course, Course.title, clean["title"], "title", 0)
    course = Course(**clean)
    session.add(course)
    session.flush()
    audit.record(session, actor, "course.created", course, {"title": course.title})
    return course


def update_course(
    session: Session, actor: User, course_id: int, values: Mapping[str, Any]
) -> Course:
    access.require(actor, Right.MANAGE_TRAINING)
    course = get_course(session, actor, course_id)
    clean = _clean(values, COURSE_FIELDS, _course_rules())
    if "title" in clean:
        _unique(session, Course, Course.title, clean["title"], "title", course.id)
    changes = audit.diff(course, clean)
    for field, value in clean.items():
        setattr(course, field, value)
    session.flush()
    if changes:
        audit.record(session, actor, "course.updated", course, changes)
    return course


def paths_with(session: Session, course_id: int) -> list[LearningPath]:
    return [
        p
        for p in session.scalars(select(LearningPath).order_by(LearningPath.name))
        if course_id in p.course_ids
    ]


def delete_course(session: Session, actor: User, course_id: int) -> str:
    """Delete a course nobody took, or archive one people passed: their completions, points
    and the certifications built on them stay. Refused while a learning path lists it (the
    path would change under its learners): take it out of the path first.

    Returns ``"deleted"`` or ``"archived"``."""
    access.require(actor, Right.MANAGE_TRAINING)
    course = get_course(session, actor, course_id)
    in_paths = paths_with(session, course.id)
    if in_paths:
        names = ", ".join(p.name for p in in_paths)
        raise Conflict(
            f"{course.title} is in the learning path {names}: take it out of the path first.",
            {"course": f"is in the learning path {names}"},
        )
    taken = session.scalar(
        select(func.count()).where(CourseCompletion.course_id == course.id)
    ) or session.scalar(select(func.count()).where(QuizAttempt.course_id == course.id))
    if taken:
        if course.published:
            course.published = False
            session.flush()
        audit.record(session, actor, "course.archived", course, {"title": course.title})
        return "archived"
    audit.record(session, actor, "course.deleted", course, {"title": course.title})
    session.delete(course)
    session.flush()
    return "deleted"


def attach_file(
    session: Session, actor: User, storage: Storage, course_id: int, filename: str, data: bytes
) -> Course:
    """The course's content as a PDF, checked by its bytes and stored without active content,
    by the library's own rules for templates."""
    access.require(actor, Right.MANAGE_TRAINING)
    course = get_course(session, actor, course_id)
    name = validation.text("filename", filename or "course.pdf", max_len=255)
    if not data:
        raise ValidationError("The file is empty.", {"file": "is empty"})
    if len(data) > MAX_TEMPLATE_BYTES:
        raise ValidationError("The file is too large.", {"file": "too large"})
    data, removed = sanitize_template(AssetKind.PDF, data)
    try:
        asset_engine.inspect_pdf(data)
    except asset_engine.AssetError as exc:
        raise ValidationError(str(exc), {"file": str(exc)}) from None
    course.file_key = storage.put(data)
    course.filename = name
    session.flush()
    audit.record(
        session, actor, "course.file_added", course, {"filename": name, "removed": removed}
    )
    return course


def course_file(session: Session, actor: User, storage: Storage, course_id: int) -> bytes:
    course = get_course(session, actor, course_id)
    if course.file_key is None:
        raise NotFound("This course has no file.")
    return storage.get(course.file_key)


# -- learning paths --------------------------------------------------------------------------


def _course_ids(session: Session) -> Callable[[Any], list[int]]:
    def rule(value: Any) -> list[int]:
        if (
            not isinstance(value, list)
            or not 1 <= len(value) <= 30
            or any(
                not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= validation.MAX_ID
                for v in value
            )
            or len(set(value)) != len(value)
        ):
            raise validation.fail("course_ids", "must list 1 to 30 different course ids")
        known: dict[int, bool] = {
            cid: published
            for cid, published in session.execute(
                select(Course.id, Course.published).where(Course.id.in_(value))
            )
        }
        if set(known) != set(value):
            raise validation.fail("course_ids", "names a course that does not exist")
        if not all(known.values()):
            raise validation.fail("course_ids", "names an archived course")
        return list(value)

    return rule


def _code(value: Any) -> str:
    text = validation.text("code", value, max_len=40)
    if not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise validation.fail("code", "letters, digits, '-' and '_' only")
    return text


def list_paths(
    session: Session, actor: User, *, page: int = 1, per_page: int = 50
) -> Page[LearningPath]:
    ensure_learner(actor)
    stmt = select(LearningPath).order_by(LearningPath.role, LearningPath.name, LearningPath.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def get_path(session: Session, actor: User, path_id: int) -> LearningPath:
    ensure_learner(actor)
    path = session.get(LearningPath, path_id)
    if path is None:
        raise NotFound("Learning path not found.")
    return path


def create_path(session: Session, actor: User, values: Mapping[str, Any]) -> LearningPath:
    access.require(actor, Right.MANAGE_TRAINING)
    missing = {f: "is required" for f in ("name", "role", "course_ids", "code") if f not in values}
    if missing:
        raise ValidationError.for_fields(missing)
    rules: dict[str, Callable[[Any], Any]] = {
        "name": lambda v: validation.text("name", v, max_len=200),
        "role": lambda v: validation.choice("role", v, TrainingRole).value,
        "description": lambda v: validation.text("description", v, max_len=2000, required=False),
        "course_ids": _course_ids(session),
        "code": _code,
        "validity_days": _whole("validity_days", 30, 3650),
        "points": _whole("points", 0, 1000),
    }
    clean = _clean(values, PATH_FIELDS, rules)
    _unique(session, LearningPath, LearningPath.name, clean["name"], "name", 0)
    _unique(session, LearningPath, LearningPath.code, clean["code"], "code", 0)
    path = LearningPath(**clean)
    session.add(path)
    session.flush()
    audit.record(session, actor, "learning_path.created", path, {"name": path.name})
    return path


def update_path(
    session: Session, actor: User, path_id: int, values: Mapping[str, Any]
) -> LearningPath:
    """Rename, re-role, re-order, add or remove courses, change the validity. The code stays:
    the certifications people hold carry it. A new validity counts from the next grant or
    renewal; certifications already held keep their dates."""
    access.require(actor, Right.MANAGE_TRAINING)
    path = get_path(session, actor, path_id)
    if "code" in values:
        raise ValidationError.for_fields(
            {"code": "cannot change: the certifications people hold carry it"}
        )
    rules: dict[str, Callable[[Any], Any]] = {
        "name": lambda v: validation.text("name", v, max_len=200),
        "role": lambda v: validation.choice("role", v, TrainingRole).value,
        "description": lambda v: validation.text("description", v, max_len=2000, required=False),
        "course_ids": _course_ids(session),
        "validity_days": _whole("validity_days", 30, 3650),
        "points": _whole("points", 0, 1000),
    }
    clean = _clean(values, tuple(f for f in PATH_FIELDS if f != "code"), rules)
    if "name" in clean:
        _unique(session, LearningPath, LearningPath.name, clean["name"], "name", path.id)
    changes = audit.diff(path, clean)
    for field, value in clean.items():
        setattr(path, field, value)
    session.flush()
    if changes:
        audit.record(session, actor, "learning_path.updated", path, changes)
    return path


def courses_of(session: Session, path: LearningPath) -> list[Course]:
    found = {c.id: c for c in session.scalars(select(Course).where(Course.id.in_(path.course_ids)))}
    return [found[i] for i in path.course_ids if i in found]
