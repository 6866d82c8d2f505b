"""The practice library's services: revisions and conflicts, restore and diff, promotion and
credit, endorsement and reuse counts, review due dates, browsing, and permissions."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from cop_app import routes
from cop_app.models import Notification, Resource, ResourceRevision, User
from cop_app.services import discussions, library, settings
from cop_app.services.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from tests.factories import make_community, make_user, row_counts


def _data(title: str = "Safe sign-out checklist", body: str = "1. Count\n2. Check", **kw):
    fields = {
        "kind": "checklist",
        "title": title,
        "summary": "A short list for the end of every list.",
        "body": body,
        "tags": "safety theatre",
        "url": "",
    } | kw
    return library.clean_resource_input(**fields)


@pytest.fixture
def world(session: Session) -> dict:
    steward = make_user(session, display_name="Stella Steward")
    author = make_user(session, display_name="Ada Author")
    member = make_user(session, display_name="Max Member")
    outsider = make_user(session, display_name="Otto Outsider")
    open_c = make_community(session, steward, "Open Guild", members=[author, member])
    closed = make_community(
        session, steward, "Closed Circle", visibility="approval", members=[author, member]
    )
    return {
        "steward": steward,
        "author": author,
        "member": member,
        "outsider": outsider,
        "open": open_c,
        "closed": closed,
    }


def _create(session: Session, world: dict, where: str = "open", **kw) -> Resource:
    return library.check_create_resource(session, world["author"], world[where].id, _data(**kw))


def test_create_makes_revision_one_and_records_activity(session: Session, world: dict) -> None:
    r = _create(session, world)
    assert (r.revision, r.owner_id, r.author_id) == (1, world["author"].id, world["author"].id)
    revs = session.exec(select(ResourceRevision).where(ResourceRevision.resource_id == r.id)).all()
    assert [(x.number, x.body, x.note) for x in revs] == [(1, r.body, "First version")]
    view, mine = library.open_resource(session, world["member"], r.id)
    assert view.title == r.title and view.kind_label == "Checklist" and mine.member
    assert not mine.may_edit


def test_bad_input_is_refused_and_writes_nothing(session: Session, world: dict) -> None:
    for kw, field in [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"summary": "short"}, "summary"),
        ({"body": ""}, "body"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "ftp://example.org/x"}, "url"),
        ({"kind": "poem"}, "kind"),
    ]:
        with pytest.raises(Invalid) as err:
            _data(**kw)
        assert err.value.field == field
    assert _data(url="https://example.org/guide").url == "https://example.org/guide"


def test_only_active_members_create_and_outsiders_never_see_closed(
    session: Session, world: dict
) -> None:
    before = row_counts(session)
    with pytest.raises(Forbidden):
        library.check_create_resource(session, world["outsider"], world["open"].id, _data())
    with pytest.raises(NotFound):
        library.check_create_resource(session, world["outsider"], world["closed"].id, _data())
    assert row_counts(session) == before
    secret = _create(session, world, "closed")
    with pytest.raises(NotFound):
        library.open_resource(session, world["outsider"], secret.id)
    assert library.browse(session, world["outsider"]) == []
    assert [r.id for r in library.browse(session, world["member"])] == [secret.id]
    with pytest.raises(NotFound):
        library.check_endorse(session, world["outsider"], secret.id, True)


def test_client_key_makes_create_idempotent(session: Session, world: dict) -> None:
    key = "k" * 22
    one = library.check_create_resource(session, world["author"], world["open"].id, _data(), key)
    two = library.check_create_resource(session, world["author"], world["open"].id, _data(), key)
    assert one.id == two.id
    assert len(session.exec(select(Resource)).all()) == 1


def test_edits_make_revisions_and_a_stale_save_is_a_conflict(session: Session, world: dict) -> None:
    r = _create(session, world)
    library.check_edit_resource(
        session, world["author"], r.id, _data(body="1. Count twice"), "Count twice", 1
    )
    before = row_counts(session)
    with pytest.raises(Conflict) as err:
        library.check_edit_resource(session, world["steward"], r.id, _data(body="Mine"), "", 1)
    assert err.value.latest == 2 and "revision 2" in err.value.message
    assert row_counts(session) == before
    with pytest.raises(Invalid):
        library.check_edit_resource(session, world["author"], r.id, _data(body="x"), "", 99)
    with pytest.raises(Forbidden):
        library.check_edit_resource(session, world["member"], r.id, _data(body="x"), "", 2)
    same = library.check_edit_resource(
        session, world["author"], r.id, _data(body="1. Count twice"), "", 2
    )
    assert same.revision == 2  # nothing changed: no revision
    library.check_edit_resource(session, world["steward"], r.id, _data(body="Mine"), "", 2)
    rows = library.history(session, world["member"], r.id)
    assert [(h.number, h.note) for h in rows] == [
        (3, "Edited"),
        (2, "Count twice"),
        (1, "First version"),
    ]


def test_restore_is_a_new_revision_and_diff_shows_changes(session: Session, world: dict) -> None:
    r = _create(session, world, body="alpha\nbeta")
    library.check_edit_resource(session, world["author"], r.id, _data(body="alpha\ngamma"), "", 1)
    restored = library.check_restore_revision(session, world["author"], r.id, 1)
    assert (restored.revision, restored.body) == (3, "alpha\nbeta")
    assert library.history(session, world["author"], r.id)[0].note == "Restored revision 1"
    lines = library.diff(session, world["member"], r.id, 1, 2)
    assert ("del", "beta") in [(d.kind, d.text) for d in lines]
    assert ("add", "gamma") in [(d.kind, d.text) for d in lines]
    assert ("same", "alpha") in [(d.kind, d.text) for d in lines]
    with pytest.raises(Invalid):
        library.diff(session, world["member"], r.id, 1, 42)
    with pytest.raises(Invalid):
        library.check_restore_revision(session, world["author"], r.id, 3)
    with pytest.raises(Forbidden):
        library.check_restore_revision(session, world["member"], r.id, 1)


def test_diff_keeps_markup_as_text() -> None:
    lines = library.diff_lines(["<b>a</b>"], ["<script>x</script>"])
    assert [(d.kind, d.text) for d in lines] == [("del", "<b>a</b>"), ("add", "<script>x</script>")]


def test_endorse_once_withdraw_and_names(session: Session, world: dict) -> None:
    r = _create(session, world)
    assert library.check_endorse(session, world["member"], r.id, True)
    library.check_endorse(session, world["member"], r.id, True)  # once only
    view, mine = library.open_resource(session, world["member"], r.id)
    assert (view.endorse_count, view.endorsers, mine.endorsed) == (1, ["Max Member"], True)
    note = session.exec(select(Notification).where(Notification.kind == "library.endorsed")).one()
    assert note.user_id == world["author"].id and "endorsed your checklist" in note.text
    assert note.link == routes.resource_url(r.id)
    library.check_endorse(session, world["member"], r.id, False)
    view, mine = library.open_resource(session, world["member"], r.id)
    assert (view.endorse_count, view.endorsers, mine.endorsed) == (0, [], False)
    with pytest.raises(Forbidden):
        library.check_endorse(session, world["outsider"], r.id, True)
    with pytest.raises(Invalid):
        library.check_endorse(session, world["member"], r.id, "yes")


def test_reuse_counts_per_resource_author_and_community(session: Session, world: dict) -> None:
    r = _create(session, world)
    other = _create(session, world, title="Another useful guide")
    library.check_record_reuse(session, world["member"], r.id, "Used it on ward 3")
    library.check_record_reuse(session, world["steward"], other.id, "")
    with pytest.raises(Invalid):
        library.check_record_reuse(session, world["member"], r.id, "again")
    with pytest.raises(Invalid):
        library.check_record_reuse(session, world["author"], r.id, "my own")
    view, mine = library.open_resource(session, world["member"], r.id)
    assert view.reuse_count == 1 and mine.reused
    assert [(u.name, u.outcome) for u in view.reuses] == [("Max Member", "Used it on ward 3")]
    assert library.author_reuse(session, world["author"].id) == 2
    assert library.community_figures(session, world["open"].id) == (2, 2)
    with pytest.raises(Invalid):
        library.check_record_reuse(session, world["steward"], r.id, "x" * 201)


def test_promote_an_accepted_answer_credits_and_links_both_ways(
    session: Session, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "POST_MIN_INTERVAL", timedelta(0))
    monkeypatch.setattr(settings, "NEW_MEMBER_POST_MIN_INTERVAL", timedelta(0))
    q = discussions.check_create_thread(
        session,
        world["member"],
        world["open"].id,
        discussions.clean_thread_input("question", "How to hand over?", "What works?", "handover"),
    )
    answer = discussions.check_post_reply(
        session, world["author"], q.id, "Use **SBAR** every time."
    )
    with pytest.raises(Invalid):
        library.check_promote(session, world["steward"], q.id, True)
    discussions.check_accept_answer(session, world["member"], q.id, answer.id)
    with pytest.raises(Forbidden):
        library.check_promote(session, world["outsider"], q.id, True)
    r = library.check_promote(session, world["steward"], q.id, True)
    assert library.check_promote(session, world["steward"], q.id, True).id == r.id
    view, _ = library.open_resource(session, world["member"], r.id)
    assert sorted(view.credits) == ["Ada Author", "Max Member"]
    assert "SBAR" in view.body and view.source_link == routes.thread_url(world["open"].slug, q.id)
    assert library.thread_resources(session, q.id) == [
        {"title": "How to hand over?", "link": routes.resource_url(r.id)}
    ]
    told = {
        n.user_id
        for n in session.exec(
            select(Notification).where(Notification.kind == "library.promoted")
        ).all()
    }
    assert told == {world["member"].id, world["author"].id}
    library.check_edit_resource(session, world["steward"], r.id, _data(), "Tidy", 1)
    assert sorted(library.open_resource(session, world["member"], r.id)[0].credits) == [
        "Ada Author",
        "Max Member",
    ]


def test_review_due_marks_and_outdated_sink(session: Session, world: dict) -> None:
    old = _create(session, world, title="Old but gold guide")
    new = _create(session, world, title="Fresh new checklist")
    old.reviewed_at = old.reviewed_at - timedelta(days=settings.LIBRARY_REVIEW_AFTER_DAYS + 1)
    session.add(old)
    session.commit()
    rows = library.browse(session, world["member"], world["open"].id, sort="review")
    assert [r.id for r in rows] == [old.id] and rows[0].needs_review
    assert [r.id for r in library.needs_review(session, world["author"])] == [old.id]
    assert [r.id for r in library.needs_review(session, world["steward"])] == [old.id]
    assert library.needs_review(session, world["member"]) == []
    library.check_mark(session, world["author"], old.id, "reviewed")
    assert library.needs_review(session, world["author"]) == []
    library.check_endorse(session, world["member"], new.id, True)
    library.check_mark(session, world["steward"], new.id, "outdated")
    rows = library.browse(session, world["member"], world["open"].id, sort="endorsed")
    assert [r.id for r in rows] == [old.id, new.id] and rows[1].outdated
    with pytest.raises(Forbidden):
        library.check_mark(session, world["member"], old.id, "outdated")
    with pytest.raises(Invalid):
        library.check_mark(session, world["author"], old.id, "deleted")


def test_transfer_owner_by_stewards_only(session: Session, world: dict) -> None:
    r = _create(session, world)
    with pytest.raises(Forbidden):
        library.check_transfer_owner(session, world["author"], r.id, world["member"].id)
    with pytest.raises(Invalid):
        library.check_transfer_owner(session, world["steward"], r.id, world["outsider"].id)
    library.check_transfer_owner(session, world["steward"], r.id, world["member"].id)
    view, mine = library.open_resource(session, world["member"], r.id)
    assert view.owner_name == "Max Member" and mine.may_edit


def test_browse_filters_and_pages(session: Session, world: dict) -> None:
    a = _create(session, world, kind="guide", tags="handover")
    b = _create(session, world, title="A template to copy", kind="template", tags="forms")
    _create(session, world, "closed", title="Members only guide", kind="guide")
    member = world["member"]
    assert {r.id for r in library.browse(session, member, kind="guide", tag="handover")} == {a.id}
    assert [r.id for r in library.browse(session, member, world["open"].id, kind="template")] == [
        b.id
    ]
    assert len(library.browse(session, member)) == 3
    assert library.browse(session, member, page=2) == []
    with pytest.raises(Invalid):
        library.browse(session, member, sort="random")
    with pytest.raises(Forbidden):
        library.browse(session, world["outsider"], world["closed"].id)


def test_rate_limit_on_creating(session: Session, world: dict, monkeypatch) -> None:
    monkeypatch.setattr(settings, "RESOURCES_PER_WINDOW", 1)
    _create(session, world)
    with pytest.raises(RateLimited) as err:
        _create(session, world, title="Second one today")
    assert "at most 1 new resources" in err.value.message


def test_suspended_and_signed_out_can_do_nothing(session: Session, world: dict) -> None:
    r = _create(session, world)
    with pytest.raises(Forbidden):
        library.open_resource(session, None, r.id)
    gone = world["member"]
    gone.is_active = False
    session.add(gone)
    session.commit()
    with pytest.raises(Forbidden):
        library.check_endorse(session, gone, r.id, True)
    assert isinstance(session.get(User, gone.id), User)


def test_board_goals_and_stages_count_library_work(session: Session, world: dict) -> None:
    from cop_app.models import BoardCard
    from cop_app.services import mentorship, stages
    from cop_app.services.mentorship import clean_card_input

    mentor = make_user(session, role="mentor", display_name="Mona Mentor")
    guild = make_community(session, mentor, "Goal Guild", members=[world["member"]])
    mentorship.check_update_mentor_profile(session, mentor, 3, "Tuesdays", True, [guild.id])
    goals = "I want to write down what our team does well."
    m = mentorship.check_request_mentorship(
        session, world["member"], mentor.id, guild.id, goals, ""
    )
    mentorship.check_respond(session, mentor, m.id, True, "Welcome")
    for kind in ("publish_resource", "resource_reused"):
        mentorship.check_add_card(
            session, mentor, m.id, clean_card_input(kind, requirement=kind), "todo"
        )
    assert stages.stage_for(session, world["member"].id, guild.id).stage == "reader"
    r = library.check_create_resource(session, world["member"], guild.id, _data())
    assert stages.stage_for(session, world["member"].id, guild.id).stage == "contributor"
    library.check_record_reuse(session, mentor, r.id, "Worked for us")
    cards = {c.requirement: c for c in session.exec(select(BoardCard)).all()}
    assert cards["publish_resource"].evidence_link == routes.resource_url(r.id)
    assert cards["resource_reused"].met_at is not None
    assert cards["resource_reused"].evidence_type == "reuse"
    assert stages.stage_for(session, world["member"].id, guild.id).reused == 1


def test_pages_list_current_resources_before_outdated_ones(
    session: Session, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "LIBRARY_PAGE_SIZE", 2)
    made = [_create(session, world, title=f"Resource number {i}") for i in range(5)]
    for r in made[:2]:
        library.check_mark(session, world["steward"], r.id, "outdated")
    pages = [
        [r.id for r in library.browse(session, world["member"], world["open"].id, page=n)]
        for n in (1, 2, 3, 4)
    ]
    current = [r.id for r in reversed(made[2:])]
    outdated = [r.id for r in reversed(made[:2])]
    assert pages == [current[:2], [current[2], outdated[0]], [outdated[1]], []]
    assert [r.id for r in library.latest_rows(session, world["open"].id)] == current + outdated
    review = library.needs_review(session, world["steward"], world["open"].id)
    assert {r.id for r in review} == set(outdated)
