"""Demo data for the practice library: each demo community gets six or more resources of
mixed kinds with real edits, endorsements, reuse with outcomes, one resource promoted from an
accepted answer, one attachment (a small PNG drawn here) and one overdue for review. Every
row is written through the library's do_ functions, so the demo cannot drift from the app."""

import struct
import zlib
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from cop_app.models import Community, Membership, Notification, Post, Thread, User
from cop_app.models.base import utcnow
from cop_app.services import library, settings
from cop_app.services.library import ResourceInput

# (kind, title, summary, first text, edited text, change note, tags) per community slug.
Spec = tuple[str, str, str, str, str, str, str]

LIBRARY: dict[str, list[Spec]] = {
    "surgical-technique-exchange": [
        (
            "checklist",
            "Pre-incision pause, theatre version",
            "The five checks our teams say aloud before the first cut.",
            "1. Patient, site, side\n2. Antibiotics given\n3. Imaging displayed\n4. Blood available\n5. Anyone worried?",
            "1. Patient, site, side\n2. Antibiotics given within 60 minutes\n3. Imaging displayed\n4. Blood available\n5. Anyone worried? Say it now.",
            "Antibiotic timing made explicit",
            "patient-safety checklist",
        ),
        (
            "guide",
            "Port placement for obese patients",
            "Where we place laparoscopic ports when the usual landmarks lie.",
            "Measure from the xiphoid, not the umbilicus.\n\nUse longer trocars.",
            "Measure from the xiphoid, not the umbilicus: the umbilicus moves.\n\nUse longer trocars and check the angle before insufflation.",
            "Added the reason and the angle check",
            "laparoscopy",
        ),
        (
            "case-story",
            "The retained swab we nearly missed",
            "A count that was right on paper and wrong on the table.",
            "The count matched. The X-ray did not.",
            "The count matched. The X-ray did not. We now count aloud, two people, every time.",
            "What we changed afterwards",
            "patient-safety nursing",
        ),
        (
            "template",
            "Handover note for theatre recovery",
            "A one-page handover from theatre to recovery.",
            "Procedure:\nAnaesthetic:\nDrains:\nConcerns:",
            "Procedure:\nAnaesthetic:\nDrains and lines:\nAnalgesia given:\nConcerns:",
            "Lines and analgesia added",
            "nursing handover",
        ),
        (
            "tool",
            "Instrument tray photo library",
            "Photos of every standard tray, so new staff can check a set.",
            "Our shared album of trays.",
            "Our shared album of trays, labelled by specialty.",
            "Labelled by specialty",
            "nursing",
        ),
        (
            "guide",
            "Teaching a first laparoscopic suture",
            "Steps we use with trainees on the box trainer.",
            "Start on the box trainer. Ten knots before theatre.",
            "Start on the box trainer. Ten knots in under two minutes each before theatre.",
            "A clear target",
            "laparoscopy teaching",
        ),
    ],
    "science-teaching-circle": [
        (
            "template",
            "Inquiry lesson plan, one page",
            "Question, prediction, method, evidence, claim: one page.",
            "Question:\nPrediction:\nMethod:\nEvidence:\nClaim:",
            "Question:\nPrediction (and why):\nMethod:\nEvidence:\nClaim and reasoning:",
            "Ask for reasons, not only answers",
            "inquiry lesson-planning",
        ),
        (
            "guide",
            "Running a practical with 32 pupils",
            "How to keep a class practical safe and useful with one adult.",
            "Set roles in each group. Collect results on the board.",
            "Set roles in each group: reader, doer, recorder. Collect results on the board as they come.",
            "Named the roles",
            "practicals classroom",
        ),
        (
            "checklist",
            "Before a practical",
            "What to check the day before a class practical.",
            "1. Risk assessment\n2. Kit counted\n3. Technician booked",
            "1. Risk assessment read\n2. Kit counted per group\n3. Technician booked\n4. A plan for spills",
            "Spills plan added",
            "practicals safety",
        ),
        (
            "case-story",
            "When the pendulum lesson went wrong",
            "Pupils measured the wrong thing, and learned more for it.",
            "They timed one swing. The data was noise.",
            "They timed one swing. The data was noise. Next lesson they timed ten and saw why.",
            "The second lesson",
            "inquiry assessment",
        ),
        (
            "tool",
            "Simulation: gas particles",
            "A free simulation we use for kinetic theory.",
            "The PhET gas simulation.",
            "The PhET gas simulation, with our worksheet.",
            "Worksheet linked",
            "physics simulation",
        ),
        (
            "guide",
            "Marking lab reports in ten minutes",
            "A rubric that looks at claims and evidence first.",
            "Read the claim first.",
            "Read the claim first, then check that the evidence supports it.",
            "Evidence check",
            "assessment",
        ),
    ],
    "engineering-craft": [
        (
            "checklist",
            "Code review checklist",
            "What reviewers look at, in order.",
            "1. Does it do what it says?\n2. Tests\n3. Names",
            "1. Does it do what it says?\n2. Tests that fail without the change\n3. Names\n4. What happens on error?",
            "Failing tests and errors",
            "code-review",
        ),
        (
            "guide",
            "Writing a migration that can roll back",
            "How we change a schema without a maintenance window.",
            "Add the column nullable first.",
            "Add the column nullable first, backfill in batches, then add the constraint.",
            "Backfill and constraint steps",
            "architecture databases",
        ),
        (
            "template",
            "Architecture decision record",
            "The one-page ADR we keep next to the code.",
            "Context:\nDecision:\nConsequences:",
            "Status:\nContext:\nDecision:\nConsequences:\nAlternatives considered:",
            "Status and alternatives",
            "architecture",
        ),
        (
            "case-story",
            "The flaky test that was a race",
            "Three weeks of retries, one missing await.",
            "The test failed one run in fifty.",
            "The test failed one run in fifty. The fix was one missing await; the lesson was to never retry blindly.",
            "The lesson",
            "testing",
        ),
        (
            "tool",
            "Property-based testing with Hypothesis",
            "The library we use to find edge cases we did not think of.",
            "Hypothesis for Python.",
            "Hypothesis for Python: start with one property per function.",
            "How to start",
            "testing",
        ),
        (
            "guide",
            "Onboarding a new teammate in a week",
            "Day by day: what a new engineer does first.",
            "Day 1: run the app.",
            "Day 1: run the app. Day 2: fix a small bug. Day 3: review a change.",
            "A day-by-day plan",
            "onboarding",
        ),
    ],
    "cross-agency-outbreak-network": [
        (
            "checklist",
            "First 24 hours of a cluster",
            "What each agency does in the first day.",
            "1. Confirm cases\n2. Call the network",
            "1. Confirm cases\n2. Call the network\n3. Agree one case definition\n4. Name one spokesperson",
            "Case definition and spokesperson",
            "outbreak surveillance",
        ),
        (
            "template",
            "Line list for a foodborne outbreak",
            "Columns we agreed across agencies.",
            "ID, onset, symptoms, food history",
            "ID, onset date, symptoms, food history, hospital, lab result",
            "Hospital and lab columns",
            "epidemiology",
        ),
        (
            "guide",
            "Sharing data across agencies lawfully",
            "What we may share, with whom, and how.",
            "Share the minimum.",
            "Share the minimum, under the agreement, through the secure portal.",
            "Named the portal",
            "surveillance privacy",
        ),
        (
            "case-story",
            "The norovirus cruise",
            "How three agencies ran one response.",
            "Cases on board, cases ashore.",
            "Cases on board, cases ashore: one line list saved days.",
            "What saved time",
            "outbreak",
        ),
        (
            "tool",
            "Epi curve generator",
            "A spreadsheet that draws epidemic curves from a line list.",
            "Paste the onset dates.",
            "Paste the onset dates; choose the interval.",
            "Interval choice",
            "epidemiology",
        ),
        (
            "guide",
            "Writing a situation report",
            "A sitrep others can read in two minutes.",
            "Lead with what changed.",
            "Lead with what changed, then what we ask of you.",
            "The ask",
            "outbreak",
        ),
    ],
    "health-data-interest": [
        (
            "guide",
            "Reading a confidence interval",
            "What a 95% interval does and does not say.",
            "It is about the method, not this sample.",
            "It is about the method, not this one sample; wide intervals mean you know less.",
            "What width means",
            "statistics",
        ),
        (
            "checklist",
            "Before publishing a dashboard",
            "Privacy and quality checks for public figures.",
            "1. Small numbers suppressed",
            "1. Small numbers suppressed\n2. Definitions written down\n3. Date of data shown",
            "Definitions and dates",
            "privacy analytics",
        ),
        (
            "template",
            "Analysis plan",
            "A plan written before looking at the data.",
            "Question:\nData:\nMethod:",
            "Question:\nData and its limits:\nMethod:\nWhat would change our mind:",
            "Limits and falsification",
            "analytics",
        ),
        (
            "case-story",
            "The readmissions chart that misled",
            "Why a falling line was not good news.",
            "Readmissions fell.",
            "Readmissions fell because deaths rose. Always look at both.",
            "The explanation",
            "statistics",
        ),
        (
            "tool",
            "R for public health, free book",
            "The book our members learn R from.",
            "The Epidemiologist R Handbook.",
            "The Epidemiologist R Handbook, chapters 1-5 first.",
            "Where to start",
            "analytics",
        ),
        (
            "guide",
            "Asking a good data question",
            "Turning a worry into something data can answer.",
            "Say what decision it informs.",
            "Say what decision it informs, and what answer would change it.",
            "Decision focus",
            "analytics",
        ),
    ],
}


def png_bytes() -> bytes:
    """A small real PNG (an 8x8 green square), drawn here so the demo needs no files."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x2e\x9e\x5b" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _members(session: Session, community: Community) -> tuple[list[User], list[User]]:
    rows = session.exec(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, Membership.status == "active")
        .order_by(Membership.id)
    ).all()
    return [u for u, r in rows if r == "steward"], [u for u, r in rows if r != "steward"]


def _promote(session: Session, community: Community, steward: User, now: datetime) -> None:
    thread = session.exec(
        select(Thread)
        .where(
            Thread.community_id == community.id,
            Thread.kind == "question",
            col(Thread.accepted_post_id).is_not(None),
        )
        .order_by(Thread.id)
    ).first()
    if thread is None:
        return
    opening = session.exec(select(Post).where(Post.thread_id == thread.id, Post.number == 1)).one()
    answer = session.get(Post, thread.accepted_post_id)
    library.do_promote(session, community, steward, thread, opening, answer, now=now)


def seed_library(session: Session) -> None:
    """Write every demo community's library (flushes; the caller commits)."""
    now = utcnow()
    overdue = now - timedelta(days=settings.LIBRARY_REVIEW_AFTER_DAYS + 30)
    for slug, specs in LIBRARY.items():
        community = session.exec(select(Community).where(Community.slug == slug)).first()
        if community is None:
            continue
        stewards, members = _members(session, community)
        people = stewards + members
        made = []
        for i, (kind, title, summary, first, edited, note, tags) in enumerate(specs):
            author = people[i % len(people)]
            created = overdue if i == len(specs) - 1 else now - timedelta(days=40 - 5 * i)
            data = ResourceInput(kind, title, summary, first, tags, "")
            resource = library.do_create_resource(session, community, author, data, now=created)
            editor = stewards[0] if stewards else author
            changed = ResourceInput(kind, title, summary, edited, tags, "")
            library.do_edit_resource(
                session, resource, editor, changed, note, now=created + timedelta(days=2)
            )
            if i == len(specs) - 1:
                resource.reviewed_at = overdue
                session.add(resource)
            made.append((resource, author))
        for i, (resource, author) in enumerate(made):
            others = [p for p in people if p.id != author.id]
            for person in others[: 3 - i % 3]:
                library.do_endorse(session, resource, person, True, now=now)
            for person in others[: 2 - i % 2]:
                outcome = "Used it with my team this month" if i % 2 == 0 else ""
                library.do_record_reuse(session, resource, person, outcome, now=now)
        first, first_author = made[0]
        library.do_attach(
            session, first, first_author, "example-card.png", "image/png", png_bytes(), now=now
        )
        if stewards:
            _promote(session, community, stewards[0], now)
    # The demo's people have seen what happened before the visit: their bells start quiet.
    session.flush()
    session.exec(
        update(Notification)
        .where(col(Notification.kind).startswith("library."), col(Notification.read_at).is_(None))
        .values(read_at=now)
    )
    session.flush()
