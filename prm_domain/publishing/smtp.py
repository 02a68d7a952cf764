"""Email through the partner's own SMTP server: one message per recipient (each with its own
unsubscribe link), STARTTLS or implicit TLS, a Message-ID derived from the publication's key,
and RFC 8058 one-click unsubscribe headers."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, NoReturn

from prm_domain import outbound
from prm_domain.enums import ChannelKind
from prm_domain.models.channel import Channel
from prm_domain.publishing import (
    PUBLISHERS,
    OutgoingPost,
    Posted,
    PublishingConfig,
    Rejected,
    RetryLater,
)
from prm_domain.publishing.secrets import unseal

SECURITY = ("starttls", "ssl", "none")


# Where an email's text and HTML want the recipient's unsubscribe URL.
UNSUBSCRIBE_SLOT = "{{ unsubscribe_url }}"


# Enhanced status classes (RFC 3463) that say the mailbox itself is the problem: 5.1.x
# (addressing: no such user, bad domain) and 5.2.x (mailbox disabled), less "mailbox full"
# (5.2.2, usually passing) and "message too big" (5.2.3). Policy, content, network and system
# refusals (5.3-5.7) say nothing about the address: marking it bounced would lose a good one.
_ENHANCED = re.compile(rb"^\s*5\.(\d{1,3})\.(\d{1,3})\b")


def address_refused(code: int, reply: bytes | str) -> bool:
    """Whether an SMTP reply is a permanent refusal of the recipient's address (a hard
    bounce): a 5xx whose enhanced code is about the mailbox, or, without one, 550/551/553
    (RFC 5321: mailbox unavailable, user not local, mailbox name not allowed)."""
    if not 500 <= code < 600:
        return False
    raw = reply.encode("utf-8", "replace") if isinstance(reply, str) else reply
    enhanced = _ENHANCED.match(raw)
    if enhanced:
        subject, detail = int(enhanced.group(1)), int(enhanced.group(2))
        return subject == 1 or (subject == 2 and detail not in (2, 3))
    return code in (550, 551, 553)


def message_id(key: str, recipient: str, sender: str) -> str:
    """Stable per publication and recipient: a resent copy carries the same id, which mail
    clients and many servers use to drop duplicates."""
    domain = sender.rpartition("@")[2] or "cobrand.invalid"
    digest = hashlib.sha256(recipient.lower().encode()).hexdigest()[:16]
    return f"<{key}.{digest}@{domain}>"


def build_message(post: OutgoingPost, sender: str, recipient: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = post.subject or post.text[:78]
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(post.key, recipient, sender)
    url = post.unsubscribe_urls.get(recipient, "")
    if url:
        msg["List-Unsubscribe"] = f"<{url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Each recipient's own unsubscribe link in the footer (prm_domain.campaigns.sending).
    msg.set_content(post.text.replace(UNSUBSCRIBE_SLOT, url))
    if post.html:
        msg.add_alternative(
            post.html.replace(UNSUBSCRIBE_SLOT, html.escape(url, quote=True)), subtype="html"
        )
    return msg


class _GuardedSMTP(smtplib.SMTP):
    """Connects to a checked public address of the host (prm_domain.outbound); STARTTLS
    still verifies the certificate against the name."""

    allow_private = False

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return outbound.connect(host, port, timeout, allow_private=self.allow_private)


class _GuardedSMTPSSL(smtplib.SMTP_SSL):
    allow_private = False

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = outbound.connect(host, port, timeout, allow_private=self.allow_private)
        return self.context.wrap_socket(sock, server_hostname=host)


class SmtpPublisher:
    def __init__(self, config: PublishingConfig) -> None:
        self.config = config

    def _connect(self, creds: dict[str, Any]) -> smtplib.SMTP:
        host, port = str(creds.get("host", "")), int(creds.get("port") or 587)
        security = str(creds.get("security") or "starttls")
        context = ssl.create_default_context()
        if creds.get("insecure_tls"):  # a self-signed test or intranet server, set explicitly
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        server: smtplib.SMTP
        if security == "ssl":
            server = _GuardedSMTPSSL(timeout=self.config.timeout, context=context)
        else:
            server = _GuardedSMTP(timeout=self.config.timeout)
        # Set before connecting: the constructor was given no host, so nothing is open yet.
        server.allow_private = self.config.allow_private_hosts
        try:
            server.connect(host, port)
            if security == "starttls":
                server.starttls(context=context)
            if creds.get("username"):
                server.login(str(creds["username"]), str(creds.get("password", "")))
        except BaseException:
            server.close()
            raise
        return server

    def _open(self, creds: dict[str, Any]) -> smtplib.SMTP:
        # The errors are stored and shown to the partner: generic words, never the exception
        # text (it may quote a server's banner or answer).
        try:
            return self._connect(creds)
        except outbound.Blocked:
            raise Rejected("The mail server is not on a public address.") from None
        except outbound.Unresolved:
            raise RetryLater("Could not resolve the mail server's name.") from None
        except smtplib.SMTPAuthenticationError:
            raise Rejected("The mail server refused the credentials.") from None
        except (OSError, smtplib.SMTPException):
            # Nothing was sent yet.
            raise RetryLater("Could not connect to the mail server.") from None

    @staticmethod
    def _stopped(sent: int, total: int) -> NoReturn:
        if sent == 0:
            raise RetryLater("The mail server failed before any message.") from None
        # Part went out: resending would mail those twice, so stop here, say so.
        raise Rejected(f"The mail server stopped after {sent} of {total} messages.") from None

    def publish(self, channel: Channel, post: OutgoingPost) -> Posted:
        creds = unseal(self.config.secret_key, channel.secret)
        sender = str(creds.get("from") or channel.account)
        if not post.recipients:
            return Posted(external_id=f"smtp:{post.key}:0")
        server = self._open(creds)
        sent = 0
        bounced: list[str] = []
        try:
            for recipient in post.recipients:
                try:
                    server.send_message(build_message(post, sender, recipient))
                except smtplib.SMTPRecipientsRefused as exc:
                    # That address is refused (RCPT TO); the others still get theirs.
                    if any(address_refused(c, m) for c, m in exc.recipients.values()):
                        bounced.append(recipient)
                    continue
                except smtplib.SMTPDataError as exc:
                    if not 500 <= exc.smtp_code < 600:
                        self._stopped(sent, len(post.recipients))
                    # One message per recipient: a permanent refusal of this DATA is this
                    # recipient's (smtplib has reset the transaction; the session goes on).
                    if address_refused(exc.smtp_code, exc.smtp_error):
                        bounced.append(recipient)
                    continue
                except (OSError, smtplib.SMTPException):
                    self._stopped(sent, len(post.recipients))
                sent += 1
        finally:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                server.close()
        return Posted(external_id=f"smtp:{post.key}:{sent}", bounced=tuple(bounced))

    def find_published(
        self, channel: Channel, post: OutgoingPost, since: dt.datetime
    ) -> Posted | None:
        # An SMTP server keeps no list to ask; a worker that died mid-session is retried, and
        # the stable Message-ID lets receivers drop the copies they already have.
        return None


PUBLISHERS[ChannelKind.SMTP] = SmtpPublisher
