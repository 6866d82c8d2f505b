"""A real SMTP server on a free loopback port (aiosmtpd) that keeps what it receives, and
the helpers to read a reset link out of a message."""

import re
import socket
import threading
import time
from email.message import Message
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler

LINK_RE = re.compile(r"https?://\S+/reset\?token=([A-Za-z0-9_-]+)")


class _Keep(MessageHandler):
    def __init__(self, inbox: "LocalSmtp") -> None:
        super().__init__()
        self.inbox = inbox

    def handle_message(self, message: Message) -> None:
        with self.inbox.lock:
            self.inbox.received.append(message)


class LocalSmtp:
    """`with LocalSmtp() as smtp:` a started server; `smtp.env` configures the app for it."""

    def __init__(self) -> None:
        self.received: list[Message] = []
        self.lock = threading.Lock()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "LocalSmtp":
        self.controller.start()
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.controller.stop()

    @property
    def env(self) -> dict[str, str]:
        """COP_SMTP_* for this server: plain SMTP on loopback, no login."""
        return {
            "COP_SMTP_HOST": "127.0.0.1",
            "COP_SMTP_PORT": str(self.port),
            "COP_SMTP_TLS": "none",
            "COP_MAIL_FROM": "Practica <noreply@practica.test>",
            "COP_PUBLIC_URL": "http://practica.test",
        }

    def messages_to(self, address: str) -> list[Message]:
        """Every message received so far for this address."""
        with self.lock:
            return [m for m in self.received if address in m.get("X-RcptTo", "")]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> Message:
        """The `count`-th message to this address, waiting for the background sender."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages_to(address)
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.02)
        raise AssertionError(f"no message {count} to {address} within {timeout} s")


def body_of(message: Message) -> str:
    """The plain-text body of a received message."""
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def token_in(text: str) -> str:
    """The token of the reset link in a text (a message body or a log line)."""
    match = LINK_RE.search(text)
    assert match, f"no reset link in {text!r}"
    return match.group(1)
