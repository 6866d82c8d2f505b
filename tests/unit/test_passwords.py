"""passwords.*: the length + common-list policy, argon2 hashing, and upgrading old hashes."""

import pytest
from passlib.hash import pbkdf2_sha256
from sqlmodel import Session, select

from cop_app.models import LoginAttempt, User
from cop_app.services import accounts, passwords
from cop_app.services.errors import Invalid

STRONG = "zq8#Lm2!vx"  # exactly 10 characters, not a common password


# --- policy -----------------------------------------------------------------------------------


def test_common_list_is_large_and_clean() -> None:
    common = passwords.common_passwords()
    assert len(common) >= 10_000
    assert "1234567890" in common
    assert "qwertyuiop" in common
    assert all(entry == entry.lower() and entry == entry.strip() for entry in common)
    assert not any(
        entry.startswith("#") for entry in common
    )  # the header comment is not a password
    assert STRONG.lower() not in common


def test_nine_characters_are_too_short() -> None:
    with pytest.raises(Invalid) as err:
        passwords.check_policy(STRONG[:9])
    assert err.value.field == "password"
    assert "at least 10 characters" in err.value.message


def test_ten_characters_are_enough() -> None:
    assert len(STRONG) == 10
    assert passwords.check_policy(STRONG) == STRONG


def test_128_characters_are_allowed_and_129_refused() -> None:
    longest = ("Correct-Horse-Battery-" * 7)[:128]
    assert passwords.check_policy(longest) == longest
    with pytest.raises(Invalid) as err:
        passwords.check_policy(longest + "x")
    assert err.value.field == "password"
    assert "at most 128 characters" in err.value.message


@pytest.mark.parametrize(
    "common", ["1234567890", "qwertyuiop", "QWERTYuiop", "password123", " 1234567890 "]
)
def test_common_passwords_are_refused_whatever_the_case(common: str) -> None:
    with pytest.raises(Invalid) as err:
        passwords.check_policy(common)
    assert err.value.field == "password"
    assert "too common" in err.value.message


@pytest.mark.parametrize(
    "password", ["ada.lovelace@example.org", "ADA.Lovelace@Example.org", "ada.lovelace"]
)
def test_the_users_own_email_is_refused(password: str) -> None:
    with pytest.raises(Invalid) as err:
        passwords.check_policy(password, " Ada.Lovelace@example.org ")
    assert err.value.field == "password"
    assert "email" in err.value.message
    # The same string is acceptable for somebody else.
    assert passwords.check_policy(password, "grace@example.org") == password


@pytest.mark.parametrize("value", [None, "", 1234567890, ["x" * 12], b"0123456789abc", True])
def test_missing_or_non_text_password_is_refused(value: object) -> None:
    with pytest.raises(Invalid) as err:
        passwords.check_policy(value)
    assert err.value.field == "password"
    assert err.value.message == "Enter a password."


def test_unicode_passphrase_is_fine() -> None:
    phrase = "пароль-секрет-ёж"
    assert passwords.check_policy(phrase) == phrase


# --- hashing ----------------------------------------------------------------------------------


def test_hash_is_salted_argon2_and_verifies() -> None:
    first = passwords.hash_password(STRONG)
    second = passwords.hash_password(STRONG)
    assert first.startswith("$argon2id$")
    assert passwords.pwd_context.identify(first) == "argon2"
    assert first != second  # salted
    assert STRONG not in first
    assert passwords.verify_password(STRONG, first) == (True, None)
    assert passwords.verify_password(STRONG + "!", first) == (False, None)


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$argon2id$garbage", "plain text password"])
def test_verify_against_a_broken_hash_is_false_not_an_error(stored: str) -> None:
    assert passwords.verify_password(STRONG, stored) == (False, None)


def test_verify_and_update_rehashes_pbkdf2_as_argon2() -> None:
    old = pbkdf2_sha256.hash(STRONG)
    ok, new_hash = passwords.verify_password(STRONG, old)
    assert ok is True
    assert new_hash is not None and new_hash.startswith("$argon2")
    assert passwords.verify_password(STRONG, new_hash) == (True, None)
    assert passwords.verify_password("wrong-password-here", old) == (False, None)


def test_sign_in_replaces_a_pbkdf2_hash_with_argon2(session: Session, make_user) -> None:
    user = make_user(session, email="old@example.org", password_hash=pbkdf2_sha256.hash(STRONG))
    assert user.password_hash.startswith("$pbkdf2-sha256$")

    result = accounts.check_sign_in(session, "old@example.org", STRONG, "client-1")

    assert result.user.id == user.id
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored.password_hash.startswith("$argon2")
    assert passwords.verify_password(STRONG, stored.password_hash) == (True, None)
    attempt = session.exec(select(LoginAttempt)).one()
    assert attempt.success is True
