"""The dashboard as shown: each measure becomes a Section (figures with the previous
period, a chart, a table, links), and a Section becomes its CSV from the same values, so
the export holds exactly the numbers on screen.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from cop_app.services.impact import measures
from cop_app.services.impact.period import Period
from cop_app.services.impact.scope import Scope


@dataclass
class Figure:
    """One headline number, the previous period's, and the change, as shown."""

    label: str
    value: str
    previous: str
    change: str


@dataclass(kw_only=True)
class Section:
    """One measure as the page shows it and the CSV exports it."""

    key: str
    title: str
    definition: str
    figures: list[Figure]
    chart: list[dict[str, Any]]  # {"label": ..., "a": number, "b": number}
    series_a: str
    series_b: str = ""  # a chart with one series leaves it empty
    columns: list[str]
    rows: list[list[str]]
    links: list[dict[str, str]] = field(default_factory=list)  # the unanswered threads


@dataclass
class Dashboard:
    """Every section one viewer may see, for one scope and period."""

    period: str
    sections: list[Section]


def _n(value: int) -> str:
    return str(value)


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def _hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} h"


def _delta(now: float | None, before: float | None, unit: str = "") -> str:
    if now is None or before is None:
        return "n/a"
    diff = now - before
    text = f"{diff:+.1f}" if unit else f"{int(diff):+d}"
    return text + unit


def _ratio(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _count(label: str, now: int, before: int) -> Figure:
    return Figure(label, _n(now), _n(before), _delta(now, before))


def _counts(cur: Any, old: Any, *named: tuple[str, str]) -> list[Figure]:
    """Count figures from (label, attribute) pairs of a measure's two periods."""
    return [_count(label, getattr(cur, name), getattr(old, name)) for label, name in named]


def _pct(label: str, p: int, w: int, bp: int, bw: int) -> Figure:
    return Figure(label, _share(p, w), _share(bp, bw), _delta(_ratio(p, w), _ratio(bp, bw), " pts"))


def _hrs(label: str, now: float | None, before: float | None) -> Figure:
    return Figure(label, _hours(now), _hours(before), _delta(now, before, " h"))


def _day(start: datetime, k: int, step: int = 1) -> str:
    return (start + timedelta(days=k * step)).strftime("%Y-%m-%d")


def _both(measure: Any, session: Session, scope: Scope, p: Period) -> tuple[Any, Any]:
    """A measure over the period and over the previous one of the same length."""
    return measure(session, scope, p.start, p.end), measure(session, scope, p.prev_start, p.start)


def _bars(pairs: Any) -> list[dict[str, Any]]:
    """A one-series chart from (label, number) pairs."""
    return [{"label": label, "a": n, "b": 0} for label, n in pairs]


def _weekly(start: datetime, a: list[int], b: list[int] | None = None) -> list[dict[str, Any]]:
    return [{"label": _day(start, k, 7), "a": a[k], "b": (b[k] if b else 0)} for k in range(len(a))]


def _activity(session: Session, scope: Scope, p: Period, now: datetime) -> Section:
    cur = measures.activity(session, scope, p.start, p.end, now)
    old = measures.activity(session, scope, p.prev_start, p.start, now, series=False)
    return Section(
        key="active",
        title="Active members",
        definition=(
            "Members who acted (posted, replied, reacted, endorsed, reused, published, accepted "
            "an answer or moved a card), not who only signed in, as a share of members."
        ),
        figures=[
            _count("Active members", cur.active, old.active),
            _pct("Share of members", cur.active, cur.members, old.active, old.members),
            _count("Members", cur.members, old.members),
        ],
        chart=_bars((_day(p.start, k), v) for k, v in enumerate(cur.per_day)),
        series_a="Active per day",
        columns=["Week starting", "Active members", "Share of members"],
        rows=[
            [_day(p.start, k, 7), _n(v), _share(v, cur.members)] for k, v in enumerate(cur.per_week)
        ],
    )


def _conversation(session: Session, scope: Scope, p: Period) -> Section:
    cur, old = _both(measures.conversation, session, scope, p)
    return Section(
        key="conversation",
        title="Conversation",
        definition="Visible threads and replies started in the period (hidden and deleted "
        "ones left out), and how many threads were questions.",
        figures=_counts(
            cur,
            old,
            ("Threads", "threads"),
            ("Replies", "replies"),
            ("Questions asked", "questions"),
        ),
        chart=_weekly(p.start, cur.threads_per_week, cur.replies_per_week),
        series_a="Threads",
        series_b="Replies",
        columns=["Week starting", "Threads", "Replies"],
        rows=[
            [_day(p.start, k, 7), _n(t), _n(r)]
            for k, (t, r) in enumerate(zip(cur.threads_per_week, cur.replies_per_week, strict=True))
        ],
    )


def _responsiveness(session: Session, scope: Scope, p: Period) -> Section:
    cur, old = _both(measures.responsiveness, session, scope, p)
    return Section(
        key="responsiveness",
        title="Responsiveness",
        definition="Hours from a thread's start to the first reply by someone else (median "
        "and 90th percentile, nearest rank); questions with an answer accepted within 48 hours.",
        figures=[
            _hrs("Median time to first reply", cur.median_hours, old.median_hours),
            _hrs("90th percentile", cur.p90_hours, old.p90_hours),
            _pct(
                "Questions accepted within 48 h",
                cur.accepted_in_time,
                cur.questions,
                old.accepted_in_time,
                old.questions,
            ),
            _count("Unanswered threads", cur.unanswered, old.unanswered),
        ],
        chart=[
            {"label": "Answered", "a": cur.answered, "b": old.answered},
            {"label": "Unanswered", "a": cur.unanswered, "b": old.unanswered},
        ],
        series_a="This period",
        series_b="Previous period",
        columns=["Unanswered thread", "Community", "Started"],
        rows=[
            [u.title, u.community, u.created_at.strftime("%Y-%m-%d %H:%M")]
            for u in cur.oldest_unanswered
        ],
        links=[
            {
                "title": u.title,
                "url": u.url,
                "detail": f"{u.community} · {u.created_at.strftime('%Y-%m-%d %H:%M')} UTC",
            }
            for u in cur.oldest_unanswered
        ],
    )


def _reuse(session: Session, scope: Scope, p: Period) -> Section:
    cur, old = _both(measures.reuse, session, scope, p)
    rows = [["Resource", title, _n(n)] for title, n in cur.top_resources]
    rows += [["Contributor", name, _n(n)] for name, n in cur.top_contributors]
    return Section(
        key="reuse",
        title="Knowledge reuse",
        definition='Resources published, "I used this" reuse events and endorsements in the '
        "period, answers promoted to the library; top resources and authors by reuse "
        "(an author reusing their own work does not count for them).",
        figures=_counts(
            cur,
            old,
            ("Resources created", "resources"),
            ("Reuse events", "reuses"),
            ("Endorsements", "endorsements"),
            ("Answers promoted", "promoted"),
        ),
        chart=_weekly(p.start, cur.reuses_per_week, cur.endorsements_per_week),
        series_a="Reuse events",
        series_b="Endorsements",
        columns=["Top", "Name", "Reuse events"],
        rows=rows,
    )


def _silos(session: Session, scope: Scope, p: Period, now: datetime) -> Section:
    cur = measures.silos(session, scope, p.start, p.end, now)
    old = measures.silos(session, scope, p.prev_start, p.start, now, cur.shared)
    return Section(
        key="silos",
        title="Silo-breaking",
        definition="Share of active members who acted in two or more communities; replies "
        "to someone of another organisation; members each pair of communities shares.",
        figures=[
            _pct("Active in 2+ communities", cur.multi, cur.active, old.multi, old.active),
            _count("Cross-organisation replies", cur.cross_org, old.cross_org),
            _pct("Share of replies", cur.cross_org, cur.replies, old.cross_org, old.replies),
        ],
        chart=_bars((f"{a} / {b}", n) for a, b, n in cur.shared[:8]),
        series_a="Shared members",
        columns=["Community", "Community", "Shared members"],
        rows=[[a, b, _n(n)] for a, b, n in cur.shared],
    )


def _growth(session: Session, scope: Scope, p: Period, now: datetime) -> Section:
    memo = measures.stage_memo(session, scope, [p.prev_start, p.start, p.end], now)
    cur = measures.growth(session, scope, p.start, p.end, now, memo)
    old = measures.growth(session, scope, p.prev_start, p.start, now, memo)
    totals = [sum(c[i] for _, c in cur.funnel) for i in range(5)]
    names = ["Reader", "Asker", "Contributor", "Practitioner", "Mentor"]
    return Section(
        key="growth",
        title="Growth path",
        definition="Members per participation stage at the period's end; members whose "
        "stage rose in it (joining alone does not count); CoI members active in a CoP for the "
        "first time in a year.",
        figures=_counts(
            cur,
            old,
            ("Moved up a stage", "moved_up"),
            ("CoI members newly active in a CoP", "coi_to_cop"),
        ),
        chart=_bars(zip(names, totals, strict=True)),
        series_a="Members",
        columns=["Community", *names],
        rows=[[name, *(_n(v) for v in counts)] for name, counts in cur.funnel],
    )


def _mentoring(session: Session, scope: Scope, p: Period) -> Section:
    cur, old = _both(measures.mentoring, session, scope, p)
    return Section(
        key="mentorship",
        title="Mentorship",
        definition="Pairs running in the period; practice-linked goals met (by their "
        "evidence); active pairs quiet for two weeks; median hours from request to acceptance.",
        figures=[
            *_counts(
                cur,
                old,
                ("Active pairs", "active_pairs"),
                ("Goals met", "goals_met"),
                ("Pairs needing a check-in", "needs_checkin"),
            ),
            _hrs("Median request to acceptance", cur.median_accept_hours, old.median_accept_hours),
        ],
        chart=_bars(cur.goals_by_artifact),
        series_a="Goals met",
        columns=["Evidence", "Goals met"],
        rows=[[k, _n(n)] for k, n in cur.goals_by_artifact],
    )


def _retention(session: Session, scope: Scope, p: Period, now: datetime) -> Section:
    cur = measures.retention(session, scope, p.start, p.end, now)
    span = len(cur.cohorts[0][2]) if cur.cohorts else 0
    first_week = _bars((joined.strftime("%Y-%m-%d"), size) for joined, size, _ in cur.cohorts)
    return Section(
        key="retention",
        title="Retention",
        definition="Members by the week they joined; for each later week, the share of "
        "them who acted (week 0 is the joining week).",
        figures=[_count("Members who joined", sum(s for _, s, _ in cur.cohorts), 0)],
        chart=first_week,
        series_a="Joined",
        columns=["Joined in week", "Members", *(f"Week {k}" for k in range(span))],
        rows=[
            [
                joined.strftime("%Y-%m-%d"),
                _n(size),
                *("" if s is None else f"{100 * s:.0f}%" for s in shares),
            ]
            for joined, size, shares in cur.cohorts
        ],
    )


def compute(session: Session, scope: Scope, p: Period, now: datetime) -> Dashboard:
    """Every section of the scope's dashboard (a mentor's view: mentorship only)."""
    if scope.mentor_only:
        return Dashboard(p.label, [_mentoring(session, scope, p)])
    return Dashboard(
        p.label,
        [
            _activity(session, scope, p, now),
            _conversation(session, scope, p),
            _responsiveness(session, scope, p),
            _reuse(session, scope, p),
            _silos(session, scope, p, now),
            _growth(session, scope, p, now),
            _mentoring(session, scope, p),
            _retention(session, scope, p, now),
        ],
    )


def to_csv(section: Section, period: str) -> str:
    """One section as CSV: its figures (now, before, change), then its table, as shown."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([section.title, period])
    w.writerow(["Figure", "This period", "Previous period", "Change"])
    for f in section.figures:
        w.writerow([f.label, f.value, f.previous, f.change])
    if section.columns:
        w.writerow([])
        w.writerow(section.columns)
        w.writerows(section.rows)
    return out.getvalue()
