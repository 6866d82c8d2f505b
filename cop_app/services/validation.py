"""Input clean-up shared by every service: arguments arrive as any browser sent them."""

import re
import unicodedata
from typing import Any, Literal

from cop_app.services import settings
from cop_app.services.errors import Invalid

_TAG_RE = re.compile(r"[^a-z0-9+#.-]+")
# Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt): drawn as nothing, or,
# for the bidi controls among them, reordering what follows. Format (Cf) characters and
# controls are removed as well; U+2800 (braille blank) is a symbol drawn as a blank.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_BLANK_SYMBOLS = frozenset("\u2800")
# Cleaning a line costs time per character: input far beyond the limit is refused unread.
_RAW_LENGTH_FACTOR = 4


def text(value: Any, field: str, label: str, *, min_len: int = 0, max_len: int) -> str:
    """A trimmed string within bounds, or Invalid naming the field."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"{label} must be text.", field)
    value = value.strip()
    if "\x00" in value:
        raise Invalid(f"{label} contains a character that is not allowed.", field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no database or browser can hold it
        raise Invalid(f"{label} contains characters that cannot be saved.", field) from None
    if min_len and len(value) < min_len:
        if min_len == 1:
            raise Invalid(f"{label} is required.", field)
        raise Invalid(f"{label} must be at least {min_len} characters.", field)
    if len(value) > max_len:
        raise Invalid(f"{label} must be at most {max_len} characters.", field)
    return value


def _hidden(char: str) -> bool:
    return unicodedata.category(char) in ("Cf", "Cc") and not char.isspace()


def strip_invisible(value: str) -> str:
    """Without invisible and bidi control characters; any run of spaces becomes one space."""
    kept = "".join(c for c in _IGNORABLE.sub("", value) if not _hidden(c))
    return " ".join(kept.split())


def has_visible(value: str) -> bool:
    """At least one letter, digit, punctuation mark or symbol that is drawn as something."""
    return any(unicodedata.category(c)[0] in "LNPS" and c not in _BLANK_SYMBOLS for c in value)


def line(
    value: Any,
    field: str,
    label: str,
    *,
    min_len: int = 0,
    max_len: int,
    form: Literal["NFC", "NFKC"] = "NFC",
) -> str:
    """A one-line name or title others read: normalised, without invisible or bidi control
    characters (they hide or reorder text), and refused when nothing visible is left.

    Names use NFKC, which folds look-alike compatibility forms (fullwidth, math letters);
    titles keep NFC, which changes no character people can see."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"{label} must be text.", field)
    if len(value) > max_len * _RAW_LENGTH_FACTOR:
        raise Invalid(f"{label} must be at most {max_len} characters.", field)
    cleaned = unicodedata.normalize(form, strip_invisible(value))
    cleaned = text(cleaned, field, label, min_len=min_len, max_len=max_len)
    if cleaned and not has_visible(cleaned):
        raise Invalid(f"{label} must contain visible letters, digits or signs.", field)
    return cleaned


def integer(value: Any, field: str = "id", label: str = "Id") -> int:
    """A positive integer id; booleans and floats are refused."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Invalid(f"{label} is not valid.", field)
    try:
        number = int(value)
    except ValueError:
        raise Invalid(f"{label} is not valid.", field) from None
    if number <= 0 or number > 2**62:
        raise Invalid(f"{label} is not valid.", field)
    return number


def choice(value: Any, options: tuple[str, ...], field: str, label: str) -> str:
    """One of a fixed set of strings."""
    if not isinstance(value, str) or value not in options:
        raise Invalid(f"{label} must be one of: {', '.join(options)}.", field)
    return value


def tags(value: Any, field: str, *, max_tags: int, max_len: int) -> str:
    """Comma- or space-separated tags, normalised to unique lowercase slugs."""
    if value is None:
        value = ""
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value)
    if not isinstance(value, str):
        raise Invalid("Tags must be text.", field)
    if len(value) > max_tags * (max_len + 2):
        raise Invalid(f"At most {max_tags} tags.", field)
    seen: list[str] = []
    for raw in re.split(r"[,\s]+", value.lower()):
        tag = _TAG_RE.sub("-", raw).strip("-")
        if not tag:
            continue
        if len(tag) > max_len:
            raise Invalid(f"Tag “{tag[:20]}…” is longer than {max_len} characters.", field)
        if tag not in seen:
            seen.append(tag)
    if len(seen) > max_tags:
        raise Invalid(f"At most {max_tags} tags.", field)
    return " ".join(seen)


def split_tags(stored: str) -> list[str]:
    """The stored space-separated form as a list."""
    return [t for t in stored.split(" ") if t]


def like_pattern(value: str) -> str:
    """A LIKE pattern matching `value` literally anywhere (use with escape="\\")."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_CLIENT_KEY_RE = re.compile(
    rf"[A-Za-z0-9_-]{{{settings.CLIENT_KEY_MIN_LENGTH},{settings.CLIENT_KEY_MAX_LENGTH}}}"
)


def client_key(value: Any) -> str | None:
    """A draft's idempotency key (url-safe characters, bounded length) or None when absent;
    it comes from the browser, so any other shape is refused."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _CLIENT_KEY_RE.fullmatch(value):
        raise Invalid("This draft's key is not valid; reload the page and post again.", "form")
    return value
