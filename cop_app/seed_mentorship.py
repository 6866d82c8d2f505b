"""Deterministic demo mentorship (part of `seed`, after the demo discussions).

Five mentors with profiles; pairings in four communities, each in a different state: boards
in progress with cards in every column, practice-linked goals already met by the demo
threads (found by the same scan the app runs when a goal card is added, dated when the
artifact happened), one pair that needs a check-in, one paused, one completed with both
reflections, one request waiting for an answer; session notes. Everything is written by the
mentorship `do_` functions at past moments, so rows, counters, activity events and
notifications are what the app itself writes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from cop_app.models import Community, MentorProfile, Mentorship, Thread, User
from cop_app.models.base import utcnow
from cop_app.services import mentorship

# email local part: (capacity, availability, accepting, community slugs)
MENTORS: dict[str, tuple[int, str, bool, tuple[str, ...]]] = {
    "helen.carter": (
        3,
        "Tuesday and Thursday afternoons, after the theatre list.",
        True,
        ("surgical-technique-exchange",),
    ),
    "joseph.mensah": (
        1,
        "Early mornings before the first list; 30-minute slots.",
        True,
        ("surgical-technique-exchange",),
    ),
    "marta.silva": (
        3,
        "Wednesdays after school; happy to observe a lesson.",
        True,
        ("science-teaching-circle",),
    ),
    "ravi.iyer": (
        3,
        "Two 45-minute slots a week, pairing on real pull requests.",
        True,
        ("engineering-craft",),
    ),
    "nadia.haddad": (
        2,
        "Fortnightly calls; more often during an active investigation.",
        True,
        ("cross-agency-outbreak-network",),
    ),
}


@dataclass(frozen=True)
class C:
    """A card: its column when not met by practice; `link` is a demo thread's title."""

    title: str
    column: str
    requirement: str | None = None
    description: str = ""
    due_in_days: int | None = None
    link: str | None = None


@dataclass(frozen=True)
class S:
    """A session note, written by the mentor or the mentee."""

    days_ago: int
    by: str
    notes: str
    next_steps: str = ""


@dataclass(frozen=True)
class P:
    """A pairing; days are counted back from now."""

    mentor: str
    mentee: str
    community: str
    state: str
    goals: str
    skills: str
    requested: float
    started: float | None = None
    welcome: str = ""
    cards: tuple[C, ...] = ()
    sessions: tuple[S, ...] = ()
    paused: float | None = None
    ended: float | None = None
    reflection_mentor: str = ""
    reflection_mentee: str = ""


PAIRINGS: list[P] = [
    P(
        "ravi.iyer",
        "lucas.moreau",
        "engineering-craft",
        "active",
        "I moved from analytics into the data platform team and review code I only half "
        "understand. I want to review large changes with confidence and explain my "
        "comments well.",
        "code-review testing python",
        requested=26,
        started=24,
        welcome="Welcome, Lucas! Let's start with how you review today; bring a real PR.",
        cards=(
            C(
                "Ask the guild how they review very large pull requests",
                "todo",
                "ask_question",
                "Write up the ingestion-rewrite situation and ask for approaches.",
            ),
            C(
                "Get one of your answers accepted in the guild",
                "doing",
                "answer_accepted",
                "Pick questions about Python or data pipelines you can answer from experience.",
            ),
            C(
                "Review two PRs in passes and write down what you noticed",
                "doing",
                due_in_days=4,
            ),
            C(
                "Start a discussion about testing data pipelines",
                "todo",
                "discussion_replied",
                "What do other teams test before a backfill? Ask in the open.",
            ),
            C(
                "Read the guild thread on flaky tests",
                "todo",
                link="Flaky integration tests: quarantine or fix first?",
            ),
            C("Pair with Ravi on the ingestion-rewrite review", "done"),
        ),
        sessions=(
            S(
                20,
                "mentor",
                "Walked through how Lucas reviews today: top to bottom, line by line. "
                "Introduced reviewing in passes.",
                "Lucas asks the guild about the 1,500-line PR.",
            ),
            S(
                9,
                "mentee",
                "Reviewed the ingestion rewrite in three passes with Ravi. Interfaces first "
                "made the rest much faster.",
                "Try passes alone on two PRs; answer one question in the guild.",
            ),
            S(2, "mentor", "Went through Lucas's two reviews; comments are clearer and kinder."),
        ),
    ),
    P(
        "ravi.iyer",
        "yuki.tanaka",
        "engineering-craft",
        "active",
        "I know PostgreSQL well but rarely share it. I'd like to answer more questions in "
        "the guild and learn to write decisions down for other teams.",
        "architecture postgresql code-review",
        requested=19,
        started=18,
        welcome="Happy to, Yuki. Your migration know-how deserves a wider audience.",
        cards=(
            C(
                "Answer a PostgreSQL question in the guild",
                "todo",
                "answer_accepted",
                "Look for questions tagged postgresql or data-modelling.",
            ),
            C(
                "Ask the guild how they record architecture decisions",
                "todo",
                "ask_question",
            ),
            C(
                "Write a migration checklist for the data platform team",
                "doing",
                due_in_days=9,
            ),
        ),
        sessions=(
            S(
                16,
                "mentor",
                "Agreed to focus on sharing: answering in the guild, then a checklist.",
                "Yuki watches the guild for migration questions.",
            ),
            S(6, "mentee", "Talked through the NOT NULL answer and what made it land."),
        ),
    ),
    P(
        "helen.carter",
        "priya.natarajan",
        "surgical-technique-exchange",
        "active",
        "I'm a registrar building my laparoscopic practice. I want to plan ports for "
        "difficult habitus and teach what I learn back to the team.",
        "laparoscopy surgical-safety",
        requested=32,
        started=30,
        welcome="Welcome, Priya. Bring your next difficult list and we'll plan it together.",
        cards=(
            C(
                "Ask the exchange about port placement in obese patients",
                "todo",
                "ask_question",
            ),
            C(
                "Assist on two laparoscopic cholecystectomies with BMI over 40",
                "doing",
                due_in_days=10,
            ),
            C("Present the port-placement approach at the next M&M meeting", "todo"),
            C(
                "Get one of your answers accepted in the exchange",
                "todo",
                "answer_accepted",
            ),
            C("Review two recorded cases with Helen", "done"),
        ),
        sessions=(
            S(25, "mentor", "Reviewed Priya's last three lap choles on video."),
            S(
                12,
                "mentee",
                "Planned ports for the BMI 45 patient; optical entry at Palmer's point went well.",
                "Write it up for M&M.",
            ),
            S(3, "mentor", "Went through the M&M slides; tighten the case selection section."),
        ),
    ),
    P(
        "joseph.mensah",
        "liam.byrne",
        "surgical-technique-exchange",
        "active",
        "New to leading the theatre team on long lists. I want to get the safety checks "
        "right and bring our warming practice up to date.",
        "perioperative-nursing checklists",
        requested=11,
        started=10,
        welcome="Glad to help, Liam. Start by asking the exchange about warming.",
        cards=(
            C(
                "Ask the exchange about warming in long laparoscopic cases",
                "todo",
                "ask_question",
            ),
            C(
                "Draft a laminated sign-out card for the department",
                "doing",
                link="WHO checklist: who reads the sign-out aloud?",
            ),
            C(
                "Start a discussion about handovers between lists",
                "todo",
                "discussion_replied",
            ),
        ),
        sessions=(S(8, "mentor", "Shadowed Liam's sign-out on the Tuesday list."),),
    ),
    P(
        "helen.carter",
        "grace.adeyemi",
        "surgical-technique-exchange",
        "paused",
        "I want to standardise wound closure in day surgery and cut follow-up visits.",
        "suturing wound-care",
        requested=47,
        started=45,
        paused=6,
        welcome="Let's start from your day-case closure data, Grace.",
        cards=(
            C(
                "Ask the exchange about absorbable sutures for day cases",
                "todo",
                "ask_question",
            ),
            C("Audit wound-check follow-ups for a month", "doing", due_in_days=20),
            C("Share the audit with the day-surgery team", "todo"),
        ),
        sessions=(
            S(30, "mentor", "Looked at last quarter's return visits for suture removal."),
            S(
                7,
                "mentee",
                "Pausing for three weeks while I cover nights; the audit continues.",
                "Resume after the night rota.",
            ),
        ),
    ),
    P(
        "marta.silva",
        "ethan.brooks",
        "science-teaching-circle",
        "active",
        "Second year teaching physics. I want demonstrations that make students argue "
        "about the physics, not just watch.",
        "physics demonstrations inquiry-based-learning",
        requested=13,
        started=12,
        welcome="Welcome, Ethan! Let's make Year 10 argue about forces.",
        cards=(
            C("Ask the circle for a Newton's third law demonstration", "todo", "ask_question"),
            C("Plan the equal-and-opposite forces lesson", "doing", due_in_days=3),
            C("Observe Oliver's pendulum investigation", "todo"),
            C(
                "Answer a colleague's question in the circle",
                "todo",
                "answer_accepted",
            ),
        ),
        sessions=(
            S(10, "mentor", "Planned the forces unit; Ethan will ask the circle for ideas."),
            S(5, "mentee", "Tried the office-chair demo: loud, memorable, worked."),
        ),
    ),
    P(
        "marta.silva",
        "chloe.martin",
        "science-teaching-circle",
        "active",
        "I want my practicals to be fair for students with motor difficulties without "
        "lowering what is assessed.",
        "chemistry differentiation assessment",
        requested=42,
        started=40,
        welcome="Great goal, Chloe. Start with one practical and one group.",
        cards=(
            C("Read the exam board's practical endorsement guidance", "done"),
            C("Trial paired roles in the titration practical", "doing", due_in_days=-5),
            C(
                "Start a discussion about fair practicals in the circle",
                "todo",
                "discussion_replied",
            ),
        ),
        sessions=(
            S(35, "mentor", "Talked through the two students' needs and the endorsement rules."),
            S(19, "mentee", "Paired roles planned for the next titration."),
        ),
    ),
    P(
        "marta.silva",
        "kwame.asante",
        "science-teaching-circle",
        "completed",
        "I want to run safe, engaging chemistry practicals with a new, larger class.",
        "chemistry lab-safety",
        requested=72,
        started=70,
        ended=25,
        welcome="Welcome, Kwame. Safety first, then the fun.",
        cards=(
            C("Rewrite the practical risk assessments", "done"),
            C("Run the rates-of-reaction practical with the full class", "done"),
            C("Share a practical plan with the circle", "done"),
        ),
        sessions=(
            S(65, "mentor", "Went through the risk assessments line by line."),
            S(50, "mentee", "Full class practical ran safely; timings need work."),
            S(30, "mentor", "Kwame is ready to lead; we agreed to wrap up."),
        ),
        reflection_mentor="Kwame went from nervous to leading practicals for the whole "
        "department. His risk assessments are now our template.",
        reflection_mentee="Having someone to plan with made the big class manageable. "
        "I'll pass on the rewrite-the-risk-assessment habit.",
    ),
    P(
        "nadia.haddad",
        "samuel.osei",
        "cross-agency-outbreak-network",
        "active",
        "I coordinate vaccination outreach and want to lead contact tracing exercises "
        "that match real outbreak practice.",
        "epidemiology outbreak-response",
        requested=27,
        started=25,
        welcome="Welcome, Samuel. Let's build your exercise on the real playbook.",
        cards=(
            C(
                "Ask the network for a measles case definition to exercise with",
                "todo",
                "ask_question",
            ),
            C(
                "Run the measles tabletop exercise with two vaccination teams",
                "doing",
                due_in_days=7,
            ),
            C(
                "Start a discussion on lessons from the tabletop exercise",
                "todo",
                "discussion_replied",
            ),
        ),
        sessions=(
            S(22, "mentor", "Scoped the tabletop exercise and its learning goals."),
            S(8, "mentee", "Drafted the exercise cases using the three-tier definition."),
        ),
    ),
    P(
        "nadia.haddad",
        "mei.wong",
        "cross-agency-outbreak-network",
        "requested",
        "I write public messages during outbreaks and want to work closer to the "
        "epidemiologists, so our messages match what the data says.",
        "communication outbreak-response",
        requested=1,
    ),
]


def seed_mentorship(session: Session) -> None:
    """Add the demo mentor profiles and mentorships (call once, inside `seed`)."""
    if session.exec(select(MentorProfile.id)).first() is not None:
        return
    now = utcnow()
    users = {u.email.split("@")[0]: u for u in session.exec(select(User)).all()}
    communities = {c.slug: c for c in session.exec(select(Community)).all()}
    threads = {t.title: t for t in session.exec(select(Thread)).all()}
    for local, (capacity, availability, accepting, slugs) in MENTORS.items():
        mentorship.do_update_mentor_profile(
            session,
            users[local],
            capacity,
            availability,
            accepting,
            [communities[slug].id for slug in slugs],
            now=now - timedelta(days=80),
        )
    for spec in PAIRINGS:
        _seed_pairing(session, now, spec, users, communities, threads)


def _seed_pairing(
    session: Session,
    now: datetime,
    spec: P,
    users: dict[str, User],
    communities: dict[str, Community],
    threads: dict[str, Thread],
) -> None:
    mentor, mentee = users[spec.mentor], users[spec.mentee]
    community = communities[spec.community]
    m = mentorship.do_request_mentorship(
        session,
        mentee,
        mentor,
        community,
        spec.goals,
        spec.skills,
        now=now - timedelta(days=spec.requested),
    )
    if spec.started is None:
        if spec.state != "requested":
            raise ValueError(f"demo pairing {spec.mentee!r} was never accepted")
        return
    started = now - timedelta(days=spec.started)
    mentorship.do_respond(session, m, mentor, True, spec.welcome, now=started)
    for i, c in enumerate(spec.cards):
        link = threads[c.link] if c.link else None
        if link is not None and link.community_id != community.id:
            raise ValueError(f"demo card {c.title!r} links outside its community")
        due = now + timedelta(days=c.due_in_days) if c.due_in_days is not None else None
        data = mentorship.CardInput(
            title=c.title,
            description=c.description,
            due_date=due.date() if due else None,
            link_thread_id=link.id if link else None,
            link_post_id=None,
            requirement=c.requirement,
        )
        at = started + timedelta(hours=6 + 5 * i)
        mentorship.do_add_card(session, m, mentor, data, c.column, now=at)

    # What happened next, in the order it happened.
    later: list[tuple[datetime, Callable[[datetime], object]]] = []
    for s in spec.sessions:
        author = mentor if s.by == "mentor" else mentee
        later.append((now - timedelta(days=s.days_ago), _note(session, m, author, s)))
    if spec.paused is not None:
        later.append(
            (
                now - timedelta(days=spec.paused),
                lambda at: mentorship.do_transition(session, m, mentee, "pause", now=at),
            )
        )
    if spec.ended is not None:
        ended = now - timedelta(days=spec.ended)
        later.append(
            (
                ended,
                lambda at: mentorship.do_transition(
                    session, m, mentor, "complete", reflection=spec.reflection_mentor, now=at
                ),
            )
        )
        later.append(
            (
                ended + timedelta(hours=5),
                lambda at: mentorship.do_add_reflection(
                    session, m, mentee, spec.reflection_mentee, now=at
                ),
            )
        )
    for at, act in sorted(later, key=lambda item: item[0]):
        act(at)
    if m.state != spec.state:
        raise ValueError(f"demo pairing {spec.mentee!r} ends {m.state}, not {spec.state}")


def _note(session: Session, m: Mentorship, author: User, s: S) -> Callable[[datetime], object]:
    """Log session note `s` when called with its moment."""
    return lambda at: mentorship.do_add_session_note(
        session, m, author, at.date(), s.notes, s.next_steps, now=at
    )
