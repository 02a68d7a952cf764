"""The public side of syndication: embed.js and the endpoints the widget calls.

Answers only for an embed's allowed websites (checked from Origin, never reflected blindly),
sets no cookies, and treats every value from the page as hostile. Uses the app's database,
rate limiter and storage through ``current_app.extensions``: this package does not import
``app`` (they are siblings in the layering).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from flask import Blueprint, Flask, Response, current_app, g, jsonify, render_template, request
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_etags
from werkzeug.wsgi import get_host

from prm_domain import brandkits, rendering, validation
from prm_domain.base import utcnow
from prm_domain.changes import ChangeClock
from prm_domain.errors import NotFound, PermissionDenied
from prm_domain.models import Asset, Embed, Partner
from prm_domain.syndication import events, leads, page_views, public

bp = Blueprint("syndication", __name__)

STATIC = Path(__file__).parent / "static"
MAX_BODY = 16 * 1024
MIN_SECONDS_TO_FILL = 2
TOKEN_TTL = 30 * 24 * 3600


def _session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["cobrand.db"].sessionmaker()
    return cast(Session, g.db_session)  # g is untyped


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")


def _limit(limit: str, *identifiers: str) -> None:
    # Counted and checked in one atomic step: parallel requests cannot all pass a check
    # before any of them is counted.
    current_app.extensions["cobrand.limiter"].consume(limit, *identifiers)


def _embed(key: str, *, require_origin: bool = True) -> Embed:
    embed = public.embed_for_key(_session(), key)
    origin = request.headers.get("Origin")
    if public.origin_allowed(embed.allowed_domains, origin):
        g.cors_origin = origin
    elif require_origin or origin is not None:
        # Navigations, crawlers and plain <img> loads send no Origin and may fetch the fragment,
        # logo and downloads; a script on any other website never gets an answer.
        raise PermissionDenied("This embed is not enabled for this website.")
    return embed


@bp.after_request
def _cors(response: Response) -> Response:
    # Only an allowed origin is ever echoed, and the answer varies by it for every cache.
    origin = g.get("cors_origin")
    if origin:
        for name, value in _cors_headers(origin):
            response.headers[name] = value
    else:
        response.headers["Vary"] = "Origin"
    response.headers.setdefault("Cross-Origin-Resource-Policy", "cross-origin")
    response.headers.pop("Set-Cookie", None)
    return response


# -- the script ---------------------------------------------------------------------------------


@cache
def _script() -> tuple[bytes, str]:
    data = (STATIC / "embed.js").read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:20]


@bp.get("/embed.js")
def embed_js() -> Response:
    data, digest = _script()
    if request.if_none_match.contains(digest):
        response = Response(status=304)
    else:
        response = Response(data, content_type="text/javascript; charset=utf-8")
    response.set_etag(digest)
    # A day fresh, then revalidated by ETag (a week of stale use while that happens): fixes
    # reach every site within a day without a new snippet.
    response.headers["Cache-Control"] = "public, max-age=86400, stale-while-revalidate=604800"
    return response


# -- content ------------------------------------------------------------------------------------


def form_token(key: str, issued: int | None = None) -> str:
    issued = int(time.time()) if issued is None else issued
    secret = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(secret, f"{key}.{issued}".encode(), hashlib.sha256).hexdigest()[:24]
    return f"{issued}.{mac}"


def _token_age(key: str, token: Any) -> float | None:
    """Seconds since the token was issued, or None if it is not ours, or too old."""
    # ASCII only: str.isdigit() accepts "²" and Arabic-Indic digits (int() refuses the first),
    # and compare_digest raises on non-ASCII text.
    if not isinstance(token, str) or not token.isascii() or token.count(".") != 1:
        return None
    issued_text, _ = token.split(".")
    if not issued_text.isdigit() or len(issued_text) > 12:
        return None
    if not hmac.compare_digest(form_token(key, int(issued_text)).encode(), token.encode()):
        return None
    age = time.time() - int(issued_text)
    return age if -5 <= age <= TOKEN_TTL else None


TOKEN_SLOT = "\u0000form-token\u0000"  # noqa: S105 - a placeholder; JSON-escaped, so unique
PAGE_VIEW_SLOT = "\u0000page-view\u0000"
_TOKEN_SLOT_JSON = json.dumps(TOKEN_SLOT).encode()
_PAGE_VIEW_SLOT_JSON = json.dumps(PAGE_VIEW_SLOT).encode()


@dataclass(frozen=True)
class _Cached:
    tokens: tuple[str, ...]  # the change tokens of public.CONTENT_READS it was computed under
    until: float  # wall clock: the next start or end of an item (what is shown changes then)
    expires: float  # monotonic clock: SYNDICATION_CACHE_SECONDS after it was computed
    allowed_domains: tuple[str, ...]
    etag: str
    body: bytes  # with TOKEN_SLOT where each form's token goes, PAGE_VIEW_SLOT the page view's

    def valid(self, tokens: tuple[str, ...]) -> bool:
        return (
            tokens == self.tokens and time.time() < self.until and time.monotonic() < self.expires
        )


# The hottest public URL: every page view of every partner site. Each web process keeps the
# serialized answer until something it shows changes (the change tokens of prm_domain.changes,
# checked every CHANGE_CHECK_SECONDS) or an item's window opens or closes; so a site's views
# cost one database read per process per change, and a vendor's change reaches sites within
# a second plus the browsers' max-age. SYNDICATION_CACHE_SECONDS bounds an answer's age.
MAX_CACHED = 10_000
MAX_CACHED_BYTES = 32 * 2**20


class _ContentCache(dict[tuple[str, str], _Cached]):
    """A dict (the fast path reads it as one) that counts the bytes of the bodies it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes = 0
        # The next start or end of an item, known for the syndicated_item token it was read
        # under: one query per change of the items, not one per miss.
        self.window: tuple[str, float] | None = None

    def put(self, key: tuple[str, str], entry: _Cached) -> None:
        # Bounded by entries and by bytes: made-up keys and large embeds alike cannot grow it
        # without limit; when full it starts over.
        old = self.get(key)
        if old is not None:
            self.bytes -= len(old.body)
        if len(self) >= MAX_CACHED or self.bytes + len(entry.body) > MAX_CACHED_BYTES:
            self.clear()
        self[key] = entry
        self.bytes += len(entry.body)

    def clear(self) -> None:
        super().clear()
        self.bytes = 0


def _cache() -> _ContentCache:
    cache: _ContentCache = current_app.extensions.setdefault(
        "cobrand.syndication_cache", _ContentCache()
    )
    return cache


def _clock() -> ChangeClock:
    return cast(ChangeClock, current_app.extensions["cobrand.db"].clock)


_ITEMS = public.CONTENT_READS.index("syndicated_item")


def _window_end(cache: _ContentCache, tokens: tuple[str, ...], now: dt.datetime) -> float:
    """Until when (wall clock) the items' windows stay as they are now."""
    known = cache.window
    if known is None or known[0] != tokens[_ITEMS] or known[1] <= now.timestamp():
        change = public.next_window_change(_session(), now)
        known = (tokens[_ITEMS], change.timestamp() if change is not None else float("inf"))
        cache.window = known
    return known[1]


class _SharedCache:
    """The answers in Redis too (when REDIS_URL is set), shared by every web process: an embed
    is computed once per change for the whole deployment, not once per process. A Redis that
    does not answer, or holds something else, is a miss (the database answers), never an error
    for a website.

    One entry per embed and base URL, holding the tokens it was computed under: a change
    replaces it rather than adding one. Each entry is signed with the secret key: what another
    writer to that Redis puts there (an allowed website, a body) is never served."""

    def __init__(self, url: str, prefix: str, secret: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        self.prefix = f"{prefix}:embed-content:"
        self.secret = hashlib.sha256(f"embed-content:{secret}".encode()).digest()
        self.errors = (redis.RedisError, OSError)

    def _key(self, key: str, base: str) -> str:
        return f"{self.prefix}{key}:{hashlib.sha256(base.encode()).hexdigest()[:16]}"

    def _mac(self, data: bytes) -> bytes:
        return hmac.new(self.secret, data, hashlib.sha256).hexdigest().encode()

    def get(self, key: str, base: str, tokens: tuple[str, ...], ttl: float) -> _Cached | None:
        try:
            raw = self.client.get(self._key(key, base))
        except self.errors:
            return None
        if not isinstance(raw, bytes):
            return None
        try:
            mac, head, body = raw.split(b"\n", 2)
            if not hmac.compare_digest(mac, self._mac(head + b"\n" + body)):
                return None
            meta = json.loads(head)
            if tuple(meta["tokens"]) != tokens:
                return None  # computed before a change (or after one this process missed)
            age = max(0.0, time.time() - float(meta["at"]))
            return _Cached(
                tokens,
                float(meta["until"]),
                time.monotonic() + ttl - age,
                tuple(str(d) for d in meta["domains"]),
                str(meta["etag"]),
                body,
            )
        except (ValueError, KeyError, TypeError):
            return None  # not ours, or from another version of this code

    def put(self, key: str, base: str, entry: _Cached, ttl: float) -> None:
        # Kept in Redis no longer than the answer may be used (its age limit, the items' next
        # start or end).
        seconds = min(ttl, entry.until - time.time())
        if seconds < 1:
            return
        head = json.dumps(
            {
                "tokens": list(entry.tokens),
                "at": time.time(),
                "until": min(entry.until, 1e12),  # JSON has no infinity
                "domains": list(entry.allowed_domains),
                "etag": entry.etag,
            }
        ).encode()
        signed = self._mac(head + b"\n" + entry.body) + b"\n" + head + b"\n" + entry.body
        with contextlib.suppress(*self.errors):
            self.client.set(self._key(key, base), signed, ex=int(seconds))


def _shared() -> _SharedCache | None:
    return cast("_SharedCache | None", current_app.extensions.get("cobrand.shared_content"))


def _cached_content(key: str) -> _Cached | None:
    """The serialized content for ``key`` (None: unknown or disabled), kept while it is right."""
    if not CONTENT_PATH.fullmatch(f"/syndication/v1/embeds/{key}"):
        return None  # not a key's shape: unknown, without a look anywhere
    ttl = float(current_app.config.get("SYNDICATION_CACHE_SECONDS", 300))
    base = _base_url()
    cache = _cache()
    tokens = _clock().tokens(_session(), public.CONTENT_READS) if ttl > 0 else ()
    hit = cache.get((key, base)) if ttl > 0 else None
    if hit is not None and hit.valid(tokens):
        return None if not hit.body else hit
    shared = _shared() if ttl > 0 else None
    found = shared.get(key, base, tokens, ttl) if shared is not None else None
    if found is not None and found.valid(tokens):
        cache.put((key, base), found)
        return found if found.body else None
    now = utcnow()
    until = _window_end(cache, tokens, now) if ttl > 0 else 0.0
    expires = time.monotonic() + ttl
    try:
        served = public.served_embed(_session(), key)
    except NotFound:
        # Remembered too: unknown keys are cheap (a new embed is a change of "embed").
        entry = _Cached(tokens, until, expires, (), "", b"")
    else:
        embed = served.embed
        data = public.content(_session(), embed, base, served, now=now)
        for form in data["forms"]:
            form["form_token"] = TOKEN_SLOT
        data["page_view"] = PAGE_VIEW_SLOT
        body = json.dumps(data, separators=(",", ":")).encode()
        # The tag is the body's digest: the same content, serialised the same way, is the same
        # bytes (one serialisation per miss, not a second sorted one for the tag).
        tag = hashlib.sha256(body).hexdigest()[:32]
        entry = _Cached(tokens, until, expires, tuple(embed.allowed_domains), tag, body)
    if ttl > 0:
        cache.put((key, base), entry)
        if shared is not None and entry.body:
            # Answers only: unknown keys stay in this process's bounded memory, or made-up keys
            # would fill Redis.
            shared.put(key, base, entry, ttl)
    return entry if entry.body else None


def _answer(
    entry: _Cached, key: str, if_none_match: str | None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body for a cached entry: the same for the view and the fast path."""
    # The day is part of the tag: a client revalidating unchanged content still gets a form
    # token at most a day old (the 304 would otherwise keep its first token for ever).
    tag = f"{entry.etag}-{int(time.time()) // 86400}"
    # Stored by no cache: each answer names a page view of its own (page_views), and a reload
    # served from a browser's or a CDN's copy, or revalidated with a 304, would count as the
    # view before it. The server's per-process cache keeps the answer cheap all the same.
    headers = [("ETag", f'W/"{tag}"'), ("Cache-Control", "no-store")]
    if parse_etags(if_none_match).contains_weak(tag):
        return 304, headers, b""
    secret = current_app.config["SECRET_KEY"]
    # Both tokens are digits, letters, "-", "_" and ".": quoted, they are JSON strings.
    body = entry.body.replace(_TOKEN_SLOT_JSON, b'"%s"' % form_token(key).encode()).replace(
        _PAGE_VIEW_SLOT_JSON, b'"%s"' % page_views.issue(secret, key).encode()
    )
    return 200, [*headers, ("Content-Type", "application/json")], body


@bp.route("/syndication/v1/embeds/<key>", methods=["GET", "OPTIONS"])
def content(key: str) -> Response:
    entry = _cached_content(key)
    if entry is None:
        raise NotFound("Unknown embed.")
    origin = request.headers.get("Origin")
    if not public.origin_allowed(list(entry.allowed_domains), origin):
        raise PermissionDenied("This embed is not enabled for this website.")
    g.cors_origin = origin
    if request.method == "OPTIONS":
        return Response(status=204)
    status, headers, body = _answer(entry, key, request.headers.get("If-None-Match"))
    return Response(body, status=status, headers=headers)


CONTENT_PATH = re.compile(r"/syndication/v1/embeds/([A-Za-z0-9_-]{10,32})")


class ContentFastPath:
    """The hottest URL, served from the per-process cache without Flask's dispatch.

    Only a fresh cached answer for an allowed Origin is served here; everything else (a miss,
    an unknown key, a refused origin, OPTIONS) goes to the Flask view, which fills the cache.
    Both produce the same bytes and headers (tests/syndication/test_endpoints.py checks).
    """

    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REQUEST_METHOD") == "GET" and self.app.config.get(
            "SYNDICATION_FAST_PATH", True
        ):
            match = CONTENT_PATH.fullmatch(environ.get("PATH_INFO", ""))
            if match:
                served = self._serve(environ, start_response, match.group(1))
                if served is not None:
                    return served
        return self.wsgi_app(environ, start_response)

    def _serve(self, environ: dict[str, Any], start_response: Any, key: str) -> Any:
        base = (
            self.app.config["PUBLIC_BASE_URL"]
            or f"{environ['wsgi.url_scheme']}://{get_host(environ)}"
        )
        if float(self.app.config.get("SYNDICATION_CACHE_SECONDS", 300)) <= 0:
            return None  # caching off: the view reads the database every time
        entry = self.app.extensions.get("cobrand.syndication_cache", {}).get((key, base))
        if entry is None or not entry.body:
            return None
        # Only while the process's memory of the change tokens is recent; when it is not, the
        # view asks the database (one query, at most every CHANGE_CHECK_SECONDS).
        tokens = self.app.extensions["cobrand.db"].clock.fresh(public.CONTENT_READS)
        if tokens is None or not entry.valid(tokens):
            return None
        origin = environ.get("HTTP_ORIGIN")
        if not public.origin_allowed(list(entry.allowed_domains), origin):
            return None
        with self.app.app_context():
            status, headers, body = _answer(entry, key, environ.get("HTTP_IF_NONE_MATCH"))
        headers += [
            *_cors_headers(origin or ""),
            *_common_headers(environ["wsgi.url_scheme"] == "https"),
        ]
        if status == 200:
            headers.append(("Content-Length", str(len(body))))
        start_response("200 OK" if status == 200 else "304 NOT MODIFIED", headers)
        return [body]


def _cors_headers(origin: str) -> list[tuple[str, str]]:
    return [
        ("Vary", "Origin"),
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
        ("Access-Control-Allow-Headers", "Content-Type"),
        ("Access-Control-Max-Age", "600"),
    ]


def _common_headers(secure: bool) -> list[tuple[str, str]]:
    # What app/security.py adds to every answer outside the portal's pages.
    headers = [
        ("Cross-Origin-Resource-Policy", "cross-origin"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ]
    if secure:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return headers


@bp.get("/syndication/v1/embeds/<key>/fragment")
def fragment(key: str) -> Response:
    """The same content as server-rendered HTML, for pages without JavaScript and for crawlers."""
    embed = _embed(key, require_origin=False)
    data = public.content(_session(), embed, _base_url())
    response = Response(render_template("syndication/fragment.html", data=data))
    response.headers["Cache-Control"] = "public, max-age=60"
    frames = " ".join(f"http://{d} https://{d}" for d in embed.allowed_domains)
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; img-src *; style-src 'unsafe-inline'; frame-ancestors {frames}"
    )
    return response


@bp.get("/syndication/v1/embeds/<key>/logo")
def logo(key: str) -> Response:
    embed = _embed(key, require_origin=False)
    kit = brandkits.kit_for(_session(), embed.partner_id)
    if not kit.logo_key:
        raise NotFound("No logo.")
    response = Response(_storage().get(kit.logo_key), content_type="image/png")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _storage() -> Any:
    return current_app.extensions["cobrand.storage"]


def _resource(key: str, item_id: int) -> tuple[Partner, Asset]:
    # Asked of the domain on every request, never from the content cache: an unpublished
    # asset stops downloading at once.
    return public.resource_asset(_session(), _embed(key, require_origin=False), item_id)


@bp.get("/syndication/v1/embeds/<key>/resources/<int:item_id>")
def resource(key: str, item_id: int) -> Response:
    """The resource co-branded for the embed's partner (from the render cache when it can)."""
    partner, asset = _resource(key, item_id)
    _limit("60 per minute", "embed-download", request.remote_addr or "?")
    fmt = next(f for f in rendering.FORMATS[asset.kind] if f != "preview")
    assert asset.published_version is not None
    result = rendering.render_version(
        _session(), _storage(), asset.published_version, partner, fmt, _base_url()
    )
    _session().commit()
    response = Response(result.data, content_type=result.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/syndication/v1/embeds/<key>/resources/<int:item_id>/thumbnail")
def resource_thumbnail(key: str, item_id: int) -> Response:
    _, asset = _resource(key, item_id)
    version = asset.published_version
    if version is None or not version.thumbnail_key:
        raise NotFound("No thumbnail.")
    response = Response(_storage().get(version.thumbnail_key), content_type="image/png")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# -- what comes back ----------------------------------------------------------------------------


def _json_body() -> Any:
    # A longer body, with Content-Length or chunked, is refused without being read: the app's
    # request class holds the stream to this limit (app/request.py).
    request.max_content_length = MAX_BODY
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise _Error(413, "payload_too_large", "The request is too large.") from None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise _Error(400, "malformed_json", "The request body is not valid JSON.") from None
    bad = validation.surrogate_path(data)
    if bad is not None:
        raise _Error(
            422,
            "invalid_fields",
            "The request holds text that is not valid Unicode (a lone surrogate).",
            {bad: "is not valid Unicode text"},
        )
    return data


class _Error(Exception):
    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields or {}


@bp.errorhandler(_Error)
def _error(exc: _Error) -> Response:
    response = jsonify({"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}})
    response.status_code = exc.status
    return response


@bp.route("/syndication/v1/embeds/<key>/leads", methods=["POST", "OPTIONS"])
def submit_lead(key: str) -> Response:
    embed = _embed(key)
    if request.method == "OPTIONS":
        return Response(status=204)
    address = request.remote_addr or "?"
    _limit("5 per minute", "lead-addr", address)
    _limit("30 per hour", "lead-addr-hour", address)
    _limit("300 per hour", "lead-key", embed.key)
    body = _json_body()
    if not isinstance(body, dict):
        raise _Error(
            400,
            "malformed_json",
            "The request body must be a JSON object.",
            {"body": "must be a JSON object"},
        )
    age = _token_age(embed.key, body.get("form_token"))
    if age is None:
        raise _Error(
            400,
            "form_expired",
            "The form has expired. Reload the page and try again.",
            {"form_token": "expired or not valid"},
        )
    lead, created = leads.submit_lead(
        _session(),
        embed,
        form_id=body.get("form_id"),
        fields=body.get("fields"),
        consent=body.get("consent"),
        honeypot=body.get("website", ""),
        human_timing=age >= MIN_SECONDS_TO_FILL,
        page_url=body.get("page_url", ""),
        referrer=request.headers.get("Referer", ""),
    )
    _session().commit()
    form = next((i for i in public.live_items(_session(), embed) if i.id == lead.item_id), None)
    message = (
        form.content.get("thank_you") if form else None
    ) or "Thank you! We will be in touch soon."
    response = jsonify({"message": message})
    response.status_code = 201 if created else 200
    return response


@bp.route("/syndication/v1/embeds/<key>/events", methods=["POST", "OPTIONS"])
def record_events(key: str) -> Response:
    embed = _embed(key)
    if request.method == "OPTIONS":
        return Response(status=204)
    # A page view sends a beacon every 10 s at most while there is something new, and once as
    # it is left: a few per view. Per embed and address that is plenty for an office behind
    # one address; per address for all embeds together; per embed for its whole audience.
    # Page-view tokens cost only a content fetch (not counted: it is the hot, cached path),
    # so these limits are also what holds a script making up views (docs/security.md).
    address = request.remote_addr or "?"
    _limit("30 per minute", "events-embed-addr", embed.key, address)
    _limit("120 per minute", "events-addr", address)
    _limit("6000 per minute", "events-embed", embed.key)
    body = _json_body()  # sendBeacon posts text/plain: parsed the same way
    if not isinstance(body, dict):
        raise _Error(
            400,
            "malformed_json",
            "The request body must be a JSON object.",
            {"body": "must be a JSON object"},
        )
    shown = {i.id for i in public.live_items(_session(), embed)}
    events.record(
        _session(),
        embed,
        body.get("events"),
        shown,
        body.get("page_view"),
        secret=current_app.config["SECRET_KEY"],
    )
    _session().commit()
    return Response(status=204)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    if app.config.get("REDIS_URL"):
        app.extensions["cobrand.shared_content"] = _SharedCache(
            app.config["REDIS_URL"],
            app.config.get("RATE_LIMIT_PREFIX", "cobrand"),
            app.config["SECRET_KEY"],
        )
    app.wsgi_app = ContentFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
