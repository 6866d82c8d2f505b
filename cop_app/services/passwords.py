"""Password hashing (argon2, pbkdf2 fallback) and the length + common-list policy."""

from functools import lru_cache
from pathlib import Path

from passlib.context import CryptContext

from cop_app.services import settings
from cop_app.services.errors import Invalid

# passlib 1.7.4 breaks with bcrypt 5, so bcrypt is deliberately absent.
pwd_context = CryptContext(schemes=["argon2", "pbkdf2_sha256"], deprecated="auto")

_COMMON_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of the 30,000 most common passwords, lowercased."""
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def check_policy(password: object, email: str = "") -> str:
    """Length 10-128, not a common password, not the user's own email."""
    if not isinstance(password, str) or not password:
        raise Invalid("Enter a password.", "password")
    if len(password) < settings.PASSWORD_MIN_LENGTH:
        raise Invalid(
            f"Use at least {settings.PASSWORD_MIN_LENGTH} characters.",
            "password",
        )
    if len(password) > settings.PASSWORD_MAX_LENGTH:
        raise Invalid(
            f"Use at most {settings.PASSWORD_MAX_LENGTH} characters.",
            "password",
        )
    lowered = password.strip().lower()
    if lowered in common_passwords():
        raise Invalid("This password is too common; choose another one.", "password")
    email = email.strip().lower()
    if email and (lowered == email or lowered == email.split("@")[0]):
        raise Invalid("Do not use your email address as password.", "password")
    return password


def hash_password(password: str) -> str:
    """A fresh hash under the current default scheme."""
    return pwd_context.hash(password)


def verify_password(password: str, stored_hash: str) -> tuple[bool, str | None]:
    """Verify, returning a replacement hash when the stored one is outdated."""
    try:
        return pwd_context.verify_and_update(password, stored_hash)
    except (ValueError, TypeError):
        return False, None
