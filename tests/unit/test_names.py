"""Names and titles: invisible and bidi characters, and names posing as an admin's or steward's."""

import pytest
from sqlmodel import Session, select

from cop_app.models import User
from cop_app.services import accounts, communities, discussions, names, validation
from cop_app.services.errors import Invalid

NEW_PASSWORD = "violet-meadow-compass-7"


def fullwidth(text: str) -> str:
    """The same letters from the fullwidth block (U+FF01-FF5E), spaces kept."""
    return "".join(c if c == " " else chr(ord(c) + 0xFEE0) for c in text)


INVISIBLE_ONLY = [
    "\u200b\u200b\u200b",  # zero-width spaces
    "\u3164\u3164\u3164",  # Hangul fillers (letters drawn as nothing)
    "\u2800\u2800\u2800",  # braille blanks
    "\u202e\u2066\u200f\u200d\u2060",  # bidi controls, joiners
    "\u00a0\u3000\u2003 ",  # unusual spaces only
    "\ufe0f\u034f\u180e\ufeff",  # variation selector, grapheme joiner, BOM
]

IMPERSONATIONS = [
    "Amara Okafor",
    "amara okafor",  # case
    "AMARA  OKAFOR",  # case and a doubled space
    "Am\u0430ra 0kafor",  # a Cyrillic a (U+0430) and a zero
    "Amara\u200d Oka\u200bfor",  # zero-width joiner and space
    "\u202eAmara Okafor",  # right-to-left override
    fullwidth("Amara Okafor"),
    "Amara Okafor.",  # punctuation
    "Daniel Reyes",  # a steward who is also an admin
    "Marta Si1va",  # a steward (not an admin), with a one for the l
]

EVERYDAY_NAMES = ["Zoë Ñúñez", "李小龍", "Ахмед", "محمد علي", "Nguyễn Thị Minh", "O'Brien-Smith"]


@pytest.mark.parametrize("value", INVISIBLE_ONLY)
def test_a_line_of_only_invisible_characters_is_refused(value: str) -> None:
    with pytest.raises(Invalid) as err:
        validation.line(value, "title", "Title", min_len=1, max_len=200)
    assert err.value.field == "title"


def test_an_optional_line_may_be_left_empty_even_with_invisible_characters() -> None:
    assert validation.line("\u200b\u202e ", "title", "Title", max_len=200) == ""


def test_invisible_and_bidi_characters_are_stripped_and_spaces_collapsed() -> None:
    value = "\u202eSafe\u200b \u2066link\u2069\u00a0\u00a0here\u200f"
    assert validation.line(value, "title", "Title", min_len=1, max_len=200) == "Safe link here"


def test_a_line_is_normalised_nfc_for_titles_and_nfkc_for_names() -> None:
    assert validation.line("Zoe\u0308 x²", "title", "Title", max_len=50) == "Zoë x²"
    assert (
        validation.line(fullwidth("Zoe") + "\u0308 x²", "n", "Name", max_len=50, form="NFKC")
        == "Zoë x2"
    )


def test_a_line_length_counts_what_is_left_and_huge_input_is_refused_unread() -> None:
    assert validation.line("ab" + "\u200b" * 6, "n", "Name", min_len=2, max_len=2) == "ab"
    with pytest.raises(Invalid, match="at most 2 characters"):
        validation.line("\u200b" * 9, "n", "Name", max_len=2)


@pytest.mark.parametrize("value", [None, 3, ["a"], b"abc"])
def test_a_line_refuses_non_text_but_reads_none_as_empty(value: object) -> None:
    if value is None:
        assert validation.line(value, "n", "Name", max_len=5) == ""
        return
    with pytest.raises(Invalid, match="must be text"):
        validation.line(value, "n", "Name", max_len=5)


def test_skeletons_of_look_alike_names_are_equal() -> None:
    base = names.skeleton("Amara Okafor")
    assert all(names.skeleton(name) == base for name in IMPERSONATIONS[:8])
    assert names.skeleton("Amara Okafo") != base
    assert names.skeleton("Ахмед") != names.skeleton("Ахмад")


def _staff(session: Session, make_user, make_community) -> None:
    make_user(session, role="admin", display_name="Amara Okafor")
    make_user(session, role="admin", display_name="Daniel Reyes")
    marta = make_user(session, display_name="Marta Silva")
    make_community(session, marta)


@pytest.mark.parametrize("name", IMPERSONATIONS)
def test_sign_up_refuses_a_name_posing_as_an_admin_or_steward(
    session: Session, make_user, make_community, row_counts, name: str
) -> None:
    _staff(session, make_user, make_community)
    before = row_counts(session)
    with pytest.raises(Invalid) as err:
        accounts.check_sign_up(session, "new@example.org", name, NEW_PASSWORD, "client")
    assert err.value.field == "display_name"
    assert "admin or steward" in err.value.message
    assert row_counts(session) == before


@pytest.mark.parametrize("name", EVERYDAY_NAMES)
def test_sign_up_accepts_everyday_names_in_any_script(
    session: Session, make_user, make_community, name: str
) -> None:
    _staff(session, make_user, make_community)
    assert (
        accounts.check_sign_up(
            session, "new@example.org", name, NEW_PASSWORD, "c"
        ).user.display_name
        == name
    )


@pytest.mark.parametrize("name", INVISIBLE_ONLY)
def test_sign_up_refuses_an_invisible_display_name(session: Session, row_counts, name: str) -> None:
    before = row_counts(session)
    with pytest.raises(Invalid) as err:
        accounts.check_sign_up(session, "new@example.org", name, NEW_PASSWORD, "client")
    assert err.value.field == "display_name"
    assert row_counts(session) == before


def test_sign_up_stores_the_name_without_invisible_characters(session: Session) -> None:
    result = accounts.check_sign_up(
        session, "new@example.org", "Jo\u200b Ann\u202e", NEW_PASSWORD, "c"
    )
    assert result.user.display_name == "Jo Ann"


def test_a_member_cannot_rename_themself_as_a_steward(
    session: Session, make_user, make_community
) -> None:
    _staff(session, make_user, make_community)
    member = make_user(session, display_name="Ordinary Member")
    with pytest.raises(Invalid):
        accounts.check_update_profile(session, member, "MARTA SILVA", "", "", "")
    session.rollback()
    assert session.get(User, member.id).display_name == "Ordinary Member"


def test_staff_keep_their_own_name_in_any_case(session: Session, make_user, make_community) -> None:
    _staff(session, make_user, make_community)
    amara = session.exec(select(User).where(User.display_name == "Amara Okafor")).one()
    assert accounts.check_update_profile(
        session, amara, "AMARA OKAFOR", "", "", ""
    ).display_name == ("AMARA OKAFOR")


def test_a_legacy_look_alike_may_save_their_profile_unchanged(
    session: Session, make_user, make_community
) -> None:
    _staff(session, make_user, make_community)
    old = make_user(session, display_name="amara okafor")
    assert accounts.check_update_profile(session, old, "amara okafor", "bio", "", "").bio == "bio"


def test_thread_titles_and_community_names_refuse_invisible_text() -> None:
    with pytest.raises(Invalid) as err:
        discussions.clean_thread_input("discussion", "\u3164" * 8, "A body", "")
    assert err.value.field == "title"
    with pytest.raises(Invalid) as err:
        communities.clean_input("\u200b" * 6, "cop", "A domain statement.", "", "", "open")
    assert err.value.field == "name"
    cleaned = discussions.clean_thread_input("discussion", "\u202eHello there", "A body", "")
    assert cleaned.title == "Hello there"
