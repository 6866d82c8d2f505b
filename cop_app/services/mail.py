"""Outgoing mail: `send(message)` over SMTP configured by environment variables, or, with no
SMTP host set, one clear line in the server log (so a reset link is never lost in dev).

Services call `send_after_commit`: nothing leaves before the transaction commits, and it
leaves from a background thread, so neither the SMTP server's speed nor its failures show
in the answer to the request that caused the mail (a reset must not tell who has an account).

Environment: COP_SMTP_HOST, COP_SMTP_PORT, COP_SMTP_TLS (none | starttls | ssl, default
starttls), COP_SMTP_USER, COP_SMTP_PASSWORD, COP_MAIL_FROM, and COP_PUBLIC_URL for links.
"""

import logging
import os
import smtplib
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import event
from sqlmodel import Session

from cop_app.services import settings

logger = logging.getLogger(__name__)

TLS_MODES = ("none", "starttls", "ssl")
_DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
_PENDING = "cop_pending_mail"
# One sender thread: mail keeps its order and a slow server never holds a request.
_outbox = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cop-mail")


@dataclass(frozen=True)
class Message:
    """A plain-text message to one person."""

    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how mail is sent, read from the environment at each send."""

    host: str
    port: int
    tls: str
    user: str
    password: str
    sender: str

    @classmethod
    def from_env(cls) -> "SmtpConfig | None":
        """The configured server, or None when COP_SMTP_HOST is not set (mail goes to the log).

        A malformed COP_SMTP_PORT or COP_SMTP_TLS raises ValueError naming the variable."""
        host = os.environ.get("COP_SMTP_HOST", "").strip()
        if not host:
            return None
        tls = os.environ.get("COP_SMTP_TLS", "starttls").strip().lower() or "starttls"
        if tls not in TLS_MODES:
            raise ValueError(f"COP_SMTP_TLS must be one of {', '.join(TLS_MODES)}, not {tls!r}")
        port_text = os.environ.get("COP_SMTP_PORT", "").strip()
        if port_text and not port_text.isdigit():
            raise ValueError(f"COP_SMTP_PORT must be a port number, not {port_text!r}")
        return cls(
            host=host,
            port=int(port_text) if port_text else _DEFAULT_PORTS[tls],
            tls=tls,
            user=os.environ.get("COP_SMTP_USER", ""),
            password=os.environ.get("COP_SMTP_PASSWORD", ""),
            sender=os.environ.get("COP_MAIL_FROM", "").strip() or "Practica <noreply@localhost>",
        )


def public_url() -> str:
    """The address people open the app at, for links in mail (COP_PUBLIC_URL)."""
    return os.environ.get("COP_PUBLIC_URL", "").strip().rstrip("/") or "http://localhost:3000"


def _email(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip("> ") or None)
    email.set_content(message.body)
    return email


def send(message: Message) -> None:
    """Send one message now (blocking: call it off the event loop); SMTP errors raise."""
    config = SmtpConfig.from_env()
    if config is None:
        logger.warning(
            "Mail not sent (COP_SMTP_HOST is not set). To: %s. Subject: %s.\n%s",
            message.to,
            message.subject,
            message.body,
        )
        return
    email = _email(message, config.sender)
    timeout = settings.SMTP_TIMEOUT_SECONDS
    context = ssl.create_default_context()
    smtp = (
        smtplib.SMTP_SSL(config.host, config.port, timeout=timeout, context=context)
        if config.tls == "ssl"
        else smtplib.SMTP(config.host, config.port, timeout=timeout)
    )
    with smtp:
        if config.tls == "starttls":
            smtp.starttls(context=context)
        if config.user:
            smtp.login(config.user, config.password)
        smtp.send_message(email)


def _deliver(message: Message) -> None:
    try:
        send(message)
    except Exception:
        logger.exception("Mail to %s (%s) could not be sent", message.to, message.subject)


def send_after_commit(session: Session, message: Message) -> None:
    """Queue a message to be sent in the background once this session's transaction commits;
    a rollback drops it. A failure is logged, never raised to the request."""
    if not session.in_transaction():
        session.begin()  # so a rollback before any SQL still drops the message
    session.info.setdefault(_PENDING, []).append(message)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    for message in session.info.pop(_PENDING, []):
        _outbox.submit(_deliver, message)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, _previous_transaction: object) -> None:
    session.info.pop(_PENDING, None)
