"""Portal page of a partner's publishing channels, with the OAuth 2 connect flow for LinkedIn
and X: authorization code with ``state`` and PKCE (S256); the callback exchanges the code at
the service's token endpoint and stores the tokens sealed. Same pattern as ``app.portal``."""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from app import db
from app.auth import login_required
from app.portal import _digits, _int_arg
from app.publishing import publishing_config
from prm_domain import DomainError, access, channels
from prm_domain.enums import ChannelKind
from prm_domain.publishing import oauth
from prm_domain.publishing.http import request as http_request

bp = Blueprint("portal_channels", __name__)
PER_PAGE = 25
SCOPES = {
    ChannelKind.LINKEDIN: "openid profile w_member_social",
    ChannelKind.X: "tweet.read tweet.write users.read media.write offline.access",
}
LABELS = {kind: kind.label for kind in ChannelKind}


def _may_manage() -> None:
    access.require(g.user, access.Right.MANAGE_OWN_CHANNELS, "Only your admins manage channels.")


def _list_page(
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    kind: str = "",
    status: int = 200,
) -> Any:
    page = channels.list_channels(db.session(), g.user, page=_int_arg("page"), per_page=PER_PAGE)
    c = current_app.config
    return render_template(
        "channels.html",
        page=page,
        labels=LABELS,
        lost=channels.needing_reconnect(db.session(), g.user),
        oauth_ready={
            "linkedin": bool(c["LINKEDIN_CLIENT_ID"]),
            "x": bool(c["X_CLIENT_ID"]),
        },
        security_choices=SECURITY_CHOICES,
        errors=errors or {},
        # What was typed, to fill the form again after an error; passwords and secrets are
        # never among it (they are typed again).
        form=form or {},
        failed_kind=kind,
    ), status


@bp.get("/channels")
@login_required
def channel_list() -> Any:
    _may_manage()
    return _list_page()


SECURITY_CHOICES = (
    ("starttls", "STARTTLS (usually port 587)"),
    ("ssl", "TLS from the start (usually port 465)"),
    ("none", "None (not encrypted: intranet servers only)"),
)
# The domain's words for a field, where they would name internal values to a person.
FORM_MESSAGES = {
    "security": "choose how the connection is secured",
    "port": "must be a port number from 1 to 65535",
}
KEPT = {
    "smtp": ("name", "host", "port", "security", "from", "username"),
    "webhook": ("name", "url"),
}


@bp.post("/channels/add/<any(smtp, webhook):service>")
@login_required
def channel_add(service: str) -> Any:
    """Connect a mail server or a webhook from the portal's form (the API's fields)."""
    _may_manage()
    kind = service
    form = request.form
    data: dict[str, Any] = {"kind": kind, "name": form.get("name", "").strip()}
    if kind == "smtp":
        for name in ("host", "from", "username"):
            data[name] = form.get(name, "").strip()
        data["security"] = form.get("security", "")
        data["password"] = form.get("password", "")
        data["bounce_secret"] = form.get("bounce_secret", "")
        port = form.get("port", "").strip()
        # ASCII digits only: str.isdigit() takes "²" or "٣", which int() refuses.
        data["port"] = int(port) if re.fullmatch(r"[0-9]{1,5}", port) else port or None
        if data["port"] is None:
            del data["port"]
    else:
        data["url"] = form.get("url", "").strip()
        data["secret"] = form.get("secret", "")
    s = db.session()
    try:
        channel = channels.connect_channel(s, g.user, publishing_config().secret_key, data)
    except DomainError as exc:
        s.rollback()
        if not exc.fields:
            raise
        errors = {k: FORM_MESSAGES.get(k, v) for k, v in exc.fields.items()}
        kept = {k: str(form.get(k, ""))[:500] for k in KEPT[kind]}
        return _list_page(errors, kept, kind, 422)
    s.commit()
    label = f"{LABELS[channel.kind]} {channel.account}"
    flash(f"{label} connected. Approved campaign posts can go out on it.", "success")
    return redirect(url_for("portal_channels.channel_list"))


@bp.post("/channels/connect/<any(linkedin, x):kind>")
@login_required
def channel_connect(kind: str) -> Any:
    """Start the OAuth flow: state and a PKCE verifier kept in the session, then the
    service's authorization page."""
    _may_manage()
    channel_kind = ChannelKind(kind)
    c = current_app.config
    client_id = (
        c["LINKEDIN_CLIENT_ID"] if channel_kind is ChannelKind.LINKEDIN else c["X_CLIENT_ID"]
    )
    if not client_id:
        flash(f"{LABELS[channel_kind]} is not set up on this server (no OAuth client id).", "error")
        return redirect(url_for("portal_channels.channel_list"))
    reconnect = request.form.get("channel_id", "")
    if reconnect:  # must be one of the actor's own channels
        channels.get_channel(db.session(), g.user, _digits(reconnect, 9) or 0)
    verifier, challenge = oauth.pkce_pair()
    state = secrets.token_urlsafe(32)
    session["channel_oauth"] = {
        "state": state,
        "verifier": verifier,
        "kind": kind,
        "channel_id": reconnect,
    }
    authorize = (
        c["LINKEDIN_AUTHORIZE_URL"]
        if channel_kind is ChannelKind.LINKEDIN
        else c["X_AUTHORIZE_URL"]
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": _redirect_uri(kind),
            "state": state,
            "scope": SCOPES[channel_kind],
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return redirect(f"{authorize}?{query}")


def _redirect_uri(kind: str) -> str:
    return url_for("portal_channels.channel_callback", kind=kind, _external=True)


def _account(kind: ChannelKind, access_token: str) -> str:
    """Who the tokens belong to: LinkedIn's OpenID userinfo (member posts), X's users/me."""
    c = publishing_config()
    headers = {"Authorization": f"Bearer {access_token}"}
    if kind is ChannelKind.LINKEDIN:
        url = f"{c.linkedin_api_base.rstrip('/')}/v2/userinfo"
        r = http_request(
            "GET",
            url,
            headers=headers,
            timeout=c.timeout,
            allow_private=c.is_configured_service(url),
        )
        sub = (r.json() or {}).get("sub") if r.status == 200 else None
        return f"urn:li:person:{sub}" if isinstance(sub, str) and sub else ""
    url = f"{c.x_api_base.rstrip('/')}/2/users/me"
    r = http_request(
        "GET", url, headers=headers, timeout=c.timeout, allow_private=c.is_configured_service(url)
    )
    data = (r.json() or {}).get("data") if r.status == 200 else None
    return str(data.get("id", "")) if isinstance(data, dict) else ""


@bp.get("/channels/callback/<any(linkedin, x):kind>")
@login_required
def channel_callback(kind: str) -> Any:
    """The service sends the partner back here. A GET that writes, as OAuth's redirect is:
    the state (one-time, bound to this session) stands in for the CSRF token."""
    _may_manage()
    pending = session.pop("channel_oauth", None)
    state = request.args.get("state", "")
    if (
        not isinstance(pending, dict)
        or pending.get("kind") != kind
        # As bytes: compare_digest raises TypeError on non-ASCII text.
        or not hmac.compare_digest(
            str(pending.get("state", "")).encode(), state.encode("utf-8", "surrogateescape")
        )
    ):
        abort(400)
    if request.args.get("error") or not request.args.get("code"):
        flash("The connection was cancelled or refused; nothing was changed.", "error")
        return redirect(url_for("portal_channels.channel_list"))
    channel_kind = ChannelKind(kind)
    config = publishing_config()
    s = db.session()
    try:
        tokens = oauth.exchange_code(
            config,
            channel_kind,
            request.args["code"],
            _redirect_uri(kind),
            str(pending["verifier"]),
        )
        values = {"access_token": tokens.access_token}
        if tokens.refresh_token:
            values["refresh_token"] = tokens.refresh_token
        if pending.get("channel_id"):
            channels.reconnect_channel(
                s, g.user, config.secret_key, int(pending["channel_id"]), values, tokens.expires_at
            )
        else:
            account = _account(channel_kind, tokens.access_token)
            field = "author" if channel_kind is ChannelKind.LINKEDIN else "user_id"
            channels.connect_channel(
                s, g.user, config.secret_key, {"kind": kind, field: account, **values}
            )
    except DomainError as exc:
        s.rollback()
        flash(f"{LABELS[channel_kind]} could not be connected: {exc.message}", "error")
        return redirect(url_for("portal_channels.channel_list"))
    s.commit()
    flash(f"{LABELS[channel_kind]} connected. Approved campaign posts go out on it.", "success")
    return redirect(url_for("portal_channels.channel_list"))


@bp.post("/channels/<id:channel_id>/delete")
@login_required
def channel_delete(channel_id: int) -> Any:
    channels.delete_channel(db.session(), g.user, channel_id)
    db.session().commit()
    flash("Channel removed. Its posts not yet out will be skipped.", "success")
    return redirect(url_for("portal_channels.channel_list"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
