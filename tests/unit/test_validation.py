"""validation.*: every helper fed what a hostile or broken browser might send."""

import re

import pytest

from cop_app.services import validation
from cop_app.services.errors import Invalid

HOSTILE_NON_TEXT = [0, 7, -1, 3.5, True, False, ["a"], ("a",), {"a": 1}, {"a"}, b"bytes", object()]


# --- text -------------------------------------------------------------------------------------


def test_text_trims_and_returns_string() -> None:
    assert validation.text("  Ada Lovelace \n", "name", "Name", max_len=80) == "Ada Lovelace"


def test_text_none_reads_as_empty_when_optional() -> None:
    assert validation.text(None, "bio", "Bio", max_len=10) == ""


@pytest.mark.parametrize("value", [None, "", "   ", "\t\n"])
def test_text_required_field_refuses_empty(value: object) -> None:
    with pytest.raises(Invalid) as err:
        validation.text(value, "name", "Name", min_len=1, max_len=10)
    assert err.value.field == "name"
    assert err.value.message == "Name is required."


def test_text_min_length_message_names_the_limit() -> None:
    with pytest.raises(Invalid) as err:
        validation.text(" ab ", "name", "Name", min_len=3, max_len=10)
    assert err.value.field == "name"
    assert "at least 3 characters" in err.value.message
    assert validation.text(" abc ", "name", "Name", min_len=3, max_len=10) == "abc"


@pytest.mark.parametrize("value", HOSTILE_NON_TEXT)
def test_text_refuses_non_strings(value: object) -> None:
    with pytest.raises(Invalid) as err:
        validation.text(value, "bio", "Bio", max_len=100)
    assert err.value.field == "bio"
    assert err.value.message == "Bio must be text."


def test_text_max_length_is_inclusive_after_trimming() -> None:
    assert validation.text("x" * 80, "n", "Name", max_len=80) == "x" * 80
    assert validation.text("  " + "x" * 80 + "  ", "n", "Name", max_len=80) == "x" * 80
    with pytest.raises(Invalid) as err:
        validation.text("x" * 81, "n", "Name", max_len=80)
    assert err.value.field == "n"
    assert "at most 80 characters" in err.value.message


def test_text_refuses_huge_strings() -> None:
    with pytest.raises(Invalid) as err:
        validation.text("a" * 5_000_000, "bio", "Bio", max_len=2000)
    assert err.value.field == "bio"


def test_text_never_lets_a_nul_character_through() -> None:
    """Expected behaviour; FAILS today: validation.text returns "Ada\x00Lovelace" unchanged.
    PostgreSQL refuses NUL in text (psycopg2 raises a bare ValueError, not a DomainError), so
    every text field and search box can crash a handler on PostgreSQL."""
    try:
        value = validation.text("Ada\x00Lovelace", "name", "Name", max_len=80)
    except Invalid as err:
        assert err.field == "name"
    else:
        assert "\x00" not in value


@pytest.mark.parametrize("value", ["x\ud800y", "\udfff", "🎉\udc00"])
def test_text_refuses_lone_surrogates_with_a_clear_message(value: str) -> None:
    """A lone surrogate cannot be encoded as UTF-8: no database column or browser holds it."""
    with pytest.raises(Invalid) as err:
        validation.text(value, "title", "Title", max_len=80)
    assert err.value.field == "title"
    assert err.value.message == "Title contains characters that cannot be saved."


def test_text_keeps_unicode_and_markup_verbatim() -> None:
    raw = "<script>alert('x')</script> Ünïcødé 🎉"
    assert validation.text(raw, "bio", "Bio", max_len=100) == raw


# --- integer ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(1, 1), (42, 42), ("42", 42), (2**62, 2**62)])
def test_integer_accepts_positive_ids(value: object, expected: int) -> None:
    assert validation.integer(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -1,
        -(2**70),
        "0",
        "-5",
        "",
        "abc",
        "1.5",
        "1e3",
        "0x10",
        1.0,
        2.5,
        float("nan"),
        [1],
        (1,),
        {"id": 1},
        b"1",
        2**62 + 1,
        str(2**63),
        "9" * 5000,
    ],
)
def test_integer_refuses_everything_else(value: object) -> None:
    with pytest.raises(Invalid) as err:
        validation.integer(value, "user_id", "Person")
    assert err.value.field == "user_id"
    assert err.value.message == "Person is not valid."


def test_integer_default_field_and_label() -> None:
    with pytest.raises(Invalid) as err:
        validation.integer(-3)
    assert (err.value.field, err.value.message) == ("id", "Id is not valid.")


# --- choice -----------------------------------------------------------------------------------


def test_choice_accepts_an_option() -> None:
    assert validation.choice("coi", ("cop", "coi"), "kind", "Kind") == "coi"


@pytest.mark.parametrize("value", [None, "", "COP", " cop", "club", 1, True, ["cop"], ("cop",)])
def test_choice_refuses_anything_else(value: object) -> None:
    with pytest.raises(Invalid) as err:
        validation.choice(value, ("cop", "coi"), "kind", "Kind")
    assert err.value.field == "kind"
    assert err.value.message == "Kind must be one of: cop, coi."


# --- tags -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  ,, ,", ""),
        ("Python, Data-Science  python", "python data-science"),
        ("Data Science", "data science"),
        ("C++ C# .NET node.js", "c++ c# .net node.js"),
        (["Go", "RUST", "go"], "go rust"),
        (("ml", "AI"), "ml ai"),
        ([1, 2, 2], "1 2"),
        ("under_score slash/tag", "under-score slash-tag"),
        ("--edge--", "edge"),
    ],
)
def test_tags_normalise_to_unique_lowercase_slugs(value: object, expected: str) -> None:
    assert validation.tags(value, "tags", max_tags=8, max_len=30) == expected


def test_tags_neutralise_markup_and_unicode() -> None:
    result = validation.tags(
        "<script>alert(1)</script>, Ünïcødé, 'quote", "tags", max_tags=8, max_len=30
    )
    assert result
    for tag in validation.split_tags(result):
        assert re.fullmatch(r"[a-z0-9+#.-]+", tag), tag


@pytest.mark.parametrize("value", [5, 3.2, True, {"a": 1}, {"a"}, b"tag", object()])
def test_tags_refuse_non_text(value: object) -> None:
    with pytest.raises(Invalid) as err:
        validation.tags(value, "expertise", max_tags=8, max_len=30)
    assert err.value.field == "expertise"
    assert err.value.message == "Tags must be text."


def test_tags_refuse_too_many() -> None:
    nine = " ".join(f"t{i}" for i in range(9))
    with pytest.raises(Invalid) as err:
        validation.tags(nine, "tags", max_tags=8, max_len=30)
    assert err.value.field == "tags"
    assert err.value.message == "At most 8 tags."
    eight = " ".join(f"t{i}" for i in range(8))
    assert validation.tags(eight, "tags", max_tags=8, max_len=30) == eight


def test_tags_duplicates_do_not_count_against_the_limit() -> None:
    assert validation.tags("a " * 9, "tags", max_tags=8, max_len=30) == "a"


def test_tags_refuse_an_overlong_tag() -> None:
    assert validation.tags("x" * 30, "tags", max_tags=8, max_len=30) == "x" * 30
    with pytest.raises(Invalid) as err:
        validation.tags("ok " + "x" * 31, "tags", max_tags=8, max_len=30)
    assert err.value.field == "tags"
    assert "longer than 30 characters" in err.value.message


@pytest.mark.parametrize("value", ["a " * 1_000_000, ["tag"] * 100_000])
def test_tags_refuse_huge_input_without_parsing_it(value: object) -> None:
    with pytest.raises(Invalid) as err:
        validation.tags(value, "tags", max_tags=8, max_len=30)
    assert err.value.field == "tags"
    assert err.value.message == "At most 8 tags."


def test_split_tags() -> None:
    assert validation.split_tags("") == []
    assert validation.split_tags("a  b c") == ["a", "b", "c"]
