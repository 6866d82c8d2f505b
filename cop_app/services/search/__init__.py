"""Search: one interface over SQLite FTS5 and PostgreSQL full-text search.

`search` finds threads, replies, resources, communities and people the searcher may see;
`experts` (experts.py) answers "who knows X"; `rebuild` rewrites the index. The index is
kept in the writer's transaction by index.py; queries are built from parsed terms
(query.py), never from raw input.

Ranking: the engine's text relevance (FTS5 bm25 with column weights title 10, tags 5,
names 5, body 1; PostgreSQL ts_rank with weights A title, B tags and names, D body) over
the best SEARCH_WINDOW matches, then multiplied by documented boosts (BOOSTS below):
an accepted answer, an answered question, reactions, endorsed and reused resources
(outdated ones lose a little), and recent activity.
"""

import difflib
import math
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, text
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


def _where(
    session: Session, user: User, filters: Filters, kinds: tuple[str, ...]
) -> tuple[list[str], dict[str, Any], list[Any]] | None:
    """The SQL conditions on doc `d` for this searcher and these filters (None: none can
    match, e.g. a community or author that does not exist)."""
    conds = ["d.kind IN :kinds"]
    params: dict[str, Any] = {"kinds": list(kinds)}
    expanding = [bindparam("kinds", expanding=True)]
    visible = visible_communities(session, user)
    if visible is not None:
        conds.append("(d.community_id IS NULL OR d.community_id IN :visible)")
        params["visible"] = visible or [-1]
        expanding.append(bindparam("visible", expanding=True))
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
    return conds, params, expanding


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
    built = _where(session, user, filters, kinds)
    if built is None or parsed.empty:
        return []
    conds, params, expanding = built
    params["limit"] = limit
    params["scan"] = max(limit, settings.SEARCH_SCAN)
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
            f"ORDER BY d.id DESC LIMIT :scan) m ORDER BY rel DESC LIMIT :limit"
        )
    else:
        params["q"] = query.fts5(parsed)
        sql = (
            f"SELECT * FROM (SELECT {cols}, -bm25(search_fts, 10.0, 1.0, 5.0, 5.0) AS rel "
            f"FROM search_fts JOIN search_doc d ON d.id = search_fts.rowid "
            f"WHERE search_fts MATCH :q AND {where} "
            f"ORDER BY search_fts.rowid DESC LIMIT :scan) ORDER BY rel DESC LIMIT :limit"
        )
    stmt = text(sql).bindparams(*expanding)
    return [dict(r._mapping) for r in session.connection().execute(stmt, params)]


def _texts(session: Session, docs: list[dict[str, Any]]) -> None:
    """Add the title, body and tags of these docs (only the ones shown are read)."""
    if not docs:
        return
    ids = [d["id"] for d in docs]
    rows = session.connection().execute(
        text("SELECT id, title, body, tags FROM search_doc WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": ids},
    )
    found = {r.id: r for r in rows}
    for d in docs:
        r = found.get(d["id"])
        d["title"], d["body"], d["tags"] = (r.title, r.body, r.tags) if r else ("", "", "")


def _rows(session: Session, sql: str, ids: Any) -> dict[int, Any]:
    """Rows by id for a few ids, in one plain query (no ORM objects on the hot path)."""
    ids = list(ids)
    if not ids:
        return {}
    stmt = text(sql).bindparams(bindparam("ids", expanding=True))
    return {r.id: r for r in session.connection().execute(stmt, {"ids": ids})}


def _when(value: Any) -> datetime | None:
    """A datetime from a plain query (SQLite hands back text)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value if isinstance(value, datetime) else None


def _boost(docs: list[dict[str, Any]], session: Session, now: datetime) -> dict[str, Any]:
    """Multiply each doc's relevance by its boosts; returns the rows the hits link to."""
    thread_ids = {d["thread_id"] for d in docs if d["thread_id"]}
    reply_ids = [d["ref_id"] for d in docs if d["kind"] == "reply"]
    resource_ids = [d["ref_id"] for d in docs if d["kind"] == "resource"]
    threads = _rows(
        session,
        "SELECT id, kind, title, accepted_post_id, reaction_count, last_activity_at "
        "FROM thread WHERE id IN :ids",
        thread_ids,
    )
    posts = {
        p.id: p.helpful + p.insightful + p.thanks
        for p in _rows(
            session, "SELECT id, helpful, insightful, thanks FROM post WHERE id IN :ids", reply_ids
        ).values()
    }
    resources = _rows(
        session,
        "SELECT id, endorse_count, reuse_count, outdated, updated_at FROM resource "
        "WHERE id IN :ids",
        resource_ids,
    )
    for d in docs:
        score = max(float(d["rel"]), 1e-9)
        when = d["created_at"]
        if d["kind"] in ("thread", "reply") and d["thread_id"] in threads:
            t = threads[d["thread_id"]]
            if d["kind"] == "reply":
                if t.accepted_post_id == d["ref_id"]:
                    score *= BOOSTS["accepted_answer"]
                score *= 1 + BOOSTS["reactions"] * math.log1p(posts.get(d["ref_id"], 0))
            else:
                if t.kind == "question" and t.accepted_post_id:
                    score *= BOOSTS["answered_question"]
                score *= 1 + BOOSTS["reactions"] * math.log1p(t.reaction_count)
                when = t.last_activity_at
        elif d["kind"] == "resource" and d["ref_id"] in resources:
            r = resources[d["ref_id"]]
            score *= 1 + BOOSTS["resource_use"] * math.log1p(r.endorse_count + r.reuse_count)
            if r.outdated:
                score *= BOOSTS["outdated"]
            when = r.updated_at
        when = _when(when)
        if when is not None:
            age = max(0.0, (now - when.replace(tzinfo=None)).total_seconds() / 86400)
            score *= 1 + BOOSTS["recent"] * 0.5 ** (age / 90)
        d["score"] = score
    return {"threads": threads, "resources": resources}


def _hits(
    session: Session, docs: list[dict[str, Any]], parsed: Parsed, extra: dict[str, Any]
) -> list[Hit]:
    """Display rows for these docs: links, highlighted titles and snippets, a meta line."""
    _texts(session, docs)
    cids = {d["community_id"] for d in docs if d["community_id"]} | {
        d["ref_id"] for d in docs if d["kind"] == "community"
    }
    communities = _rows(session, "SELECT id, slug, name FROM community WHERE id IN :ids", cids)
    names = {
        u.id: u.display_name
        for u in _rows(
            session,
            'SELECT id, display_name FROM "user" WHERE id IN :ids',
            {d["author_id"] for d in docs if d["author_id"]},
        ).values()
    }
    threads = extra["threads"]
    out = []
    for d in docs:
        kind = d["kind"]
        c = communities.get(d["community_id"] or 0)
        where = c.name if c else ""
        who = names.get(d["author_id"] or 0, "")
        title, body = d["title"], d["body"]
        if kind in ("thread", "reply"):
            t = threads.get(d["thread_id"])
            if c is None or t is None:
                continue
            number = d["post_number"] if kind == "reply" else None
            url = routes.thread_url(c.slug, d["thread_id"], number)
            if kind == "reply":
                title = f"Reply in “{t.title}”"
                if t.accepted_post_id == d["ref_id"]:
                    title = f"Accepted answer in “{t.title}”"
            meta = " · ".join(x for x in (where, who) if x)
        elif kind == "resource":
            url = routes.resource_url(d["ref_id"])
            meta = " · ".join(x for x in (where, who, d["tags"]) if x)
        elif kind == "community":
            cc = communities.get(d["ref_id"])
            if cc is None:
                continue
            url = routes.community_url(cc.slug)
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
                snippet=query.segments(body, parsed, settings.SEARCH_SNIPPET_CHARS),
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
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The best matches ordered by boosted relevance, and the rows they link to."""
    window = settings.SEARCH_LIVE_WINDOW if typing else settings.SEARCH_WINDOW
    docs = candidates(session, user, parsed, filters, kinds, window)
    extra = _boost(docs, session, utcnow().replace(tzinfo=None))
    docs.sort(key=lambda d: (-d["score"], d["id"]))
    return docs, extra


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
    the last word a prefix, a few per kind). Never raises on any input but a missing actor."""
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
    docs, extra = _ranked(session, user, parsed, filters, kinds, typing)
    if typing:
        per: dict[str, int] = {}
        picked = []
        for d in docs:
            if per.get(d["kind"], 0) < settings.SEARCH_LIVE_PER_KIND:
                per[d["kind"]] = per.get(d["kind"], 0) + 1
                picked.append(d)
        hits = _hits(session, picked, parsed, extra)
        order = {k: i for i, k in enumerate(KINDS)}
        hits.sort(key=lambda h: order[h.kind])
        return Results(shown, hits, total=len(docs), note=parsed.note)
    size = settings.SEARCH_PAGE_SIZE
    pages = max(1, math.ceil(len(docs) / size))
    number = page if isinstance(page, int) and not isinstance(page, bool) else 1
    number = min(max(1, number), pages)
    hits = _hits(session, docs[(number - 1) * size : number * size], parsed, extra)
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
    conds, params, expanding = built
    sql = text(
        f"SELECT d.title, d.tags FROM search_doc d WHERE {' AND '.join(conds)} "
        "ORDER BY d.id DESC LIMIT 5000"
    ).bindparams(*expanding)
    seen: set[str] = set()
    for row in session.connection().execute(sql, params):
        seen.update(index.words(f"{row.title} {row.tags}"))
    by_letter: dict[str, list[str]] = {}
    for word in sorted(seen):
        by_letter.setdefault(word[0], []).append(word)
    if len(_vocab_cache) > 100:
        _vocab_cache.clear()
    _vocab_cache[key] = (time.monotonic(), by_letter)
    return by_letter
