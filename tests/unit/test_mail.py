"""Outgoing mail: settings read from the environment, and nothing leaves before COMMIT."""

import pytest
from sqlmodel import Session

from cop_app.models import ResetRequest
from cop_app.services import mail
from tests.smtp_inbox import LocalSmtp


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COP_SMTP_HOST", raising=False)
    assert mail.SmtpConfig.from_env() is None
    monkeypatch.setenv("COP_SMTP_HOST", "smtp.example.org")
    for name in ("COP_SMTP_PORT", "COP_SMTP_TLS", "COP_SMTP_USER", "COP_MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)
    config = mail.SmtpConfig.from_env()
    assert config is not None and (config.port, config.tls) == (587, "starttls")
    monkeypatch.setenv("COP_SMTP_TLS", "SSL")
    assert mail.SmtpConfig.from_env() == mail.SmtpConfig(
        "smtp.example.org", 465, "ssl", "", "", "Practica <noreply@localhost>"
    )
    monkeypatch.setenv("COP_SMTP_TLS", "tls")
    with pytest.raises(ValueError, match="COP_SMTP_TLS must be one of none, starttls, ssl"):
        mail.SmtpConfig.from_env()
    monkeypatch.setenv("COP_SMTP_TLS", "none")
    monkeypatch.setenv("COP_SMTP_PORT", "twenty-five")
    with pytest.raises(ValueError, match="COP_SMTP_PORT must be a port number"):
        mail.SmtpConfig.from_env()


def test_mail_leaves_after_commit_and_never_after_rollback(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LocalSmtp() as smtp:
        for name, value in smtp.env.items():
            monkeypatch.setenv(name, value)
        mail.send_after_commit(session, mail.Message("dropped@example.org", "No", "Rolled back"))
        session.add(ResetRequest(email="dropped@example.org", client_key="k"))
        session.rollback()
        mail.send_after_commit(session, mail.Message("kept@example.org", "Yes", "Committed"))
        assert smtp.received == []
        session.commit()
        smtp.wait_for("kept@example.org")
        assert [m["Subject"] for m in smtp.received] == ["Yes"]
