"""training: courses, learning paths, enrolments, quiz attempts, certifications; the data
processing addendum; partner applications and onboarding rules

Revision ID: 0013_training
Revises: 0012_lead_routing
Create Date: 2026-11-29 15:36:03.807343

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import prm_domain.base

# revision identifiers, used by Alembic.
revision: str = "0013_training"
down_revision: str | Sequence[str] | None = "0012_lead_routing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("file_key", sa.String(length=64), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("pass_percent", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course")),
        sa.UniqueConstraint("title", name=op.f("uq_course_title")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "learning_path",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("course_ids", sa.JSON(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("validity_days", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("created_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_path")),
        sa.UniqueConstraint("code", name=op.f("uq_learning_path_code")),
        sa.UniqueConstraint("name", name=op.f("uq_learning_path_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "certification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("granted_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("renewals", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reminded_for", prm_domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_certification_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["path_id"],
            ["learning_path.id"],
            name=op.f("fk_certification_path_id_learning_path"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_certification_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification")),
        sa.UniqueConstraint("user_id", "path_id", name=op.f("uq_certification_user_id")),
    )
    with op.batch_alter_table("certification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certification_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_certification_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_certification_user_id"), ["user_id"], unique=False)

    op.create_table(
        "course_completion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("completed_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_course_completion_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_course_completion_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_course_completion_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_completion")),
        sa.UniqueConstraint("user_id", "course_id", name=op.f("uq_course_completion_user_id")),
    )
    with op.batch_alter_table("course_completion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_completion_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_course_completion_user_id"), ["user_id"], unique=False)

    op.create_table(
        "dpa_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["user_account.id"],
            name=op.f("fk_dpa_version_published_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dpa_version")),
        sa.UniqueConstraint("version", name=op.f("uq_dpa_version_version")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "path_enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("enrolled_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", prm_domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_path_enrolment_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["path_id"],
            ["learning_path.id"],
            name=op.f("fk_path_enrolment_path_id_learning_path"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_path_enrolment_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_path_enrolment")),
        sa.UniqueConstraint("user_id", "path_id", name=op.f("uq_path_enrolment_user_id")),
    )
    with op.batch_alter_table("path_enrolment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_path_enrolment_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_path_enrolment_user_id"), ["user_id"], unique=False)

    op.create_table(
        "onboarding_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("vertical", sa.String(length=40), nullable=False),
        sa.Column("business_model", sa.String(length=32), nullable=False),
        sa.Column("path_ids", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("channel_manager_id", sa.Integer(), nullable=True),
        sa.Column("created_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_manager_id"],
            ["user_account.id"],
            name=op.f("fk_onboarding_rule_channel_manager_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_rule")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "partner_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=120), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("business_model", sa.String(length=32), nullable=True),
        sa.Column("verticals", sa.JSON(), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=False),
        sa.Column("message", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", prm_domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=False),
        sa.Column("created_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_partner_application_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_partner_application_partner_id_partner"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_application")),
    )
    with op.batch_alter_table("partner_application", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_application_status"), ["status"], unique=False)

    op.create_table(
        "quiz_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("score_percent", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_quiz_attempt_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_quiz_attempt_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_quiz_attempt_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_attempt")),
    )
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quiz_attempt_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_quiz_attempt_user_id"), ["user_id"], unique=False)

    op.create_table(
        "dpa_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_dpa_signature_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_dpa_signature_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dpa_version.id"],
            name=op.f("fk_dpa_signature_version_id_dpa_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dpa_signature")),
        sa.UniqueConstraint("partner_id", "version_id", name=op.f("uq_dpa_signature_partner_id")),
    )
    with op.batch_alter_table("dpa_signature", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dpa_signature_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "partner_onboarding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("path_ids", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("channel_manager_id", sa.Integer(), nullable=True),
        sa.Column("created_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_manager_id"],
            ["user_account.id"],
            name=op.f("fk_partner_onboarding_channel_manager_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_partner_onboarding_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["onboarding_rule.id"],
            name=op.f("fk_partner_onboarding_rule_id_onboarding_rule"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_onboarding")),
        sa.UniqueConstraint("partner_id", name=op.f("uq_partner_onboarding_partner_id")),
    )


def downgrade() -> None:
    op.drop_table("partner_onboarding")
    with op.batch_alter_table("dpa_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dpa_signature_partner_id"))

    op.drop_table("dpa_signature")
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quiz_attempt_user_id"))
        batch_op.drop_index(batch_op.f("ix_quiz_attempt_partner_id"))

    op.drop_table("quiz_attempt")
    with op.batch_alter_table("partner_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_application_status"))

    op.drop_table("partner_application")
    op.drop_table("onboarding_rule")
    with op.batch_alter_table("path_enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_path_enrolment_user_id"))
        batch_op.drop_index(batch_op.f("ix_path_enrolment_partner_id"))

    op.drop_table("path_enrolment")
    op.drop_table("dpa_version")
    with op.batch_alter_table("course_completion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_completion_user_id"))
        batch_op.drop_index(batch_op.f("ix_course_completion_partner_id"))

    op.drop_table("course_completion")
    with op.batch_alter_table("certification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certification_user_id"))
        batch_op.drop_index(batch_op.f("ix_certification_partner_id"))
        batch_op.drop_index(batch_op.f("ix_certification_expires_at"))

    op.drop_table("certification")
    op.drop_table("learning_path")
    op.drop_table("course")
