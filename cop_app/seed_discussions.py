"""Deterministic demo discussions for every demo community (part of `seed`).

The demo is replayed through the discussion services' do_ functions, oldest step first, with
past timestamps: threads, replies, reactions, pins and accepted answers leave exactly the
rows, counters, follows, read marks, notifications and activity the app itself writes.
Then the participants read what they saw (except those `behind`) and the notifications of
what they read. Timestamps are spread over the last four weeks; the newest post is a few
hours old.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count

from sqlalchemy import and_
from sqlmodel import Session, select

from cop_app.models import Community, Membership, Notification, Post, Thread, ThreadRead, User
from cop_app.models.base import utcnow
from cop_app.services import discussions


@dataclass(frozen=True)
class R:
    """A reply: who, what, how many hours after the previous post, and who reacted how."""

    author: str
    body: str
    hours: float
    reactions: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class T:
    """A thread. `accepted` is the post number of the accepted answer; `behind` are
    participants who have not read the replies after their own last post."""

    kind: str
    author: str
    title: str
    tags: str
    days_ago: float
    body: str
    replies: tuple[R, ...] = ()
    reactions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    accepted: int | None = None
    behind: tuple[str, ...] = ()
    pinned: bool = False


THREADS: dict[str, list[T]] = {
    "surgical-technique-exchange": [
        T(
            "question",
            "priya.natarajan",
            "Port placement for obese patients in lap chole",
            "laparoscopy surgery",
            19.4,
            "BMI over 45 on Thursday's list. My standard umbilical camera port leaves the "
            "instruments fighting the abdominal wall. How far do you move the ports, and do "
            "you change the entry technique?",
            (
                R(
                    "helen.carter",
                    "@priya-natarajan measure from the xiphoid, not the umbilicus: the umbilicus "
                    "drifts caudally with a large pannus. I place the camera port about 15 cm "
                    "below the xiphoid and a hand-width left of midline, and use optical entry "
                    "at Palmer's point.\n\nBring the working ports up with it so the triangle "
                    "stays the same.",
                    3.5,
                    {
                        "helpful": ("priya.natarajan", "grace.adeyemi", "tomasz.nowak"),
                        "insightful": ("sofia.lindqvist",),
                    },
                ),
                R(
                    "tomasz.nowak",
                    "From the anaesthetic side: warn us before you go steep reverse "
                    "Trendelenburg. We'll want to recruit first and may ask you to work at "
                    "12 mmHg rather than 15 if peak pressures climb.",
                    5,
                    {"helpful": ("helen.carter", "priya.natarajan")},
                ),
                R(
                    "priya.natarajan",
                    "Did it this way yesterday: camera port 16 cm below the xiphoid, optical "
                    "entry, no fighting the wall. Thank you both.",
                    20,
                    {"thanks": ("helen.carter",)},
                ),
            ),
            reactions={"thanks": ("grace.adeyemi",)},
            accepted=2,
        ),
        T(
            "discussion",
            "joseph.mensah",
            "WHO checklist: who reads the sign-out aloud?",
            "checklists patient-safety nursing",
            12.2,
            "On our lists the sign-out gets rushed while the drapes come down. Some teams "
            "have the circulating nurse lead it, others the surgeon. What works in yours, and "
            "how did you make it stick?",
            (
                R(
                    "liam.byrne",
                    "Circulating nurse leads, but only once the count is closed and the "
                    "specimen labels are in hand. We stopped starting it during closure.",
                    2,
                    {"helpful": ("joseph.mensah", "sofia.lindqvist")},
                ),
                R(
                    "helen.carter",
                    "I'm happy for the nurse to lead, as long as the surgeon answers out loud. "
                    "@liam-byrne could you share the laminated card you use at St Mary's?",
                    4,
                    {"insightful": ("joseph.mensah",)},
                ),
                R(
                    "sofia.lindqvist",
                    "In day surgery we tie it to the time-out: same person leads both. "
                    "Turnover is quick, so one owner per list works better for us.",
                    26,
                ),
                R(
                    "grace.adeyemi",
                    "We added a 'stop, not during closure' line to the whiteboard. Compliance "
                    "went from roughly half to nearly all lists in a month.",
                    30,
                    {"helpful": ("liam.byrne", "helen.carter"), "thanks": ("sofia.lindqvist",)},
                ),
            ),
            behind=("joseph.mensah",),
            pinned=True,
        ),
        T(
            "question",
            "grace.adeyemi",
            "Absorbable vs non-absorbable for subcuticular closure in day cases",
            "suturing wound-care day-surgery",
            8.6,
            "Day-case hernia repairs: we still bring half the patients back to the practice "
            "nurse for removal. Any reason not to use absorbable subcuticular for all of them?",
            (
                R(
                    "helen.carter",
                    "Absorbable monofilament (3-0 or 4-0) for nearly all of them. Outcomes are "
                    "equivalent and it saves the follow-up visit. I keep non-absorbable for "
                    "patients with a history of suture reactions.",
                    6,
                    {"helpful": ("grace.adeyemi", "sofia.lindqvist", "priya.natarajan")},
                ),
                R(
                    "sofia.lindqvist",
                    "We switched last year; removal appointments dropped to almost zero and "
                    "patients prefer it.",
                    9,
                    {"thanks": ("grace.adeyemi",)},
                ),
            ),
            accepted=2,
        ),
        T(
            "question",
            "liam.byrne",
            "Warming for long laparoscopic cases: forced air or underbody mattress?",
            "perioperative-nursing laparoscopy",
            2.3,
            "We keep finding patients at 35.8 °C in recovery after three-hour laparoscopic "
            "cases. Forced-air blankets get in the way of the arms-tucked position. Has anyone "
            "compared underbody mattresses for these cases?",
        ),
        T(
            "discussion",
            "peter.novak",
            "Near miss: retained swab count discrepancy — what changed after?",
            "patient-safety checklists infection-control",
            24.5,
            "Shared with permission after our review: a count was off by one at closure; the "
            "swab was found in the bin liner. No harm, but it took 25 minutes. What did your "
            "teams change after a similar event?",
            (
                R(
                    "joseph.mensah",
                    "Counted swabs go into a pocketed holder, never the bin, until the final "
                    "count. It sounds fussy and it ended our discrepancies.",
                    5,
                    {"helpful": ("peter.novak", "liam.byrne", "helen.carter")},
                ),
                R(
                    "helen.carter",
                    "And the surgeon pauses closure for the count, rather than counting around "
                    "us. Thanks for sharing this openly, Peter.",
                    8,
                    {"thanks": ("peter.novak",)},
                ),
            ),
        ),
    ],
    "science-teaching-circle": [
        T(
            "question",
            "chloe.martin",
            "Keeping titration practicals fair for students with dyspraxia",
            "chemistry differentiation lab-safety",
            16.1,
            "Two students in my Year 11 group have dyspraxia and the burette work is where "
            "they lose marks, not the chemistry. How do you keep the practical fair without "
            "changing what is assessed?",
            (
                R(
                    "kwame.asante",
                    "Separate the skill from the motor task: pre-filled burettes on a stand "
                    "clamp at seated height, a white tile with a marked target, and pairs with "
                    "rotating roles (one controls the tap, one reads the meniscus). Assess the "
                    "reading and the method, both of which they can own.",
                    4,
                    {
                        "helpful": ("chloe.martin", "emily.chen", "marta.silva"),
                        "insightful": ("fatima.rahman",),
                    },
                ),
                R(
                    "emily.chen",
                    "A digital burette for the ones who want independence worked well for us.",
                    7,
                    {"helpful": ("chloe.martin",)},
                ),
                R(
                    "marta.silva",
                    "@fatima-rahman does the exam board accept paired roles for the practical "
                    "endorsement? Worth checking before we all change.",
                    10,
                ),
                R(
                    "fatima.rahman",
                    "Yes, as long as each student shows the skill in at least one practical. "
                    "Record who did what in the lab book.",
                    14,
                    {"thanks": ("marta.silva", "chloe.martin")},
                ),
            ),
            accepted=2,
        ),
        T(
            "discussion",
            "marta.silva",
            "Assessing inquiry without marking the write-up",
            "inquiry-based-learning assessment",
            10.3,
            "Our inquiry lessons end in a write-up that mostly measures writing. I've been "
            "trying short oral check-ins during the investigation instead. Who else assesses "
            "the process rather than the report?",
            (
                R(
                    "fatima.rahman",
                    "The district rubric has a 'planning and adapting' strand that suits "
                    "check-ins. Three prompts per group, two minutes each.",
                    3,
                    {"helpful": ("marta.silva", "emily.chen")},
                ),
                R(
                    "emily.chen",
                    "I photograph the bench at three points and ask them to explain each "
                    "change. It shows their thinking better than any conclusion paragraph.",
                    22,
                    {"insightful": ("marta.silva", "oliver.schmidt", "noah.williams")},
                ),
                R(
                    "oliver.schmidt",
                    "Stealing the photo idea for the pendulum investigation next week.",
                    27,
                    {"thanks": ("emily.chen",)},
                ),
                R(
                    "marta.silva",
                    "Let's bring examples to the next circle meeting. @emily-chen could you "
                    "share two of your photo sets?",
                    30,
                ),
            ),
            behind=("emily.chen",),
        ),
        T(
            "question",
            "ethan.brooks",
            "Demonstrating Newton's third law without a trolley set",
            "physics demonstrations",
            6.4,
            "Our dynamics trolleys are out for repair until next term. What do you use to "
            "show equal and opposite forces to Year 10?",
            (
                R(
                    "oliver.schmidt",
                    "Two students on office chairs pushing off each other, then two spring "
                    "balances hooked together. Cheap, memorable and they argue about it.",
                    2,
                    {"helpful": ("ethan.brooks", "marta.silva"), "thanks": ("ethan.brooks",)},
                ),
                R(
                    "marta.silva",
                    "Balloon rocket on a string across the room for the finale.",
                    5,
                ),
            ),
            accepted=2,
        ),
        T(
            "question",
            "noah.williams",
            "Risk assessment for a river fieldwork day with Year 9",
            "fieldwork lab-safety earth-science",
            1.8,
            "First time taking Year 9 to measure river velocity. Beyond the usual trip forms, "
            "what goes into your risk assessment for working in and near water?",
        ),
    ],
    "engineering-craft": [
        T(
            "discussion",
            "hannah.kowalski",
            "Flaky integration tests: quarantine or fix first?",
            "testing ci-cd python",
            13.2,
            "The payments suite fails about one run in ten and people have started to "
            "re-run until green. @ravi-iyer and I disagree on whether to quarantine the "
            "flaky tests now or stop and fix them. What has worked for your teams?",
            (
                R(
                    "ravi.iyer",
                    "Quarantine, but with an owner and an expiry. A quarantined test without "
                    "an owner is a deleted test with extra steps.",
                    1.5,
                    {"insightful": ("hannah.kowalski", "ben.oconnell", "lena.fischer")},
                ),
                R(
                    "mateo.garcia",
                    "We tag them and run the tag nightly; the pipeline fails if a quarantined "
                    "test passes 20 times in a row without being moved back.",
                    4,
                    {"helpful": ("hannah.kowalski", "ravi.iyer")},
                ),
                R(
                    "ben.oconnell",
                    "Track the flake rate per test as a metric. Most of ours were one shared "
                    "fixture with a clock dependency.",
                    28,
                    {"helpful": ("hannah.kowalski",)},
                ),
                R(
                    "hannah.kowalski",
                    "Going with quarantine plus owner plus two-week expiry. Thanks all.",
                    30,
                ),
            ),
            reactions={"thanks": ("lucas.moreau",)},
            behind=("ravi.iyer",),
        ),
        T(
            "question",
            "lucas.moreau",
            "Reviewing a 1,500-line pull request: ask to split or review in passes?",
            "code-review",
            9.5,
            "A teammate opened a 1,500-line PR for the ingestion rewrite. Splitting it now "
            "means a week of rework. Do you push back or review it in passes?",
            (
                R(
                    "lena.fischer",
                    "Review in passes, out loud: first the public interfaces and data model, "
                    "then the risky paths, then the rest. Agree the order with the author "
                    "before you start, and ask for the split next time, not this time.",
                    3,
                    {"helpful": ("lucas.moreau", "ravi.iyer", "yuki.tanaka")},
                ),
                R(
                    "ravi.iyer",
                    "+1. And ask for a short design note in the description; it halves the "
                    "first pass.",
                    6,
                    {"helpful": ("lucas.moreau",)},
                ),
            ),
            accepted=2,
        ),
        T(
            "question",
            "ben.oconnell",
            "Zero-downtime NOT NULL column on a large PostgreSQL table",
            "postgresql data-modelling",
            5.3,
            "We need a NOT NULL column on a 200M-row table. Plain ALTER with a default was "
            "fine in staging but I don't trust it on production. What's the safe sequence?",
            (
                R(
                    "yuki.tanaka",
                    "Since PostgreSQL 11 a constant default is metadata-only, so "
                    "`ADD COLUMN ... DEFAULT x NOT NULL` is instant. For a computed value: add "
                    "nullable, backfill in batches, add a `CHECK (col IS NOT NULL) NOT VALID`, "
                    "`VALIDATE CONSTRAINT`, then `SET NOT NULL` (which uses the check).",
                    2,
                    {
                        "helpful": ("ben.oconnell", "lucas.moreau", "ravi.iyer"),
                        "insightful": ("lena.fischer",),
                    },
                ),
                R(
                    "lucas.moreau",
                    "Set a `lock_timeout` on every step so a long query can't queue the "
                    "whole table behind your ALTER.",
                    5,
                    {"helpful": ("ben.oconnell", "yuki.tanaka")},
                ),
            ),
            accepted=2,
        ),
        T(
            "question",
            "aisha.bello",
            "Testing screen-reader announcements in CI",
            "accessibility testing ci-cd",
            1.4,
            "Our live regions regress silently. Has anyone automated checks that the right "
            "text is announced, rather than only running axe on static pages?",
        ),
        T(
            "discussion",
            "ben.oconnell",
            "Blameless postmortems: should the timeline name people?",
            "incident-response observability",
            21.7,
            "Drafting our postmortem template. Naming people in the timeline makes it easier "
            "to follow, but some teammates feel exposed. Roles or names?",
            (
                R(
                    "lena.fischer",
                    "Roles in the published version (on-call, incident lead), names only in "
                    "the private working doc.",
                    6,
                    {"helpful": ("ben.oconnell", "daniel.reyes")},
                ),
                R(
                    "ravi.iyer",
                    "Agree with roles. The test: could the reader blame a person from the "
                    "timeline alone? If yes, rewrite the line.",
                    9,
                    {"insightful": ("ben.oconnell", "aisha.bello")},
                ),
                R(
                    "daniel.reyes",
                    "For the knowledge base we index postmortems by system and failure mode, "
                    "never by person, so roles fit our search too.",
                    30,
                ),
            ),
        ),
    ],
    "cross-agency-outbreak-network": [
        T(
            "discussion",
            "ingrid.larsen",
            "Early signal: cluster of GI illness after a community event",
            "surveillance outbreak-response",
            4.2,
            "Syndromic surveillance flagged 14 GI presentations across three emergency "
            "departments within 48 hours, most mentioning Saturday's street festival. "
            "@nadia-haddad @carlos-mendes worth opening an investigation?",
            (
                R(
                    "nadia.haddad",
                    "Yes. Let's agree a working case definition today and start a line list. "
                    "I'll set up the call for 14:00.",
                    1,
                    {"helpful": ("ingrid.larsen", "zainab.yusuf")},
                ),
                R(
                    "carlos.mendes",
                    "There were two food vendors and a temporary water point. We can sample "
                    "the water point this afternoon and request vendor records.",
                    2,
                    {"helpful": ("nadia.haddad", "ingrid.larsen")},
                ),
                R(
                    "zainab.yusuf",
                    "I can draft a short questionnaire for a cohort of attendees from the "
                    "festival volunteer list.",
                    3,
                    {"thanks": ("nadia.haddad",)},
                ),
                R(
                    "mei.wong",
                    "Holding statement for the press ready if needed; nothing public until "
                    "the call.",
                    20,
                ),
            ),
            behind=("nadia.haddad",),
            pinned=True,
        ),
        T(
            "question",
            "samuel.osei",
            "Case definition for a measles contact-tracing exercise",
            "epidemiology vaccination",
            15.6,
            "Planning a tabletop exercise for the vaccination teams. What case definition "
            "should we use so the exercise matches what we'd really do?",
            (
                R(
                    "nadia.haddad",
                    "Use the standard three tiers: suspected (fever and maculopapular rash "
                    "plus cough, coryza or conjunctivitis), probable (plus an epi link), "
                    "confirmed (lab). Give the teams one case of each.",
                    5,
                    {"helpful": ("samuel.osei", "zainab.yusuf", "mei.wong")},
                ),
                R(
                    "zainab.yusuf",
                    "Add an exposure window of 7 to 21 days before rash onset to the contact "
                    "sheet; it's where people slip in real events.",
                    8,
                    {"insightful": ("samuel.osei",)},
                ),
            ),
            accepted=2,
        ),
        T(
            "question",
            "mei.wong",
            "Plain-language wording for a boil-water notice",
            "communication water-quality",
            11.3,
            "Our last boil-water notice was three paragraphs of legal text. What wording "
            "actually gets people to boil water, and for how long?",
            (
                R(
                    "carlos.mendes",
                    'Lead with the action: "Boil all water for drinking, brushing teeth and '
                    'preparing food. Bring it to a rolling boil, then let it cool." Say when '
                    "it ends and where to check. Everything else goes below the fold.",
                    4,
                    {"helpful": ("mei.wong", "samuel.osei")},
                ),
                R(
                    "samuel.osei",
                    "Translate it before the event; our outreach teams needed five languages "
                    "last time.",
                    30,
                    {"thanks": ("mei.wong",)},
                ),
            ),
            accepted=2,
        ),
        T(
            "question",
            "peter.novak",
            "Choosing controls for a hospital-onset C. difficile case-control study",
            "epidemiology statistics infection-control",
            2.6,
            "We want to look at risk factors for hospital-onset C. difficile on two wards. "
            "Should controls be matched on ward and admission date, or sampled from all "
            "inpatients?",
        ),
    ],
    "health-data-interest": [
        T(
            "question",
            "mei.wong",
            "Suppressing small numbers in a public dashboard",
            "privacy statistics analytics",
            17.9,
            "Our vaccination dashboard shows counts by postcode and age band. Some cells are "
            "1 or 2. What's the usual rule for suppressing them?",
            (
                R(
                    "zainab.yusuf",
                    "Suppress cells under 5 (some agencies use 10) and then check secondary "
                    "suppression: if a row total is shown, one suppressed cell can be worked "
                    "out from the others. Rounding to the nearest 5 is a simpler alternative.",
                    3,
                    {
                        "helpful": ("mei.wong", "ingrid.larsen", "daniel.reyes"),
                        "insightful": ("fatima.rahman",),
                    },
                ),
                R(
                    "ingrid.larsen",
                    "And suppress consistently across every filter of the dashboard, or the "
                    "differences give the numbers away.",
                    6,
                    {"helpful": ("mei.wong",)},
                ),
                R(
                    "daniel.reyes",
                    "Adding this to the community's starter guide.",
                    26,
                    {"thanks": ("zainab.yusuf",)},
                ),
            ),
            accepted=2,
        ),
        T(
            "discussion",
            "daniel.reyes",
            "Which charts mislead most often in health reports?",
            "analytics data-analysis",
            7.7,
            "Collecting examples for a lunch-and-learn. Which chart choices have you seen "
            "mislead readers of health reports?",
            (
                R(
                    "ingrid.larsen",
                    "Truncated y-axes on weekly case counts, every time.",
                    2,
                    {"helpful": ("daniel.reyes",)},
                ),
                R(
                    "zainab.yusuf",
                    "Rates without confidence intervals for small areas: the smallest "
                    "districts always look like outliers.",
                    4,
                    {"insightful": ("daniel.reyes", "mei.wong", "fatima.rahman")},
                ),
                R(
                    "fatima.rahman",
                    "From the education side: dual-axis charts. Almost nobody reads the right "
                    "axis.",
                    25,
                ),
            ),
            behind=("daniel.reyes",),
        ),
        T(
            "question",
            "fatima.rahman",
            "R or Python for analysing survey data as a beginner?",
            "statistics python",
            12.4,
            "I analyse school survey data in spreadsheets and want to learn one language "
            "properly. Which would you start with, and with what first project?",
            (
                R(
                    "lucas.moreau",
                    "Python with pandas if you'll also automate reports; R with the tidyverse "
                    "if it's mostly statistics and charts. First project: reproduce last "
                    "year's survey summary end to end.",
                    5,
                    {"helpful": ("fatima.rahman", "daniel.reyes")},
                ),
                R(
                    "zainab.yusuf",
                    "Happy to pair on the R route if you pick it.",
                    9,
                    {"thanks": ("fatima.rahman",)},
                ),
            ),
            accepted=2,
        ),
        T(
            "question",
            "ingrid.larsen",
            "Linking two datasets without a shared identifier",
            "data-modelling privacy",
            3.1,
            "Two registries, no common ID: name, date of birth and postcode with typos. Is "
            "probabilistic linkage worth it at 50,000 records, and how do you keep it "
            "privacy-preserving?",
        ),
    ],
}


Step = tuple[datetime, int, Callable[[], None]]


def seed_discussions(session: Session, threads: dict[str, list[T]] | None = None) -> None:
    """Add the demo threads (or these) to the demo communities (call once, inside `seed`)."""
    now = utcnow()
    users = {u.email.split("@")[0]: u for u in session.exec(select(User)).all()}
    order = count()
    steps: list[Step] = []
    finish: list[Callable[[], None]] = []
    for slug, specs in (THREADS if threads is None else threads).items():
        community = session.exec(select(Community).where(Community.slug == slug)).one()
        for spec in specs:
            steps += _thread_steps(session, now, community, spec, users, order, finish)
    for _, _, step in sorted(steps, key=lambda s: (s[0], s[1])):
        step()
    for read in finish:
        read()
    session.flush()


def _thread_steps(
    session: Session,
    now: datetime,
    community: Community,
    spec: T,
    users: dict[str, User],
    order: count,
    finish: list[Callable[[], None]],
) -> list[Step]:
    """One thread's writes, each with its time; `finish` gets the reading done afterwards."""
    members = {
        m.user_id: m.role
        for m in session.exec(
            select(Membership).where(
                Membership.community_id == community.id, Membership.status == "active"
            )
        ).all()
    }
    author = users[spec.author]
    started = now - timedelta(days=spec.days_ago)
    posts = [(author, spec.body, started, spec.reactions)]
    at = started
    for r in spec.replies:
        at += timedelta(hours=r.hours)
        posts.append((users[r.author], r.body, at, r.reactions))
    if at > now - timedelta(hours=2):
        raise ValueError(f"demo thread {spec.title!r} would end in the future")
    made: dict[str, Thread] = {}
    steps: list[Step] = []

    def step(when: datetime, write: Callable[[], object]) -> None:
        steps.append((when, next(order), write))

    def post(number: int) -> Post:
        thread = made["thread"]
        return session.exec(
            select(Post).where(Post.thread_id == thread.id, Post.number == number)
        ).one()

    def start() -> None:
        data = discussions.clean_thread_input(spec.kind, spec.title, spec.body, spec.tags)
        made["thread"] = discussions.do_create_thread(session, community, author, data, now=started)

    step(started, start)
    if spec.pinned:
        steward = next(u for u in users.values() if members.get(u.id) == "steward")
        step(
            started,
            lambda: discussions.do_moderate_thread(
                session, made["thread"], steward, {"pinned": True}, now=started
            ),
        )
    for number, (writer, body, when, reactions) in enumerate(posts, start=1):
        if writer.id not in members:
            raise ValueError(f"demo post by a non-member in {spec.title!r}")
        if number > 1:
            step(
                when,
                lambda w=writer, b=body, t=when: discussions.do_post_reply(
                    session, made["thread"], w, b, now=t
                ),
            )
        for k, (kind, who) in enumerate(sorted(reactions.items())):
            for j, local in enumerate(who):
                reactor = users[local]
                if reactor.id not in members or reactor.id == writer.id:
                    raise ValueError(f"demo reaction by {local} in {spec.title!r}")
                reacted = min(when + timedelta(minutes=20 + 13 * j + 7 * k), now)
                step(
                    reacted,
                    lambda n=number, u=reactor, kd=kind, t=reacted: discussions.do_toggle_reaction(
                        session, post(n), made["thread"], u, kd, now=t
                    ),
                )
    if spec.accepted is not None:
        accepted_at = min(posts[spec.accepted - 1][2] + timedelta(hours=3), at)
        step(
            accepted_at,
            lambda: discussions.do_accept_answer(
                session, made["thread"], author, post(spec.accepted), now=accepted_at
            ),
        )
    behind = {users[local].id for local in spec.behind}
    finish.append(lambda: _read(session, now, made["thread"], posts, behind))
    return steps


def _read(
    session: Session,
    now: datetime,
    thread: Thread,
    posts: list[tuple[User, str, datetime, dict[str, tuple[str, ...]]]],
    behind: set[int],
) -> None:
    """Everyone who took part has read the thread, except those `behind` (they stopped at
    their own last post); a notification is read an hour after it came once its post was
    read (an accepted answer's a day on)."""
    for writer in {w.id: w for w, *_ in posts}.values():
        if writer.id not in behind:
            discussions.do_mark_read(session, thread, writer, len(posts))
    session.flush()
    rows = session.exec(
        select(Notification, Post.number, ThreadRead.last_read_number)
        .join(Post, Post.id == Notification.post_id)
        .join(
            ThreadRead,
            and_(
                ThreadRead.thread_id == Notification.thread_id,
                ThreadRead.user_id == Notification.user_id,
            ),
            isouter=True,
        )
        .where(Notification.thread_id == thread.id)
    ).all()
    for note, number, mark in rows:
        seen = (mark or 0) >= number
        if note.kind == "accepted":
            seen = note.created_at < now - timedelta(days=1) and note.user_id not in behind
        if seen:
            note.read_at = min(note.created_at + timedelta(hours=1), now)
            session.add(note)
