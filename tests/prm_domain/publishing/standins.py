"""Local stand-ins for LinkedIn's and X's APIs, their OAuth token endpoints and a webhook
receiver, on one threaded ``http.server``.

Each checks a request as the service's documentation specifies (headers, body shape, bearer
token) and answers as the service does; a request that breaks the rules gets a 400 and is
recorded in ``errors``, which every test asserts is empty. They keep their own post lists
(what reconciliation reads) and can be told to misbehave: answer 429, 5xx or 401, be slow,
or accept a post and then hold or drop the answer.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from prm_domain.publishing.webhook import SIGNATURE_HEADER, verify

CLIENT_ID = "cobrand-client"
CLIENT_SECRET = "cobrand-client-secret"
WEBHOOK_SECRET = "whsec-test"


@dataclass
class Fault:
    """What to do to the next request whose path starts with ``path``."""

    path: str
    kind: str  # "429" | "500" | "503" | "504" | "401" | "slow" | "hold" | "drop"
    retry_after: str | None = None
    reset: str | None = None
    seconds: float = 0.0
    release: threading.Event = field(default_factory=threading.Event)
    reached: threading.Event = field(default_factory=threading.Event)


@dataclass
class StandIn:
    url: str = ""
    tokens: set[str] = field(default_factory=set)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh -> kind
    linkedin_posts: list[dict[str, Any]] = field(default_factory=list)
    tweets: list[dict[str, Any]] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)
    media: dict[str, bytes] = field(default_factory=dict)
    hooks: dict[str, dict[str, Any]] = field(default_factory=dict)  # Idempotency-Key -> body
    hook_deliveries: int = 0
    errors: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(7000000000000000001))

    def fault(self, path: str, kind: str, **kw: Any) -> Fault:
        f = Fault(path, kind, **kw)
        with self.lock:
            self.faults.append(f)
        return f

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if path.startswith(f.path):
                    self.faults.remove(f)
                    return f
        return None

    def next_id(self) -> str:
        with self.lock:
            return str(next(self.ids))


LINKEDIN_VERSION = re.compile(r"^\d{6}$")


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    # -- plumbing
    @property
    def s(self) -> StandIn:
        return self.server.standin

    def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self, why: str) -> None:
        with self.s.lock:
            self.s.errors.append(f"{self.command} {self.path}: {why}")
        self._reply(400, {"message": why, "status": 400})

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _json(self, raw: bytes) -> Any:
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def _bearer_ok(self) -> bool:
        auth = self.headers.get("Authorization") or ""
        return auth.startswith("Bearer ") and auth[7:] in self.s.tokens

    def _route(self) -> None:
        path = urlsplit(self.path).path
        raw = self._body()
        with self.s.lock:
            self.s.requests.append((self.command, path))
        fault = self.s.take_fault(path)
        if fault is not None and fault.kind in ("429", "500", "503", "504"):
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = fault.retry_after
            if fault.reset is not None:
                headers["x-rate-limit-reset"] = fault.reset
            return self._reply(int(fault.kind), {"message": "stand-in fault"}, headers)
        if fault is not None and fault.kind == "401":
            return self._reply(401, {"message": "expired token", "status": 401})
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        answer = self._handle(path, raw)
        if answer is None:
            return
        status, body, headers = answer
        if fault is not None and fault.kind in ("hold", "drop"):
            # The post is made; the answer is held (a worker may be killed meanwhile) or lost.
            fault.reached.set()
            if fault.kind == "hold":
                fault.release.wait(60)
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self._reply(status, body, headers)

    do_GET = do_POST = do_PUT = _route

    # -- the services
    def _handle(self, path: str, raw: bytes) -> tuple[int, Any, dict[str, str]] | None:
        if path in ("/oauth/v2/accessToken", "/2/oauth2/token"):
            return self._token(path, raw)
        if path.startswith("/hook"):
            return self._hook(raw)
        if path.startswith("/upload/"):
            return self._upload(path, raw)
        if path.startswith("/rest/"):
            if self.headers.get("X-Restli-Protocol-Version") != "2.0.0":
                return self._refuse("X-Restli-Protocol-Version must be 2.0.0")
            if not LINKEDIN_VERSION.match(self.headers.get("LinkedIn-Version") or ""):
                return self._refuse("LinkedIn-Version (YYYYMM) is required")
        if path.startswith(("/rest/", "/2/", "/v2/")) and not self._bearer_ok():
            return 401, {"message": "Invalid access token", "status": 401}, {}
        if path == "/v2/userinfo":  # LinkedIn's OpenID Connect userinfo
            return 200, {"sub": "782bbtaQ", "name": "Pat Partner"}, {}
        if path == "/2/users/me":
            return 200, {"data": {"id": "2244994945", "username": "partner"}}, {}
        if path == "/rest/posts" and self.command == "POST":
            return self._linkedin_post(raw)
        if path == "/rest/posts" and self.command == "GET":
            return self._linkedin_list()
        if path == "/rest/images" and self.command == "POST":
            return self._linkedin_image(raw)
        if path == "/2/tweets" and self.command == "POST":
            return self._tweet(raw)
        if path == "/2/media/upload" and self.command == "POST":
            return self._media(raw)
        if m := re.fullmatch(r"/2/users/(\d+)/tweets", path):
            return self._timeline(m.group(1))
        return self._refuse("no such endpoint")

    def _token(self, path: str, raw: bytes) -> Any:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if not (self.headers.get("Content-Type") or "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return self._refuse("token requests are form-encoded")
        if path == "/2/oauth2/token":  # X: confidential clients use HTTP Basic
            basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {basic}":
                return self._refuse("X's token endpoint wants HTTP Basic client auth")
        elif form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return self._refuse("LinkedIn's token endpoint wants client_id and client_secret")
        grant = form.get("grant_type")
        if grant == "refresh_token":
            with self.s.lock:
                known = self.s.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if known is None:
                return 400, {"error": "invalid_grant"}, {}
        elif grant == "authorization_code":
            if form.get("code") != "good-code" or len(form.get("code_verifier", "")) < 43:
                return 400, {"error": "invalid_grant"}, {}
        else:
            return self._refuse("unknown grant_type")
        access, refresh = f"at-{self.s.next_id()}", f"rt-{self.s.next_id()}"
        with self.s.lock:
            self.s.tokens.add(access)
            self.s.refresh_tokens[refresh] = path
        body = {"access_token": access, "expires_in": 3600, "refresh_token": refresh}
        return 200, body, {}

    def _linkedin_post(self, raw: bytes) -> Any:
        body = self._json(raw)
        if not isinstance(body, dict):
            return self._refuse("a JSON body is required")
        if not re.fullmatch(r"urn:li:(organization|person):\w+", str(body.get("author"))):
            return self._refuse("author must be an organization or person URN")
        if not isinstance(body.get("commentary"), str):
            return self._refuse("commentary is required")
        if body.get("visibility") not in ("PUBLIC", "CONNECTIONS", "LOGGED_IN"):
            return self._refuse("visibility is required")
        dist = body.get("distribution")
        if not isinstance(dist, dict) or dist.get("feedDistribution") not in ("MAIN_FEED", "NONE"):
            return self._refuse("distribution.feedDistribution is required")
        if body.get("lifecycleState") != "PUBLISHED":
            return self._refuse("lifecycleState must be PUBLISHED")
        media = (body.get("content") or {}).get("media")
        if media is not None and media.get("id") not in self.s.images:
            return self._refuse("content.media.id is not an uploaded image")
        urn = f"urn:li:share:{self.s.next_id()}"
        with self.s.lock:
            self.s.linkedin_posts.append({**body, "id": urn, "createdAt": int(time.time() * 1000)})
        return 201, None, {"x-restli-id": urn}

    def _linkedin_list(self) -> Any:
        q = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if q.get("q") != "author" or not q.get("author", "").startswith("urn:li:"):
            return self._refuse("the author finder needs q=author&author=<URN>")
        with self.s.lock:
            mine = [p for p in self.s.linkedin_posts if p["author"] == q["author"]]
        mine.sort(key=lambda p: p["createdAt"], reverse=True)
        return 200, {"elements": mine[: int(q.get("count", "10"))], "paging": {}}, {}

    def _linkedin_image(self, raw: bytes) -> Any:
        if parse_qs(urlsplit(self.path).query).get("action") != ["initializeUpload"]:
            return self._refuse("images are created with ?action=initializeUpload")
        body = self._json(raw)
        owner = ((body or {}).get("initializeUploadRequest") or {}).get("owner")
        if not isinstance(owner, str) or not owner.startswith("urn:li:"):
            return self._refuse("initializeUploadRequest.owner is required")
        n = self.s.next_id()
        value = {
            "uploadUrlExpiresAt": int(time.time() * 1000) + 3600_000,
            "uploadUrl": f"{self.s.url}/upload/{n}",
            "image": f"urn:li:image:{n}",
        }
        return 200, {"value": value}, {}

    def _upload(self, path: str, raw: bytes) -> Any:
        if self.command != "PUT" or not self._bearer_ok() or not raw:
            return self._refuse("uploads are an authorised PUT of the bytes")
        with self.s.lock:
            self.s.images[f"urn:li:image:{path.rsplit('/', 1)[1]}"] = raw
        return 201, None, {}

    def _tweet(self, raw: bytes) -> Any:
        body = self._json(raw)
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return self._refuse('POST /2/tweets takes {"text": ...}')
        media_ids = (body.get("media") or {}).get("media_ids")
        if media_ids is not None and not all(m in self.s.media for m in media_ids):
            return self._refuse("media.media_ids names unknown media")
        tweet_id = self.s.next_id()
        # X stores links as t.co links, as the real one does.
        text = re.sub(r"https?://\S+", "https://t.co/abc123", body["text"])
        with self.s.lock:
            self.s.tweets.append({"id": tweet_id, "text": text, "created_at": time.time()})
        return 201, {"data": {"id": tweet_id, "text": text}}, {}

    def _media(self, raw: bytes) -> Any:
        body = self._json(raw)
        if not isinstance(body, dict) or body.get("media_category") != "tweet_image":
            return self._refuse("media upload needs media and media_category")
        try:
            data = base64.b64decode(body.get("media", ""), validate=True)
        except ValueError:
            return self._refuse("media must be base64 in a JSON body")
        media_id = self.s.next_id()
        with self.s.lock:
            self.s.media[media_id] = data
        return 200, {"data": {"id": media_id, "media_key": f"3_{media_id}"}}, {}

    def _timeline(self, user_id: str) -> Any:
        with self.s.lock:
            tweets = [{"id": t["id"], "text": t["text"]} for t in reversed(self.s.tweets)]
        return 200, {"data": tweets, "meta": {"result_count": len(tweets)}}, {}

    def _hook(self, raw: bytes) -> Any:
        header = self.headers.get(SIGNATURE_HEADER) or ""
        if not verify(WEBHOOK_SECRET, header, raw, now=time.time()):
            return self._refuse("bad webhook signature")
        key = self.headers.get("Idempotency-Key") or ""
        if not key:
            return self._refuse("Idempotency-Key is required")
        with self.s.lock:
            self.s.hook_deliveries += 1
            self.s.hooks.setdefault(key, json.loads(raw))
        return 200, {"id": f"hook-{key}"}, {}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: StandIn


@contextmanager
def running() -> Iterator[StandIn]:
    server = _Server(("127.0.0.1", 0), Handler)
    standin = StandIn(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.standin = standin
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        for f in standin.faults:
            f.release.set()
        server.shutdown()
        server.server_close()
