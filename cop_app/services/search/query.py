"""What a person typed, made safe: terms parsed from the text and the engine's query built
from them, never the raw input (FTS5 operators, NEAR, column filters, stray quotes and
brackets are just words or nothing); and snippets built by splitting the text into plain and
marked segments, so the page renders text, never markup."""

import re
from dataclasses import dataclass
from functools import lru_cache

from cop_app.services import settings
from cop_app.services.search.index import fold, words

_PHRASE = re.compile(r'"([^"]*)"')
_TOKEN = re.compile(r"[^\W_]+\*?")


@dataclass(frozen=True)
class Term:
    """A word, or a phrase of words in order; `prefix`: the last word may go on."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Parsed:
    """The terms of a query and what the person should know about how it was read."""

    terms: tuple[Term, ...]
    note: str = ""

    @property
    def empty(self) -> bool:
        """Nothing searchable was typed (punctuation, emoji, a lone `*`)."""
        return not self.terms


def parse(text: object, *, typing: bool = False) -> Parsed:
    """Terms from `text`: "quoted phrases", words, `word*` prefixes; while `typing` the last
    word is a prefix too. Capped at SITE_SEARCH_QUERY_MAX characters and SEARCH_TERMS_MAX terms."""
    raw = text if isinstance(text, str) else ""
    note = ""
    if len(raw) > settings.SITE_SEARCH_QUERY_MAX:
        raw = raw[: settings.SITE_SEARCH_QUERY_MAX]
        note = f"Only the first {settings.SITE_SEARCH_QUERY_MAX} characters were searched."
    terms = _split(raw, typing)
    if len(terms) > settings.SEARCH_TERMS_MAX:
        terms = terms[: settings.SEARCH_TERMS_MAX]
        note = note or f"Only the first {settings.SEARCH_TERMS_MAX} words were searched."
    return Parsed(tuple(terms), note)


def _split(raw: str, typing: bool) -> list[Term]:
    terms: list[Term] = []
    pos = 0
    pieces: list[tuple[str, bool]] = []  # (text, is_phrase)
    for m in _PHRASE.finditer(raw):
        pieces.append((raw[pos : m.start()], False))
        pieces.append((m.group(1), True))
        pos = m.end()
    pieces.append((raw[pos:], False))
    for text, phrase in pieces:
        if phrase:
            ws = tuple(words(text))
            if ws:
                terms.append(Term(ws))
            continue
        for token in _TOKEN.findall(fold(text)):
            star = token.endswith("*")
            word = token.rstrip("*")
            terms.append(Term((word,), prefix=star and len(word) >= settings.SEARCH_PREFIX_MIN))
    last = pieces[-1][0] if pieces else ""
    if typing and terms and not pieces[-1][1] and last.strip() and not last.endswith(" "):
        t = terms[-1]
        if len(t.words) == 1 and len(t.words[0]) >= settings.SEARCH_PREFIX_MIN:
            terms[-1] = Term(t.words, prefix=True)
    return terms


def fts5(parsed: Parsed) -> str:
    """The FTS5 MATCH expression: every term a quoted string (words are letters and digits
    only, so a quote cannot occur inside), `*` after a prefix, all of them required."""
    out = []
    for t in parsed.terms:
        out.append('"' + " ".join(t.words) + '"' + ("*" if t.prefix else ""))
    return " ".join(out)


def tsquery(parsed: Parsed) -> str:
    """The PostgreSQL to_tsquery text: phrases with <->, prefixes with :*, joined by &."""
    out = []
    for t in parsed.terms:
        text = " <-> ".join(t.words)
        out.append(f"({text}:*)" if t.prefix else f"({text})")
    return " & ".join(out)


@dataclass(frozen=True)
class Segment:
    """A piece of a title or snippet; `mark` says it matched the query."""

    text: str
    mark: bool = False


_SPLIT = re.compile(r"([^\W_]+)")


_fold_word = lru_cache(maxsize=8192)(fold)


@lru_cache(maxsize=256)
def _targets(parsed: Parsed) -> tuple[frozenset[str], tuple[str, ...]]:
    """The words a query marks and the prefixes it marks, worked out once per query: a page
    of snippets tests thousands of words (set lookups, not a loop over the terms each)."""
    exact: set[str] = set()
    prefixes: list[str] = []
    for t in parsed.terms:
        exact.update(t.words)
        if t.prefix:
            prefixes.append(t.words[-1])
    return frozenset(exact), tuple(prefixes)


def segments(text: str, parsed: Parsed, limit: int = 0) -> list[Segment]:
    """`text` cut into plain and marked pieces; with `limit`, a window of about that many
    characters around the first match (with … at cut ends). Text only: the page shows it as
    text, so nothing a member wrote can become markup."""
    exact, prefixes = _targets(parsed)

    def marked(word: str) -> bool:
        w = _fold_word(word)
        return w in exact or (bool(prefixes) and w.startswith(prefixes))

    text = " ".join(text.split())
    if limit and len(text) > limit:
        first = next((m.start() for m in _SPLIT.finditer(text) if marked(m.group())), 0)
        start = max(0, first - limit // 4)
        if start:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < first else start
        end = min(len(text), start + limit)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > first else end
        text = ("… " if start else "") + text[start:end] + (" …" if end < len(text) else "")
    out: list[Segment] = []
    plain: list[str] = []  # unmarked pieces since the last mark, joined into one segment
    for i, piece in enumerate(_SPLIT.split(text)):
        if i % 2 == 1 and marked(piece):
            if plain:
                out.append(Segment("".join(plain)))
                plain = []
            out.append(Segment(piece, True))
        elif piece:
            plain.append(piece)
    if plain:
        out.append(Segment("".join(plain)))
    return out
