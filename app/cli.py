"""Command line: ``cobrand serve | migrate | demo | create-admin`` (plus Flask's own commands)."""

from __future__ import annotations

import contextlib
import errno
import getpass
import os
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from app import db
from app.storage import storage
from prm_domain import DomainError, demo, users
from prm_domain.database import upgrade


def _migrate() -> None:
    upgrade(db.get_db().engine)


def _demo(base_url: str) -> list[demo.DemoLogin]:
    """Load the demo; ``base_url`` (where the portal answers) makes its published links absolute."""
    base_url = current_app.config["PUBLIC_BASE_URL"] or base_url
    with db.get_db().sessionmaker() as session:
        logins = demo.load(session, storage(), base_url)
        session.commit()
    return logins


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Upgrade the database to the newest schema."""
    _migrate()
    click.echo("database is at the newest revision")


@click.command("demo")
@click.option(
    "--scale",
    is_flag=True,
    help="Add the size-up data set: 1,000 partners, 10,000 assets and items, 1,000 embeds, "
    "100,000 leads and a year of daily events (for benchmarks).",
)
@click.option("--partners", default=1_000, show_default=True, help="With --scale.")
@click.option("--leads", default=100_000, show_default=True, help="With --scale.")
@with_appcontext
def demo_command(scale: bool, partners: int, leads: int) -> None:
    """Load the demo data (idempotent) and print the demo logins."""
    if scale:
        from prm_domain import demo_scale

        size = demo_scale.ScaleSize(partners=partners, embeds=partners, leads=leads)
        with db.get_db().sessionmaker() as session:
            report = demo_scale.load(session, storage(), size)
            session.commit()
        if not report.created:
            click.echo("the size-up data set is already loaded")
        for name, count in report.counts.items():
            click.echo(f"{name}: {count:,}")
    for login in _demo("http://127.0.0.1:5000"):
        click.echo(f"{login.role}: {login.email} / {login.password}")


@click.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", "display_name", default="Administrator")
@with_appcontext
def create_admin_command(email: str, display_name: str) -> None:
    """Create a vendor admin; the password comes from COBRAND_ADMIN_PASSWORD or a prompt."""
    password = os.environ.get("COBRAND_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    with db.get_db().sessionmaker() as session:
        try:
            users.create_vendor_user(
                session,
                None,
                {
                    "email": email,
                    "password": password,
                    "display_name": display_name,
                    "role": "vendor_admin",
                },
            )
        except DomainError as exc:
            raise click.ClickException(f"{exc.message} {exc.fields or ''}".strip()) from None
        session.commit()
    click.echo(f"vendor_admin {email} created")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    default=lambda: int(os.environ.get("PORT", "5000")),
    type=int,
    show_default="5000 or $PORT",
)
@click.option("--no-demo", is_flag=True, help="Do not load the demo data.")
@with_appcontext
def serve_command(host: str, port: int, no_demo: bool) -> None:
    """Migrate, load the demo data and serve the embedded default (one process, threads)."""
    from werkzeug.serving import make_server

    from app.celery_app import start_in_process_beat

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    _migrate()
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        server = make_server(host, 0, app, threaded=True)  # the asked port is taken: any free one
    url = f"http://{host}:{server.server_port}"
    logins = [] if no_demo else _demo(url)
    if not app.config["REDIS_URL"]:
        start_in_process_beat(app)
    click.echo(f"Cobrand is serving at {url}")
    for login in logins:
        click.echo(f"{login.role}: {login.email} / {login.password}")
    click.echo("Press Ctrl+C to stop.")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


def init_app(app: Flask) -> None:
    for command in (migrate_command, demo_command, create_admin_command, serve_command):
        app.cli.add_command(command)


def main() -> None:
    from app import create_app

    FlaskGroup(create_app=create_app, add_version_option=False, load_dotenv=False)()
