"""Search (issue 15) on both engines: ranking order on a small fixture with known answers,
the index kept in step by every write verb, permissions per kind (full and as-you-type
results, expert evidence), and hostile queries that never raise."""

import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from cop_app.models import Attachment, Post, SearchDoc, Thread, User
from cop_app.models.base import utcnow
from cop_app.services import accounts, discussions, library, moderation, search, settings
from cop_app.services.communities.core import CommunityInput, do_edit_community
from cop_app.services.search import Filters
from cop_app.services.search.experts import experts
from cop_app.services.search.query import fts5, parse, tsquery
from tests.worlds import DiscussionsWorld

NOW = utcnow()


def _thread(
    w: DiscussionsWorld,
    author: User,
    title: str,
    body: str,
    *,
    closed: bool = False,
    kind: str = "discussion",
    tags: str = "",
) -> Thread:
    data = discussions.clean_thread_input(kind, title, body, tags)
    community = w.closed if closed else w.open
    thread = discussions.do_create_thread(w.session, community, author, data, now=NOW)
    w.session.commit()
    return thread


def _reply(w: DiscussionsWorld, thread: Thread, author: User, body: str) -> Post:
    post = discussions.do_post_reply(w.session, thread, author, body, now=NOW)
    w.session.commit()
    return post


def _resource(w: DiscussionsWorld, author: User, title: str, body: str, *, closed: bool = False):
    data = library.clean_resource_input("guide", title, "A short summary.", body, "", "")
    community = w.closed if closed else w.open
    resource = library.do_create_resource(w.session, community, author, data, now=NOW)
    w.session.commit()
    return resource


def _keys(session: Session, user: User, q: str, **kw: object) -> list[str]:
    filters = Filters(**{k: str(v) for k, v in kw.items() if k != "typing"})
    typing = bool(kw.get("typing"))
    return [h.key for h in search.search(session, user, q, filters, typing=typing).hits]


def _docs(session: Session) -> dict[str, int]:
    rows = session.exec(select(SearchDoc.kind, SearchDoc.ref_id)).all()
    return {f"{k}-{r}": 1 for k, r in rows}


# --- ranking ------------------------------------------------------------------------------


def test_ranking_prefers_titles_accepted_answers_and_used_resources(
    discussions_world: DiscussionsWorld,
) -> None:
    w = discussions_world
    in_title = _thread(w, w.asker, "Vacuum tuning for busy tables", "How do you tune it?")
    in_body = _thread(
        w, w.member, "Lunch plans", "Long chat about food; someone mentioned vacuum once."
    )
    question = _thread(w, w.asker, "Slow inserts", "What helps?", kind="question")
    plain = _reply(w, question, w.member, "Batch the inserts with autovacuum tuned.")
    accepted = _reply(w, question, w.other, "Batch the inserts with autovacuum tuned.")
    discussions.do_accept_answer(w.session, question, w.asker, accepted, now=NOW)
    unused = _resource(w, w.member, "Checklist", "Steps for a safe schema migration rollout.")
    reused = _resource(w, w.other, "Checklist", "Steps for a safe schema migration rollout.")
    library.do_record_reuse(w.session, reused, w.asker, "worked", now=NOW)
    library.do_record_reuse(w.session, reused, w.member, "worked", now=NOW)
    w.session.commit()

    order = _keys(w.session, w.asker, "vacuum")
    assert order.index(f"thread-{in_title.id}") < order.index(f"thread-{in_body.id}")
    order = _keys(w.session, w.asker, "autovacuum", kind="reply")
    assert order == [f"reply-{accepted.id}", f"reply-{plain.id}"]
    order = _keys(w.session, w.asker, "schema migration", kind="resource")
    assert order == [f"resource-{reused.id}", f"resource-{unused.id}"]


def test_phrase_prefix_accents_case_and_snippets(discussions_world: DiscussionsWorld) -> None:
    w = discussions_world
    t = _thread(w, w.asker, "Café RÉSUMÉ workflow", "Write the <b>summary</b> first, then review.")
    other = _thread(w, w.asker, "Review first", "Then write the summary, not first the review.")
    assert f"thread-{t.id}" in _keys(w.session, w.member, "cafe resume")
    assert _keys(w.session, w.member, '"then review"') == [f"thread-{t.id}"]
    assert f"thread-{other.id}" in _keys(w.session, w.member, "review")
    assert f"thread-{t.id}" in _keys(w.session, w.member, "work*")
    assert f"thread-{t.id}" in _keys(w.session, w.member, "work", typing=True)
    assert _keys(w.session, w.member, "work") == []  # a whole word unless typing or `*`
    hits = search.search(w.session, w.member, "summary").hits
    hit = next(h for h in hits if h.key == f"thread-{t.id}")
    marked = [s.text for s in hit.snippet if s.mark]
    assert marked and all(m.lower() == "summary" for m in marked)
    # Markup a member wrote stays text: it is in a plain segment, never rendered.
    assert any("<b>" in s.text for s in hit.snippet if not s.mark)
    # The top bar shows titles only: its live results carry no snippet to build or send.
    live = search.search(w.session, w.member, "summ", typing=True).hits
    assert f"thread-{t.id}" in [h.key for h in live] and all(not h.snippet for h in live)


def test_filters_narrow_and_suggestions_offer_a_way_out(
    discussions_world: DiscussionsWorld,
) -> None:
    w = discussions_world
    q = _thread(w, w.asker, "Flaky pytest fixtures", "Why?", kind="question", tags="testing")
    d = _thread(w, w.member, "Pytest plugins we like", "Share yours.", tags="tools")
    ans = _reply(w, q, w.member, "Pytest fixtures leak state.")
    discussions.do_accept_answer(w.session, q, w.asker, ans, now=NOW)
    w.session.commit()
    both = {f"thread-{q.id}", f"thread-{d.id}"}
    assert both <= set(_keys(w.session, w.asker, "pytest"))
    assert _keys(w.session, w.asker, "pytest", kind="thread", tag="testing") == [f"thread-{q.id}"]
    assert _keys(w.session, w.asker, "pytest", kind="thread", author="ravi-iyer") == [
        f"thread-{d.id}"
    ]
    assert f"thread-{q.id}" in _keys(w.session, w.asker, "pytest", answered="answered")
    assert f"thread-{q.id}" not in _keys(w.session, w.asker, "pytest", answered="unanswered")
    tomorrow = (NOW + timedelta(days=1)).date().isoformat()
    assert _keys(w.session, w.asker, "pytest", since=tomorrow) == []
    assert _keys(w.session, w.asker, "pytest", community=w.open.slug) != []
    empty = search.search(w.session, w.asker, "pytset", Filters(tag="testing"))
    assert empty.hits == []
    labels = [s.label for s in empty.suggestions]
    assert "Search for pytest" in labels
    assert "Search without the tag filter" in labels


# --- the index follows every write --------------------------------------------------------


def test_index_follows_every_write_verb(discussions_world: DiscussionsWorld) -> None:
    w = discussions_world
    s = w.session
    t = _thread(w, w.asker, "Mutation testing", "Mutants tell you what tests miss.")
    assert _keys(s, w.member, "mutants") == [f"thread-{t.id}"]
    r = _reply(w, t, w.member, "Try mutmut on one module.")
    assert _keys(s, w.member, "mutmut") == [f"reply-{r.id}"]
    # edit: old words go, new words come (title too)
    discussions.do_edit_post(s, r, t, w.member, "Try cosmic-ray instead.", now=NOW)
    opening = s.exec(select(Post).where(Post.thread_id == t.id, Post.number == 1)).one()
    discussions.do_edit_post(
        s, opening, t, w.asker, "Mutants again.", title="Mutation drills", now=NOW
    )
    s.commit()
    assert _keys(s, w.member, "mutmut") == []
    assert _keys(s, w.member, "cosmic") == [f"reply-{r.id}"]
    assert _keys(s, w.member, "drills") == [f"thread-{t.id}"]
    # delete
    discussions.check_delete_post(s, w.member, r.id)
    assert _keys(s, w.member, "cosmic") == []
    # hide and restore (moderation): gone at once, back at once
    r2 = _reply(w, t, w.other, "Hypothesis finds edge cases.")
    moderation.check_review(s, w.admin, "hide", "post", r2.id, "spam")
    assert _keys(s, w.member, "hypothesis") == []
    moderation.check_review(s, w.admin, "restore", "post", r2.id, "fine")
    assert _keys(s, w.member, "hypothesis") == [f"reply-{r2.id}"]
    moderation.check_review(s, w.admin, "hide", "thread", t.id, "spam")
    assert _keys(s, w.member, "hypothesis") == [] and _keys(s, w.member, "drills") == []
    moderation.check_review(s, w.admin, "restore", "thread", t.id, "fine")
    assert _keys(s, w.member, "hypothesis") == [f"reply-{r2.id}"]
    # move: the thread's docs follow it into the approval-only community
    thread = s.get(Thread, t.id)
    thread.community_id = w.closed.id
    s.add(thread)
    s.commit()
    assert _keys(s, w.other, "hypothesis") == []  # not a member of the closed one
    assert _keys(s, w.member, "hypothesis") == [f"reply-{r2.id}"]
    # resources: create, edit, attach
    res = _resource(w, w.member, "Onboarding guide", "Pair on the first ticket.")
    assert _keys(s, w.asker, "onboarding") == [f"resource-{res.id}"]
    data = library.clean_resource_input(
        "guide", "Welcome guide", "A summary, longer.", "Shadow a review.", "", ""
    )
    library.do_edit_resource(s, res, w.member, data, "retitled", now=NOW)
    s.add(
        Attachment(
            resource_id=res.id,
            uploader_id=w.member.id,
            key="k-1",
            filename="starter-kit.pdf",
            content_type="application/pdf",
            size=3,
        )
    )
    s.commit()
    assert _keys(s, w.asker, "onboarding") == []
    assert _keys(s, w.asker, "shadow") == [f"resource-{res.id}"]
    assert _keys(s, w.asker, "starter kit") == [f"resource-{res.id}"]
    # community edit
    c = w.open
    edit = CommunityInput(c.name, c.kind, "Craft of zymurgy.", "", "brewing", c.visibility)
    do_edit_community(s, c, w.steward, edit, now=NOW)
    s.commit()
    assert _keys(s, w.asker, "zymurgy") == [f"community-{c.id}"]
    # profile edit and suspension-proof deactivation
    accounts.check_update_profile(s, w.other, "Grace Adeyemi", "I love fuzzing.", "Acme", "fuzzing")
    assert _keys(s, w.asker, "fuzzing", kind="person") == [f"person-{w.other.id}"]
    other = s.get(User, w.other.id)
    other.is_active = False
    s.add(other)
    s.commit()
    assert _keys(s, w.asker, "fuzzing", kind="person") == []
    # a rolled-back write leaves no trace in the index
    _thread_data = discussions.clean_thread_input("discussion", "Quokka", "Rolled back.", "")
    discussions.do_create_thread(s, w.open, w.asker, _thread_data, now=NOW)
    s.rollback()
    assert _keys(s, w.asker, "quokka") == []
    # and the index equals a rebuild from the content tables
    before = _docs(s)
    counts = search.rebuild(s)
    s.commit()
    assert _docs(s) == before
    assert sum(counts.values()) == len(before)


# --- permissions --------------------------------------------------------------------------


def test_nothing_leaks_from_approval_only_communities_hidden_items_or_private_fields(
    discussions_world: DiscussionsWorld,
) -> None:
    w = discussions_world
    s = w.session
    secret = _thread(w, w.member, "Secret suturing protocol", "Only for the surgeons.", closed=True)
    reply = _reply(w, secret, w.asker, "Suturing with care, accepted by all.")
    discussions.do_accept_answer(s, secret, w.member, reply, now=NOW)
    res = _resource(w, w.member, "Suturing checklist", "Suturing steps.", closed=True)
    s.commit()
    hidden = _reply(w, _thread(w, w.asker, "Open talk", "Hello."), w.member, "Suturing rumours.")
    moderation.check_review(s, w.admin, "hide", "post", hidden.id, "spam")
    mine = {f"thread-{secret.id}", f"reply-{reply.id}", f"resource-{res.id}"}
    for typing in (False, True):
        assert mine <= set(_keys(s, w.member, "suturing", typing=typing))  # a member sees
        assert mine <= set(_keys(s, w.admin, "suturing", typing=typing))  # an admin sees
        for outsider in (w.outsider, w.pending, w.other):
            assert _keys(s, outsider, "suturing", typing=typing) == []
            assert _keys(s, outsider, "suturing", typing=typing, kind="reply") == []
    assert f"reply-{hidden.id}" not in _keys(s, w.member, "rumours")
    # the expert finder's evidence comes from what the searcher may see only
    _, seen = experts(s, w.member, "suturing")
    assert any("accepted answer" in line for e in seen for line in e.evidence)
    for outsider in (w.outsider, w.other):
        _, hidden_experts = experts(s, outsider, "suturing")
        evidence = [line for e in hidden_experts for line in e.evidence]
        assert not any("accepted" in x or "checklist" in x.lower() for x in evidence)
    # private profile fields are never indexed: an email finds nobody
    asker = s.get(User, w.asker.id)
    asker.email = "zqprivate@hiddenmail.test"
    asker.suspension_reason = "zqreason"
    s.add(asker)
    accounts.check_update_profile(s, asker, "Ada Lovelace", "Bio.", "Org", "python")
    assert f"person-{asker.id}" in _keys(s, w.member, "python", kind="person")
    for private in ("zqprivate", "hiddenmail", "zqreason"):
        assert _keys(s, w.member, private) == []


def test_expert_finder_ranks_with_evidence(discussions_world: DiscussionsWorld) -> None:
    w = discussions_world
    q = _thread(w, w.asker, "Postgresql locks", "Why?", kind="question", tags="postgresql")
    ans = _reply(w, q, w.member, "Look at pg_locks.")
    discussions.do_accept_answer(w.session, q, w.asker, ans, now=NOW)
    w.session.commit()
    label, people = experts(w.session, w.asker, "postgresql")
    assert label == "postgresql"
    assert people[0].user_id == w.member.id
    assert "1 accepted answer on postgresql" in people[0].evidence
    assert experts(w.session, w.asker, "!!!") == ("", [])


# --- hostile input ------------------------------------------------------------------------

HOSTILE = [
    "NEAR(a b)",
    "NEAR",
    "*",
    "**",
    "a*",
    '"',
    '"unbalanced',
    "((((",
    ")",
    "title:x",
    "body:secret",
    "-",
    "a OR b",
    "NOT x",
    "AND",
    "^start",
    "x" * 5000,
    "🙂🙂",
    "!!!??",
    "'; DROP TABLE post; --",
    "\x00",
    "a:*",
    "&|!<->",
    "\\",
    "{a b}",
    "col:(x)",
]


def test_the_top_bar_scores_only_the_newest_live_scan_matches(
    discussions_world: DiscussionsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each keystroke ranks the SEARCH_LIVE_SCAN newest visible matches; Enter ranks more."""
    w = discussions_world
    oldest = _thread(w, w.asker, "Lanterns in the title", "Lanterns.")
    newer = [_thread(w, w.asker, f"Notes {i}", "About lanterns.") for i in range(2)]
    hidden = _thread(w, w.member, "Lanterns inside", "Lanterns.", closed=True)
    monkeypatch.setattr(settings, "SEARCH_LIVE_WINDOW", 2)
    monkeypatch.setattr(settings, "SEARCH_LIVE_SCAN", 2)
    live = _keys(w.session, w.other, "lantern", typing=True)
    assert set(live) == {f"thread-{t.id}" for t in newer}  # the newest two `other` may see
    page = _keys(w.session, w.other, "lanterns")
    assert page[0] == f"thread-{oldest.id}" and f"thread-{hidden.id}" not in page
    assert f"thread-{hidden.id}" in _keys(w.session, w.member, "lantern", typing=True)


@pytest.mark.parametrize("typing", [False, True])
def test_hostile_queries_never_raise_and_stay_fast(
    discussions_world: DiscussionsWorld, typing: bool
) -> None:
    w = discussions_world
    _thread(w, w.asker, "Title words near the start", "Body of x with secret.")
    for q in HOSTILE:
        started = time.perf_counter()
        results = search.search(w.session, w.member, q, typing=typing)
        assert time.perf_counter() - started < 1.0, q
        assert isinstance(results.hits, list)
    long = search.search(w.session, w.member, "near " * 100)
    assert long.note == f"Only the first {settings.SITE_SEARCH_QUERY_MAX} characters were searched."
    assert search.search(w.session, w.member, "🙂").note == "Search for letters or numbers."
    assert search.search(w.session, w.member, ["not", "text"]).hits == []


def test_queries_are_built_from_quoted_tokens_only() -> None:
    parsed = parse('title:x NEAR(a "b c" dd*) OR "unbalanced')
    assert fts5(parsed) == '"title" "x" "near" "a" "b c" "dd"* "or" "unbalanced"'
    assert tsquery(parse('"b c" dd*')) == "(b <-> c) & (dd:*)"
    assert parse("ab", typing=True).terms[0].prefix
    assert not parse("a", typing=True).terms[0].prefix  # one letter is too short to prefix
