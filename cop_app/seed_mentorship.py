"""Deterministic demo mentorship (part of `seed`, after the demo discussions).

Five mentors with profiles; pairings in four communities, each in a different state: boards
in progress with cards in every column, practice-linked goals already met by the demo
threads (evidence found by the same `REQUIREMENTS` predicates the live code uses, dated
when the artifact happened), one pair that needs a check-in, one paused, one completed with
both reflections, one request waiting for an answer; session notes; the activity stream.

No notifications are written: the discussion seed's checks expect every notification to
point at a thread; the pending request shows on the mentor's dashboard.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from cop_app.models import (
    ActivityEvent,
    BoardCard,
    Community,
    MentorCommunity,
    MentorProfile,
    Mentorship,
    SessionNote,
    Thread,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services.mentorship import COLUMNS, REQUIREMENTS, taken_evidence

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
    last_activity: float | None = None
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
        last_activity=2,
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
        last_activity=6,
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
        last_activity=3,
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
        last_activity=2,
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
        last_activity=6,
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
        last_activity=3,
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
        last_activity=18,
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
        last_activity=25,
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
        last_activity=4,
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
        mentor = users[local]
        session.add(
            MentorProfile(
                user_id=mentor.id,
                capacity=capacity,
                availability=availability,
                accepting=accepting,
                created_at=now - timedelta(days=80),
                updated_at=now - timedelta(days=80),
            )
        )
        for slug in slugs:
            session.add(MentorCommunity(mentor_id=mentor.id, community_id=communities[slug].id))
        session.add(
            ActivityEvent(
                kind="mentorship.profile_updated",
                actor_id=mentor.id,
                target_type="user",
                target_id=mentor.id,
                summary=f"{mentor.display_name} updated their mentor profile",
                created_at=now - timedelta(days=80),
            )
        )
    for spec in PAIRINGS:
        _seed_pairing(session, now, spec, users, communities, threads)
    session.flush()


def _ago(now: datetime, days: float | None) -> datetime | None:
    return None if days is None else now - timedelta(days=days)


def _event(
    session: Session, kind: str, actor: User, m: Mentorship, at: datetime, summary: str
) -> None:
    session.add(
        ActivityEvent(
            kind=kind,
            actor_id=actor.id,
            community_id=m.community_id,
            target_type="mentorship",
            target_id=m.id,
            summary=summary[:300],
            created_at=at,
        )
    )


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
    requested = _ago(now, spec.requested)
    started = _ago(now, spec.started)
    last = _ago(now, spec.last_activity) or requested
    m = Mentorship(
        mentor_id=mentor.id,
        mentee_id=mentee.id,
        community_id=community.id,
        goals=spec.goals,
        skills=spec.skills,
        state=spec.state,
        welcome_message=spec.welcome,
        reflection_mentor=spec.reflection_mentor,
        reflection_mentee=spec.reflection_mentee,
        created_at=requested,
        started_at=started,
        ended_at=_ago(now, spec.ended),
        last_activity_at=last,
    )
    session.add(m)
    session.flush()
    _event(
        session,
        "mentorship.requested",
        mentee,
        m,
        requested,
        f"{mentee.display_name} asked {mentor.display_name} for mentorship in {community.name}",
    )
    if started is not None:
        _event(
            session,
            "mentorship.accepted",
            mentor,
            m,
            started,
            f"{mentor.display_name} accepted {mentee.display_name}'s mentorship request",
        )

    cards: list[BoardCard] = []
    for i, c in enumerate(spec.cards):
        created = min(started + timedelta(hours=6 + 5 * i), last)
        link = threads[c.link] if c.link else None
        if link is not None and link.community_id != community.id:
            raise ValueError(f"demo card {c.title!r} links outside its community")
        card = BoardCard(
            mentorship_id=m.id,
            title=c.title,
            description=c.description,
            column=c.column,
            position=0,
            due_date=(now + timedelta(days=c.due_in_days)).date()
            if c.due_in_days is not None
            else None,
            link_thread_id=link.id if link else None,
            requirement=c.requirement,
            created_by=mentor.id,
            created_at=created,
            updated_at=created,
        )
        session.add(card)
        cards.append(card)
    session.flush()

    # Goals the demo threads already meet, found by the live predicates, in board order.
    met: list[BoardCard] = []
    for card in cards:
        if card.requirement is None:
            continue
        evidence = REQUIREMENTS[card.requirement].met_by(session, card, None)
        if evidence is None or (evidence.target_type, evidence.target_id) in taken_evidence(
            session, card
        ):
            continue
        card.evidence_type, card.evidence_id = evidence.target_type, evidence.target_id
        card.evidence_text, card.evidence_link = evidence.text, evidence.link
        card.met_at = evidence.at
        card.updated_at = max(card.created_at, evidence.at)
        card.column = "done"
        session.add(card)
        session.flush()
        met.append(card)
        _event(
            session,
            "board.goal_met",
            mentee,
            m,
            card.met_at,
            f"{mentee.display_name} met a practice goal: "
            f"{REQUIREMENTS[card.requirement].label.lower()}",
        )
    for column in COLUMNS:
        in_column = [c for c in cards if c.column == column and c not in met] + [
            c for c in met if c.column == column
        ]
        for position, card in enumerate(in_column):
            card.position = position
            session.add(card)

    for s in spec.sessions:
        author = mentor if s.by == "mentor" else mentee
        at = now - timedelta(days=s.days_ago)
        session.add(
            SessionNote(
                mentorship_id=m.id,
                author_id=author.id,
                date=at.date(),
                notes=s.notes,
                next_steps=s.next_steps,
                created_at=at,
            )
        )
        _event(
            session,
            "mentorship.session_logged",
            author,
            m,
            at,
            f"{author.display_name} logged a mentoring session",
        )
    touched = [last, *(c.updated_at for c in cards)]
    m.last_activity_at = max(touched)
    if spec.paused is not None:
        _event(
            session,
            "mentorship.paused",
            mentee,
            m,
            now - timedelta(days=spec.paused),
            f"{mentee.display_name} paused the mentorship with {mentor.display_name}",
        )
    if spec.ended is not None and spec.state == "completed":
        ended = now - timedelta(days=spec.ended)
        _event(
            session,
            "mentorship.completed",
            mentor,
            m,
            ended,
            f"{mentor.display_name} completed the mentorship with {mentee.display_name}",
        )
        _event(
            session,
            "mentorship.reflected",
            mentee,
            m,
            ended + timedelta(hours=5),
            f"{mentee.display_name} wrote a reflection on a completed mentorship",
        )
    session.add(m)
