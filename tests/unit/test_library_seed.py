"""The demo library: every demo community gets a believable library written through the
library's own write functions."""

from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from cop_app.models import (
    Attachment,
    Community,
    Endorsement,
    Resource,
    ResourceCredit,
    ResourceRevision,
    Reuse,
)
from cop_app.services import library
from cop_app.services.library import storage


def test_every_demo_community_gets_a_library(session: Session, tmp_path: Path) -> None:
    from cop_app.seed import seed

    storage.use(storage.LocalStore(tmp_path / "uploads"))
    try:
        assert seed(session) is True
        due = library.review_due()
        for community in session.exec(select(Community)).all():
            resources = session.exec(
                select(Resource).where(Resource.community_id == community.id).order_by(Resource.id)
            ).all()
            ids = [r.id for r in resources]
            assert len(resources) >= 6, community.slug
            assert len({r.kind for r in resources}) >= 4
            assert all(r.revision >= 2 for r in resources if not r.source_thread_id)
            edited = session.exec(
                select(ResourceRevision).where(
                    ResourceRevision.resource_id == ids[0], ResourceRevision.number == 2
                )
            ).one()
            first = session.exec(
                select(ResourceRevision).where(
                    ResourceRevision.resource_id == ids[0], ResourceRevision.number == 1
                )
            ).one()
            assert edited.body != first.body and edited.note
            assert any(r.reviewed_at < due for r in resources)
            assert any(r.source_thread_id for r in resources)
            promoted = next(r for r in resources if r.source_thread_id)
            assert session.exec(
                select(ResourceCredit).where(ResourceCredit.resource_id == promoted.id)
            ).all()
            assert (
                sum(r.endorse_count for r in resources)
                == session.exec(
                    select(func.count())
                    .select_from(Endorsement)
                    .where(Endorsement.resource_id.in_(ids))
                ).one()
            )
            outcomes = session.exec(
                select(Reuse.outcome).where(Reuse.resource_id.in_(ids), Reuse.outcome != "")
            ).all()
            assert outcomes
            files = session.exec(select(Attachment).where(Attachment.resource_id.in_(ids))).all()
            assert len(files) == 1
            assert storage.store().open(files[0].key).startswith(b"\x89PNG")
            assert library.detect_type(storage.store().open(files[0].key)) == "image/png"
    finally:
        storage.use(None)
