"""Deterministic demo data: real CoP settings, 32 people across departments.

Loaded only into an empty database, so running the app again never duplicates it.
Later features extend `seed` with their own demo rows.
"""

from datetime import datetime, timedelta

from sqlmodel import Session, select

from cop_app.models import Community, User
from cop_app.models.base import utcnow
from cop_app.seed_discussions import seed_discussions
from cop_app.seed_library import seed_library
from cop_app.seed_mentorship import seed_mentorship
from cop_app.services import accounts, communities
from cop_app.services import users as users_service
from cop_app.services.access import membership_of
from cop_app.services.passwords import hash_password

DEMO_PASSWORD = "practice-makes-progress"

# (email local part, name, role, organisation, expertise)
PEOPLE: list[tuple[str, str, str, str, str]] = [
    ("amara.okafor", "Amara Okafor", "admin", "Platform team", "facilitation community-management"),
    (
        "daniel.reyes",
        "Daniel Reyes",
        "admin",
        "Knowledge management office",
        "knowledge-management analytics",
    ),
    (
        "helen.carter",
        "Dr Helen Carter",
        "mentor",
        "St Mary's Hospital · Surgery",
        "laparoscopy surgical-safety suturing",
    ),
    (
        "joseph.mensah",
        "Joseph Mensah",
        "mentor",
        "St Mary's Hospital · Theatre nursing",
        "perioperative-nursing sterile-technique checklists",
    ),
    (
        "priya.natarajan",
        "Priya Natarajan",
        "member",
        "St Mary's Hospital · Surgery",
        "laparoscopy training",
    ),
    (
        "liam.byrne",
        "Liam Byrne",
        "member",
        "St Mary's Hospital · Theatre nursing",
        "perioperative-nursing",
    ),
    (
        "sofia.lindqvist",
        "Sofia Lindqvist",
        "member",
        "Northgate Clinic · Day surgery",
        "day-surgery patient-flow",
    ),
    (
        "tomasz.nowak",
        "Tomasz Nowak",
        "member",
        "St Mary's Hospital · Anaesthesia",
        "anaesthesia airway",
    ),
    (
        "grace.adeyemi",
        "Grace Adeyemi",
        "member",
        "St Mary's Hospital · Surgery",
        "suturing wound-care",
    ),
    (
        "marta.silva",
        "Marta Silva",
        "mentor",
        "Riverside High School · Science",
        "inquiry-based-learning physics assessment",
    ),
    (
        "kwame.asante",
        "Kwame Asante",
        "member",
        "Riverside High School · Science",
        "chemistry lab-safety",
    ),
    (
        "emily.chen",
        "Emily Chen",
        "member",
        "Hillview Academy · Science",
        "biology inquiry-based-learning",
    ),
    (
        "oliver.schmidt",
        "Oliver Schmidt",
        "member",
        "Hillview Academy · Science",
        "physics demonstrations",
    ),
    (
        "fatima.rahman",
        "Fatima Rahman",
        "member",
        "District education office",
        "curriculum assessment",
    ),
    (
        "noah.williams",
        "Noah Williams",
        "member",
        "Riverside High School · Science",
        "earth-science fieldwork",
    ),
    (
        "chloe.martin",
        "Chloe Martin",
        "member",
        "Hillview Academy · Science",
        "chemistry differentiation",
    ),
    (
        "ravi.iyer",
        "Ravi Iyer",
        "mentor",
        "Payments platform · Engineering",
        "python code-review testing architecture",
    ),
    (
        "hannah.kowalski",
        "Hannah Kowalski",
        "member",
        "Payments platform · Engineering",
        "python testing",
    ),
    ("mateo.garcia", "Mateo García", "member", "Mobile apps · Engineering", "kotlin ci-cd"),
    (
        "yuki.tanaka",
        "Yuki Tanaka",
        "member",
        "Data platform · Engineering",
        "postgresql data-modelling",
    ),
    (
        "ben.oconnell",
        "Ben O'Connell",
        "member",
        "Payments platform · SRE",
        "observability incident-response",
    ),
    ("aisha.bello", "Aisha Bello", "member", "Mobile apps · Engineering", "accessibility frontend"),
    (
        "lucas.moreau",
        "Lucas Moreau",
        "member",
        "Data platform · Engineering",
        "python data-pipelines",
    ),
    (
        "nadia.haddad",
        "Dr Nadia Haddad",
        "mentor",
        "Regional public health agency",
        "epidemiology outbreak-response surveillance",
    ),
    (
        "samuel.osei",
        "Samuel Osei",
        "member",
        "City health department",
        "vaccination community-outreach",
    ),
    (
        "ingrid.larsen",
        "Ingrid Larsen",
        "member",
        "Regional public health agency",
        "surveillance data-analysis",
    ),
    (
        "carlos.mendes",
        "Carlos Mendes",
        "member",
        "Environmental health service",
        "water-quality risk-assessment",
    ),
    ("mei.wong", "Mei Wong", "member", "City health department", "health-promotion communication"),
    (
        "peter.novak",
        "Peter Novák",
        "member",
        "Hospital infection control",
        "infection-control outbreak-response",
    ),
    (
        "zainab.yusuf",
        "Zainab Yusuf",
        "member",
        "Regional public health agency",
        "epidemiology statistics",
    ),
    ("ethan.brooks", "Ethan Brooks", "member", "Riverside High School · Science", "physics"),
    (
        "lena.fischer",
        "Lena Fischer",
        "member",
        "Payments platform · Engineering",
        "code-review security",
    ),
]

# (slug, name, kind, visibility, domain, description, tags, stewards, members)
COMMUNITIES: list[tuple[str, str, str, str, str, str, str, list[str], list[str]]] = [
    (
        "surgical-technique-exchange",
        "Surgical Technique Exchange",
        "cop",
        "approval",
        "Surgeons and theatre nurses refining operative technique and theatre safety together.",
        "We share video-reviewed techniques, checklists that worked, and near-miss stories, "
        "so every team in theatre learns from each other's practice.",
        "surgery nursing patient-safety laparoscopy",
        ["helen.carter", "joseph.mensah"],
        [
            "priya.natarajan",
            "liam.byrne",
            "sofia.lindqvist",
            "tomasz.nowak",
            "grace.adeyemi",
            "peter.novak",
        ],
    ),
    (
        "science-teaching-circle",
        "Science Teaching Circle",
        "cop",
        "open",
        "Secondary science teachers designing inquiry lessons, practicals and fair assessment.",
        "Bring a lesson that flopped or flew. We co-design practicals, share rubrics and "
        "observe each other's classes across schools.",
        "education science inquiry assessment",
        ["marta.silva"],
        [
            "kwame.asante",
            "emily.chen",
            "oliver.schmidt",
            "fatima.rahman",
            "noah.williams",
            "chloe.martin",
            "ethan.brooks",
        ],
    ),
    (
        "engineering-craft",
        "Engineering Craft Guild",
        "cop",
        "open",
        "Engineers improving how we review, test and ship software across product teams.",
        "Code review norms, testing strategy, incident learning and architecture decisions, "
        "written down so new teammates ramp up faster.",
        "software testing code-review architecture",
        ["ravi.iyer"],
        [
            "hannah.kowalski",
            "mateo.garcia",
            "yuki.tanaka",
            "ben.oconnell",
            "aisha.bello",
            "lucas.moreau",
            "lena.fischer",
            "daniel.reyes",
        ],
    ),
    (
        "cross-agency-outbreak-network",
        "Cross-Agency Outbreak Network",
        "cop",
        "approval",
        "Public-health officers from several agencies coordinating outbreak detection and response.",
        "Surveillance signals, field investigation playbooks and after-action reviews, "
        "shared across city, regional and hospital teams.",
        "public-health epidemiology surveillance outbreak",
        ["nadia.haddad"],
        [
            "samuel.osei",
            "ingrid.larsen",
            "carlos.mendes",
            "mei.wong",
            "peter.novak",
            "zainab.yusuf",
        ],
    ),
    (
        "health-data-interest",
        "Health Data & Analytics",
        "coi",
        "open",
        "Anyone curious about using health data well: dashboards, statistics and privacy.",
        "A Community of Interest: a place to follow the topic, ask beginner questions and "
        "find a mentor before joining a practice.",
        "data analytics statistics privacy",
        ["daniel.reyes"],
        [
            "zainab.yusuf",
            "ingrid.larsen",
            "yuki.tanaka",
            "fatima.rahman",
            "lucas.moreau",
            "mei.wong",
        ],
    ),
]


def email_of(local: str) -> str:
    """Demo emails live under example.org."""
    return f"{local}@example.org"


# Why the first admin gave each demo admin and mentor their site role (the audit log says so).
ROLE_REASONS = {
    "admin": "Second site admin, covering moderation across time zones",
    "mentor": "Joined the mentor programme after the induction session",
}


def _appoint_site_roles(
    session: Session, users: dict[str, User], founder_admin: str, when: datetime
) -> None:
    """Everyone starts as a member; the first admin then appoints the others through the
    audited verb, so the demo's audit log holds the history its roles imply."""
    admin = users[founder_admin]
    for i, (local, _name, role, _org, _expertise) in enumerate(PEOPLE):
        if role != "member" and local != founder_admin:
            users_service.do_set_role(
                session,
                admin,
                users[local],
                role,
                ROLE_REASONS[role],
                now=when + timedelta(hours=i),
            )


def seed(session: Session) -> bool:
    """Load the demo into an empty database; returns False when people already exist.
    Every row is written by the services' do_ functions, dated in the past."""
    if session.exec(select(User.id)).first() is not None:
        return False
    shared_hash = hash_password(DEMO_PASSWORD)
    start = utcnow() - timedelta(days=120)
    users: dict[str, User] = {}
    founder_admin = PEOPLE[0][0]
    for i, (local, name, role, org, expertise) in enumerate(PEOPLE):
        users[local] = accounts.do_create_user(
            session,
            email_of(local),
            name,
            shared_hash,
            now=start + timedelta(days=i),
            role=role if local == founder_admin else "member",
            handle=local.replace(".", "-"),
            organisation=org,
            expertise=expertise,
            bio=f"{name.split()[-1]} works in {org.split(' · ')[-1].lower()}.",
        )
    _appoint_site_roles(session, users, founder_admin, start + timedelta(days=len(PEOPLE)))
    for j, (slug, name, kind, vis, domain, desc, tags, stewards, members) in enumerate(COMMUNITIES):
        created = start + timedelta(days=35 + j)
        founder = users[stewards[0]]
        data = communities.clean_input(name, kind, domain, desc, tags, vis)
        community = communities.do_create_community(session, founder, data, now=created, slug=slug)
        for k, local in enumerate(stewards[1:] + members, start=1):
            joined = created + timedelta(days=k)
            communities.do_join(session, community, users[local], status="active", now=joined)
            if local in stewards:
                communities.do_set_member_role(
                    session,
                    community,
                    founder,
                    membership_of(session, community.id, users[local].id),
                    "steward",
                    now=joined,
                )
    # One request waiting for a steward, so the approval flow is visible.
    waiting = session.exec(select(Community).where(Community.slug == COMMUNITIES[0][0])).one()
    communities.do_join(
        session, waiting, users["emily.chen"], status="pending", now=utcnow() - timedelta(days=1)
    )
    # Member counts were kept in SQL; read the communities again before the next seeds.
    session.flush()
    session.expire_all()
    seed_discussions(session)
    seed_library(session)
    seed_mentorship(session)
    session.commit()
    return True
