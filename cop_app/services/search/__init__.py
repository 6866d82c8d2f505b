"""Search: one interface over SQLite FTS5 and PostgreSQL full-text search.

`search` finds threads, replies, resources, communities and people the searcher may see;
`experts` (experts.py) answers "who knows X"; `rebuild` rewrites the index. The index is
kept in the writer's transaction by index.py; queries are built from parsed terms
(query.py), never from raw input.

Ranking: the engine's text relevance (FTS5 bm25 with column weights title 10, tags 5,
names 5, body 1; PostgreSQL ts_rank with weights A title, B tags and names, D body) over
the best SEARCH_WINDOW matches, then multiplied by documented boosts (BOOSTS below):
an accepted answer, an answered question, reactions, endorsed and reused resources
(outdated ones lose a little), and recent activity. Relevance is scored over the
SEARCH_SCAN (1,000) newest matches the searcher may see; the top bar's live results, one
search per keystroke of every tab, over the SEARCH_LIVE_SCAN (200) newest, re-ordering the
best SEARCH_LIVE_WINDOW: a word found in thousands of documents shows recent ones as you
type, and Enter ranks the full page over the larger scan.
"""

import difflib
import math
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, bindparam, text
from sqlmodel import Session, col, select

from cop_app import routes
from cop_app.models import Community, Membership, User
from cop_app.models.base import utcnow
from cop_app.services import settings
from cop_app.services.access import require_user
from cop_app.services.search import index, query
from cop_app.services.search.index import rebuild
from cop_app.services.search.query import Parsed, Segment, parse

KINDS = ("thread", "reply", "resource", "community", "person")
KIND_LABELS = {
    "thread": "Threads",
    "reply": "Replies",
    "resource": "Library",
    "community": "Communities",
    "person": "People",
}
ANSWERED = ("", "answered", "unanswered")

# Boosts multiply the text relevance (documented in the README's search entry).
BOOSTS = {
    "accepted_answer": 1.6,  # a reply marked as the accepted answer
    "answered_question": 1.2,  # a question thread with an accepted answer
    "reactions": 0.1,  # x (1 + this * ln(1 + reactions on the post or thread))
    "resource_use": 0.2,  # x (1 + this * ln(1 + endorsements + reuses))
    "outdated": 0.8,  # a resource marked outdated
    "recent": 0.25,  # x (1 + this * 0.5 ** (age in days / 90))
}

__all__ = ["KINDS", "Filters", "Hit", "Results", "Segment", "rebuild", "search"]


@dataclass(frozen=True)
class Filters:
    """What narrows a search; empty strings mean no filter."""

    kind: str = ""
    community: str = ""  # a slug
    tag: str = ""
    author: str = ""  # a handle
    since: str = ""  # YYYY-MM-DD
    until: str = ""  # YYYY-MM-DD
    answered: str = ""  # "", "answered", "unanswered"

    def active(self) -> list[str]:
        """The names of the filters in use."""
        return [name for name, value in self.__dict__.items() if value]


@dataclass
class Hit:
    """One result as the page shows it: text segments only, never markup."""

    key: str
    kind: str
    url: str
    title: list[Segment]
    snippet: list[Segment]
    meta: str
    score: float = 0.0


@dataclass
class Suggestion:
    """A way out of "nothing found": another spelling, or a filter to drop."""

    label: str
    query: str = ""
    drop: str = ""  # the filter to remove


@dataclass
class Group:
    """The results of one kind (the top bar shows them grouped)."""

    kind: str
    label: str
    hits: list[Hit] = field(default_factory=list)


@dataclass
class Results:
    """A page of results, with what the searcher should know about the query."""

    query: str
    hits: list[Hit]
    total: int = 0
    page: int = 1
    pages: int = 1
    capped: bool = False  # more matched than ranking looks at
    note: str = ""
    suggestions: list[Suggestion] = field(default_factory=list)

    def groups(self) -> list[Group]:
        """The hits grouped by kind, in the order of KINDS."""
        out = {k: Group(k, KIND_LABELS[k]) for k in KINDS}
        for h in self.hits:
            out[h.kind].hits.append(h)
        return [g for g in out.values() if g.hits]


def visible_communities(session: Session, user: User) -> list[int] | None:
    """Communities whose inside the user may see (access.may_see_inside); None: all (admin)."""
    if user.role == "admin":
        return None
    mine = select(Membership.community_id).where(
        Membership.user_id == user.id, Membership.status == "active"
    )
    return list(
        session.exec(
            select(Community.id).where(
                (Community.visibility == "open") | col(Community.id).in_(mine)
            )
        ).all()
    )


def _day(value: str) -> datetime | None:
    """A YYYY-MM-DD filter as the start of that day; anything else is no filter."""
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time())
    except ValueError:
        return None


# The communities whose inside the searcher may see (access.may_see_inside), as SQL on doc
# `d`: answered by the database inside the search query, not by a separate round trip.
_SCOPE = (
    "(d.community_id IS NULL OR d.community_id IN (SELECT c.id FROM community c "
    "WHERE c.visibility = 'open' OR c.id IN (SELECT m.community_id FROM membership m "
    "WHERE m.user_id = :uid AND m.status = 'active')))"
)


def _where(
    session: Session, user: User, filters: Filters, kinds: tuple[str, ...]
) -> tuple[list[str], dict[str, Any]] | None:
    """The SQL conditions on doc `d` for this searcher and these filters (None: none can
    match, e.g. a community or author that does not exist)."""
    conds: list[str] = []
    params: dict[str, Any] = {}
    known = [k for k in KINDS if k in kinds]  # SQL literals from our own constants only
    if not known:
        return None
    if len(known) < len(KINDS):
        conds.append("d.kind IN (" + ", ".join(f"'{k}'" for k in known) + ")")
    if user.role != "admin":
        conds.append(_SCOPE)
        params["uid"] = user.id
    if filters.community:
        cid = session.exec(select(Community.id).where(Community.slug == filters.community)).first()
        if cid is None:
            return None
        conds.append("d.community_id = :cid")
        params["cid"] = cid
    if filters.author:
        aid = session.exec(
            select(User.id).where(User.handle == filters.author.lstrip("@").lower())
        ).first()
        if aid is None:
            return None
        conds.append("d.author_id = :aid")
        params["aid"] = aid
    if filters.tag:
        params["tag"] = f"% {filters.tag.lower().strip()} %"
        conds.append(
            "((' ' || d.tags || ' ') LIKE :tag OR (d.kind = 'reply' AND d.thread_id IN "
            "(SELECT id FROM thread WHERE (' ' || tags || ' ') LIKE :tag)))"
        )
    since, until = _day(filters.since), _day(filters.until)
    if since:
        conds.append("d.created_at >= :since")
        params["since"] = since
    if until:
        conds.append("d.created_at < :until")
        params["until"] = until + timedelta(days=1)
    if filters.answered in ("answered", "unanswered"):
        conds.append("d.answered = :answered")
        params["answered"] = 1 if filters.answered == "answered" else 0
    return conds or ["1 = 1"], params


def _candidate_sql(
    session: Session,
    user: User,
    parsed: Parsed,
    filters: Filters,
    kinds: tuple[str, ...],
    limit: int,
    scan: int = 0,
) -> tuple[str, dict[str, Any]] | None:
    """The SQL of `candidates` and its parameters (None: nothing can match)."""
    built = _where(session, user, filters, kinds)
    if built is None or parsed.empty:
        return None
    conds, params = built
    params["limit"] = limit
    params["scan"] = max(limit, scan or settings.SEARCH_SCAN)
    cols = (
        "d.id, d.kind, d.ref_id, d.thread_id, d.post_number, d.community_id, d.author_id, "
        "d.created_at"
    )
    where = " AND ".join(conds)
    if session.get_bind().dialect.name == "postgresql":
        params["q"] = query.tsquery(parsed)
        sql = (
            f"SELECT * FROM (SELECT {cols}, ts_rank('{{0.1, 0.2, 0.4, 1.0}}', d.tsv, q) AS rel "
            f"FROM search_doc d, to_tsquery('simple', :q) q WHERE d.tsv @@ q AND {where} "
            f"ORDER BY d.id DESC LIMIT :scan) s ORDER BY rel DESC LIMIT :limit"
        )
    else:
        params["q"] = query.fts5(parsed)
        sql = (
            f"SELECT * FROM (SELECT {cols}, -bm25(search_fts, 10.0, 1.0, 5.0, 5.0) AS rel "
            f"FROM search_fts JOIN search_doc d ON d.id = search_fts.rowid "
            f"WHERE search_fts MATCH :q AND {where} "
            f"ORDER BY search_fts.rowid DESC LIMIT :scan) ORDER BY rel DESC LIMIT :limit"
        )
    return sql, params


def _run(session: Session, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Plain rows as dicts (no ORM objects on the hot path)."""
    return [dict(r._mapping) for r in session.connection().execute(_text(sql), params)]


@lru_cache(maxsize=256)
def _text(sql: str) -> TextClause:
    """One construct per statement text, so SQLAlchemy finds its compiled form at once."""
    return text(sql)


def candidates(
    session: Session,
    user: User,
    parsed: Parsed,
    filters: Filters,
    kinds: tuple[str, ...],
    limit: int,
) -> list[dict[str, Any]]:
    """The best `limit` docs by text relevance (`rel`, higher is better) the user may see,
    among the SEARCH_SCAN newest matches: a word in most documents costs a bounded scan,
    not a score for each of them (rarer words are ranked over all their matches)."""
    built = _candidate_sql(session, user, parsed, filters, kinds, limit)
    return [] if built is None else _run(session, *built)


# What ranking and display need of each candidate, read in the same statement for the
# bounded candidate set only: the doc's title and tags, the thread (boosts, a reply's
# title), the reply's reactions, the resource's use, the community and the author's name.
# (alias, table, columns, how it meets candidate `m`)
_JOINED = (
    ("x", "search_doc", "x.title, x.tags", "x.id = m.id"),
    (
        "t",
        "thread",
        "t.id AS t_id, t.kind AS t_kind, t.title AS t_title, t.accepted_post_id AS t_accepted, "
        "t.reaction_count AS t_reactions, t.last_activity_at AS t_active",
        "t.id = m.thread_id",
    ),
    (
        "p",
        "post",
        "p.helpful + p.insightful + p.thanks AS p_reactions",
        "m.kind = 'reply' AND p.id = m.ref_id",
    ),
    (
        "r",
        "resource",
        "r.id AS r_id, r.endorse_count + r.reuse_count AS r_uses, r.outdated AS r_outdated, "
        "r.updated_at AS r_updated",
        "m.kind = 'resource' AND r.id = m.ref_id",
    ),
    (
        "c",
        "community",
        "c.id AS c_id, c.slug AS c_slug, c.name AS c_name",
        "c.id = (CASE WHEN m.kind = 'community' THEN m.ref_id ELSE m.community_id END)",
    ),
    ("u", '"user"', "u.display_name AS u_name", "u.id = m.author_id"),
)


@lru_cache(maxsize=64)
def _details_sql(candidates: str, postgresql: bool) -> str:
    """The candidates statement with their details joined. PostgreSQL gets one LATERAL
    probe per candidate (LIMIT 1 keeps the planner from turning it into a hash join over
    the whole table when its statistics are stale, measured 8 ms a query after a bulk load);
    SQLite always probes by primary key."""
    if postgresql:
        joins = " ".join(
            f"LEFT JOIN LATERAL (SELECT {cols} FROM {table} {alias} WHERE {on} LIMIT 1) "
            f"{alias} ON true"
            for alias, table, cols, on in _JOINED
        )
        names = ", ".join(f"{alias}.*" for alias, *_ in _JOINED)
    else:
        joins = " ".join(f"LEFT JOIN {table} {alias} ON {on}" for alias, table, _, on in _JOINED)
        names = ", ".join(cols for _, _, cols, _ in _JOINED)
    return f"SELECT m.*, {names} FROM ({candidates}) m {joins}"


def _bodies(session: Session, docs: list[dict[str, Any]]) -> None:
    """Add the body of these docs (only the ones shown with a snippet are read)."""
    ids = [d["id"] for d in docs]
    if not ids:
        return
    stmt = text("SELECT id, body FROM search_doc WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    found = {r.id: r.body for r in session.connection().execute(stmt, {"ids": ids})}
    for d in docs:
        d["body"] = found.get(d["id"], "")


def _when(value: Any) -> datetime | None:
    """A datetime from a plain query (SQLite hands back text)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value if isinstance(value, datetime) else None


def _boost(docs: list[dict[str, Any]], now: datetime) -> None:
    """Multiply each doc's relevance by its boosts (from the rows _JOINED read)."""
    for d in docs:
        score = max(float(d["rel"]), 1e-9)
        when = d["created_at"]
        if d["kind"] in ("thread", "reply") and d["t_id"] is not None:
            if d["kind"] == "reply":
                if d["t_accepted"] == d["ref_id"]:
                    score *= BOOSTS["accepted_answer"]
                score *= 1 + BOOSTS["reactions"] * math.log1p(d["p_reactions"] or 0)
            else:
                if d["t_kind"] == "question" and d["t_accepted"]:
                    score *= BOOSTS["answered_question"]
                score *= 1 + BOOSTS["reactions"] * math.log1p(d["t_reactions"])
                when = d["t_active"]
        elif d["kind"] == "resource" and d["r_id"] is not None:
            score *= 1 + BOOSTS["resource_use"] * math.log1p(d["r_uses"])
            if d["r_outdated"]:
                score *= BOOSTS["outdated"]
            when = d["r_updated"]
        when = _when(when)
        if when is not None:
            age = max(0.0, (now - when.replace(tzinfo=None)).total_seconds() / 86400)
            score *= 1 + BOOSTS["recent"] * 0.5 ** (age / 90)
        d["score"] = score


def _hits(
    session: Session, docs: list[dict[str, Any]], parsed: Parsed, *, snippets: bool = True
) -> list[Hit]:
    """Display rows for these docs: links, highlighted titles, a meta line, and with
    `snippets` a highlighted piece of the body (the top bar shows none, so reads none)."""
    if snippets:
        _bodies(session, docs)
    out = []
    for d in docs:
        kind = d["kind"]
        where = (d["c_name"] or "") if kind != "community" else ""
        who = d["u_name"] or ""
        title, body = d["title"], d.get("body", "")
        if kind in ("thread", "reply"):
            if d["c_id"] is None or d["t_id"] is None:
                continue
            number = d["post_number"] if kind == "reply" else None
            url = routes.thread_url(d["c_slug"], d["thread_id"], number)
            if kind == "reply":
                title = f"Reply in “{d['t_title']}”"
                if d["t_accepted"] == d["ref_id"]:
                    title = f"Accepted answer in “{d['t_title']}”"
            meta = " · ".join(x for x in (where, who) if x)
        elif kind == "resource":
            url = routes.resource_url(d["ref_id"])
            meta = " · ".join(x for x in (where, who, d["tags"]) if x)
        elif kind == "community":
            if d["c_id"] is None:
                continue
            url = routes.community_url(d["c_slug"])
            meta = d["tags"]
        else:
            url = routes.profile_url(d["ref_id"])
            body = " ".join(x for x in (d["tags"], body) if x)
            meta = d["tags"]
        out.append(
            Hit(
                key=f"{kind}-{d['ref_id']}",
                kind=kind,
                url=url,
                title=query.segments(title, parsed),
                snippet=query.segments(body, parsed, settings.SEARCH_SNIPPET_CHARS)
                if snippets
                else [],
                meta=meta[:160],
                score=round(d.get("score", 0.0), 6),
            )
        )
    return out


def _ranked(
    session: Session,
    user: User,
    parsed: Parsed,
    filters: Filters,
    kinds: tuple[str, ...],
    typing: bool = False,
) -> list[dict[str, Any]]:
    """The best matches ordered by boosted relevance, with what their hits show but the
    body: one statement."""
    window = settings.SEARCH_LIVE_WINDOW if typing else settings.SEARCH_WINDOW
    scan = settings.SEARCH_LIVE_SCAN if typing else settings.SEARCH_SCAN
    built = _candidate_sql(session, user, parsed, filters, kinds, window, scan)
    if built is None:
        return []
    sql, params = built
    postgresql = session.get_bind().dialect.name == "postgresql"
    docs = _run(session, _details_sql(sql, postgresql), params)
    _boost(docs, utcnow().replace(tzinfo=None))
    docs.sort(key=lambda d: (-d["score"], d["id"]))
    return docs


def clean_filters(filters: Filters) -> Filters:
    """Filters cut to sane sizes; an unknown kind or answered value is dropped."""
    return Filters(
        kind=filters.kind if filters.kind in KINDS else "",
        community=filters.community[:60] if isinstance(filters.community, str) else "",
        tag=filters.tag[:40] if isinstance(filters.tag, str) else "",
        author=filters.author[:40] if isinstance(filters.author, str) else "",
        since=filters.since[:10] if isinstance(filters.since, str) else "",
        until=filters.until[:10] if isinstance(filters.until, str) else "",
        answered=filters.answered if filters.answered in ANSWERED else "",
    )


def search(
    session: Session,
    actor: User | None,
    text_query: object,
    filters: Filters | None = None,
    page: object = 1,
    *,
    typing: bool = False,
) -> Results:
    """A page of results for what the actor typed (`typing`: the top bar's live results,
    the last word a prefix, a few per kind, titles without snippets, which the box does not
    show). Never raises on any input but a missing actor."""
    user = require_user(actor)
    filters = clean_filters(filters or Filters())
    parsed = parse(text_query, typing=typing)
    shown = text_query[: settings.SITE_SEARCH_QUERY_MAX] if isinstance(text_query, str) else ""
    if parsed.empty:
        note = parsed.note or (
            "Type a word to search." if not shown.strip() else "Search for letters or numbers."
        )
        return Results(shown, [], note=note, suggestions=_suggest(session, user, parsed, filters))
    kinds = (filters.kind,) if filters.kind else KINDS
    docs = _ranked(session, user, parsed, filters, kinds, typing)
    if typing:
        per: dict[str, int] = {}
        picked = []
        for d in docs:
            if per.get(d["kind"], 0) < settings.SEARCH_LIVE_PER_KIND:
                per[d["kind"]] = per.get(d["kind"], 0) + 1
                picked.append(d)
        hits = _hits(session, picked, parsed, snippets=False)
        order = {k: i for i, k in enumerate(KINDS)}
        hits.sort(key=lambda h: order[h.kind])
        return Results(shown, hits, total=len(docs), note=parsed.note)
    size = settings.SEARCH_PAGE_SIZE
    pages = max(1, math.ceil(len(docs) / size))
    number = page if isinstance(page, int) and not isinstance(page, bool) else 1
    number = min(max(1, number), pages)
    hits = _hits(session, docs[(number - 1) * size : number * size], parsed)
    out = Results(
        shown,
        hits,
        total=len(docs),
        page=number,
        pages=pages,
        capped=len(docs) >= settings.SEARCH_WINDOW,
        note=parsed.note,
    )
    if not docs:
        out.suggestions = _suggest(session, user, parsed, filters)
    return out


def _suggest(session: Session, user: User, parsed: Parsed, filters: Filters) -> list[Suggestion]:
    """Ways out of nothing found: drop a filter, or another spelling from the vocabulary of
    tags and titles the searcher may see."""
    out = [Suggestion(f"Search without the {name} filter", drop=name) for name in filters.active()]
    if parsed.empty:
        return out
    vocab = _vocabulary(session, user)
    replaced = []
    changed = False
    for t in parsed.terms:
        ws = []
        for w in t.words:
            near = [v for v in vocab.get(w[0], []) if abs(len(v) - len(w)) <= 2]
            if w in near or len(w) < 3:
                ws.append(w)
                continue
            close = difflib.get_close_matches(w, near, n=1, cutoff=0.75)
            ws.append(close[0] if close else w)
            changed = changed or bool(close)
        replaced.append(replace(t, words=tuple(ws), prefix=False))
    if changed:
        new = " ".join(
            f'"{" ".join(t.words)}"' if len(t.words) > 1 else t.words[0] for t in replaced
        )
        out.insert(0, Suggestion(f"Search for {new}", query=new))
    return out


_VOCAB_TTL = 60.0
_vocab_cache: dict[tuple[Any, ...], tuple[float, dict[str, list[str]]]] = {}


def _vocabulary(session: Session, user: User) -> dict[str, list[str]]:
    """Words of the tags and titles the user may see (threads, resources, communities,
    people), by first letter; kept a minute per database, set of visible communities and
    state of the index (any rewrite makes a new newest doc id)."""
    visible = visible_communities(session, user)
    newest = session.connection().execute(text("SELECT max(id) FROM search_doc")).scalar()
    key = (
        str(session.get_bind().url),
        newest,
        None if visible is None else tuple(sorted(visible)),
    )
    cached = _vocab_cache.get(key)
    if cached and time.monotonic() - cached[0] < _VOCAB_TTL:
        return cached[1]
    built = _where(session, user, Filters(), ("thread", "resource", "community", "person"))
    if built is None:
        return {}
    conds, params = built
    sql = (
        f"SELECT d.title, d.tags FROM search_doc d WHERE {' AND '.join(conds)} "
        "ORDER BY d.id DESC LIMIT 5000"
    )
    seen: set[str] = set()
    for row in session.connection().execute(_text(sql), params):
        seen.update(index.words(f"{row.title} {row.tags}"))
    by_letter: dict[str, list[str]] = {}
    for word in sorted(seen):
        by_letter.setdefault(word[0], []).append(word)
    if len(_vocab_cache) > 100:
        _vocab_cache.clear()
    _vocab_cache[key] = (time.monotonic(), by_letter)
    return by_letter
