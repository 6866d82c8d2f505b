"""stages.*: the participation path (visitor, reader, asker, contributor, practitioner,
mentor) per community, its next-step wording, named thresholds, and a query count that
does not grow with the number of communities."""

import pytest

from cop_app.models import Community, Membership, Mentorship, Post, Thread, User
from cop_app.models.base import utcnow
from cop_app.services import settings, stages
from cop_app.services.stages import STAGES, _Counts, decide, next_step
from tests.worlds import StagesWorld as World
from tests.worlds import counting


@pytest.fixture
def w(stages_world: World) -> World:
    """This module's world: `tests.worlds.stages_world`."""
    return stages_world


def thread(
    w: World,
    author: User,
    *,
    community: Community | None = None,
    kind: str = "question",
    hidden: bool = False,
    replies: tuple[tuple[User, int], ...] = (),
    accept: int | None = None,
) -> tuple[Thread, list[Post]]:
    """A thread written straight to the database; `replies` are (author, helpful count);
    `accept` is the index of the accepted reply."""
    t = Thread(
        community_id=(community or w.eng).id,
        author_id=author.id,
        kind=kind,
        title="A thread",
        hidden=hidden,
        post_count=1 + len(replies),
        reply_count=len(replies),
    )
    w.session.add(t)
    w.session.flush()
    posts = [Post(thread_id=t.id, number=1, author_id=author.id, body="Q", body_html="<p>Q</p>")]
    for i, (who, helpful) in enumerate(replies, start=2):
        posts.append(
            Post(
                thread_id=t.id,
                number=i,
                author_id=who.id,
                body="A",
                body_html="<p>A</p>",
                helpful=helpful,
            )
        )
    w.session.add_all(posts)
    w.session.flush()
    if accept is not None:
        t.accepted_post_id = posts[1 + accept].id
        w.session.add(t)
    w.session.commit()
    return t, posts


def stage(w: World, community: Community | None = None) -> stages.StageView:
    view = stages.stage_for(w.session, w.ada.id, (community or w.eng).id)
    assert view is not None
    return view


# --- the pure rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "counts", "expected", "step"),
    [
        (False, _Counts(), "visitor", "Join Guild to become a reader"),
        (True, _Counts(), "reader", "Ask a question or start a discussion to become an asker"),
        (
            True,
            _Counts(threads=2),
            "asker",
            "Write a reply that gets a reaction or is accepted to become a contributor",
        ),
        (
            True,
            _Counts(contributions=1),
            "contributor",
            "Two accepted answers away from practitioner",
        ),
        (
            True,
            _Counts(contributions=1, accepted=1),
            "contributor",
            "One accepted answer away from practitioner",
        ),
        (
            True,
            _Counts(accepted=2),
            "practitioner",
            "Mentor someone in this community to become a mentor",
        ),
        (
            True,
            _Counts(mentees=1),
            "mentor",
            "Mentors others here, helping mentees along this path",
        ),
        (
            False,
            _Counts(mentees=1),
            "mentor",
            "Mentors others here, helping mentees along this path",
        ),
    ],
)
def test_decide_and_next_step(member: bool, counts: _Counts, expected: str, step: str) -> None:
    assert decide(member, counts) == expected
    assert next_step(expected, counts, "Guild") == step


def test_thresholds_are_named_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "STAGE_PRACTITIONER_ACCEPTED_ANSWERS", 3)
    one = _Counts(contributions=1, accepted=1)
    assert decide(True, one) == "contributor"
    assert next_step("contributor", one, "Guild") == "Two accepted answers away from practitioner"
    monkeypatch.setattr(settings, "STAGE_PRACTITIONER_ACCEPTED_ANSWERS", 1)
    assert decide(True, one) == "practitioner"
    assert STAGES == ("visitor", "reader", "asker", "contributor", "practitioner", "mentor")


# --- from the database ------------------------------------------------------------------------


def test_visitor_and_reader(w: World) -> None:
    outsider = User(email="o@example.org", display_name="O", password_hash="!")
    w.session.add(outsider)
    w.session.commit()
    view = stages.stage_for(w.session, outsider.id, w.eng.id)
    assert (view.stage, view.label, view.rank) == ("visitor", "Visitor", 0)
    assert view.next_step == "Join Engineering Craft Guild to become a reader"
    view = stage(w)
    assert (view.stage, view.rank, view.community_name) == ("reader", 1, "Engineering Craft Guild")
    assert stages.stage_for(w.session, w.ada.id, 9999) is None


def test_asker_by_a_question_or_a_discussion_but_not_a_hidden_one(w: World) -> None:
    thread(w, w.ada, hidden=True)
    thread(w, w.ada, community=w.other)
    assert stage(w).stage == "reader"
    thread(w, w.ada, kind="discussion")
    view = stage(w)
    assert (view.stage, view.threads) == ("asker", 1)
    assert view.next_step.endswith("to become a contributor")
    assert stage(w, w.other).stage == "asker"


def test_contributor_by_a_reply_with_reactions(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    thread(w, w.bo, replies=((w.ada, 0),))
    assert stage(w).stage == "reader"  # a reply nobody reacted to
    _, posts = thread(w, w.bo, replies=((w.ada, 1),))
    view = stage(w)
    assert (view.stage, view.contributions, view.accepted_answers) == ("contributor", 1, 0)
    assert view.next_step == "Two accepted answers away from practitioner"
    monkeypatch.setattr(settings, "STAGE_CONTRIBUTOR_MIN_REACTIONS", 2)
    assert stage(w).stage == "reader"
    monkeypatch.undo()
    posts[1].deleted_at = utcnow()  # a removed reply does not count
    w.session.add(posts[1])
    w.session.commit()
    assert stage(w).stage == "reader"


def test_contributor_then_practitioner_by_accepted_answers(w: World) -> None:
    thread(w, w.bo, replies=((w.bo, 0), (w.ada, 0)), accept=1)
    view = stage(w)
    assert (view.stage, view.accepted_answers, view.contributions) == ("contributor", 1, 1)
    assert view.next_step == "One accepted answer away from practitioner"
    # accepting one's own reply is not an accepted answer
    thread(w, w.ada, replies=((w.ada, 0),), accept=0)
    assert stage(w).accepted_answers == 1
    # nor does an accepted answer in a hidden thread
    thread(w, w.bo, replies=((w.ada, 0),), accept=0, hidden=True)
    assert stage(w).accepted_answers == 1
    thread(w, w.bo, replies=((w.ada, 0),), accept=0)
    view = stage(w)
    assert (view.stage, view.rank, view.accepted_answers) == ("practitioner", 4, 2)
    assert view.next_step == "Mentor someone in this community to become a mentor"
    assert stage(w, w.other).stage == "reader"


def test_mentor_with_an_active_mentee_in_that_community(w: World) -> None:
    def mentorship(state: str, community: Community) -> None:
        w.session.add(
            Mentorship(
                mentor_id=w.ada.id,
                mentee_id=w.bo.id,
                community_id=community.id,
                goals="Learn to review.",
                state=state,
            )
        )
        w.session.commit()

    mentorship("paused", w.eng)
    mentorship("requested", w.eng)
    assert stage(w).stage == "reader"
    mentorship("active", w.other)
    assert stage(w).stage == "reader" and stage(w, w.other).stage == "mentor"
    mentorship("active", w.eng)
    view = stage(w)
    assert (view.stage, view.label, view.mentees, view.rank) == ("mentor", "Mentor", 1, 5)


def test_stages_for_user_lists_every_community_in_a_fixed_number_of_queries(w: World) -> None:
    thread(w, w.ada, community=w.other)
    views = stages.stages_for_user(w.session, w.ada.id)
    assert [(v.community_name, v.stage) for v in views] == [
        ("Engineering Craft Guild", "reader"),
        ("Operations Circle", "asker"),
    ]
    assert stages.stages_for_user(w.session, 9999) == []
    extra = [
        Community(slug=f"c{i}", name=f"Circle {i}", domain="More practice here.") for i in range(6)
    ]
    w.session.add_all(extra)
    w.session.flush()
    w.session.add_all(Membership(community_id=c.id, user_id=w.bo.id) for c in extra)
    w.session.commit()
    counts = []
    for uid in (w.ada.id, w.bo.id):
        with counting(w.engine) as seen:
            views = stages.stages_for_user(w.session, uid)
        counts.append((len(views), len(seen)))
    assert counts == [(2, 6), (8, 6)]
