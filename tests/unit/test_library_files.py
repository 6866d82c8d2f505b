"""Library attachments: names that cannot escape the folder, types by content, size and count
limits, storage behind its interface, and downloads only for people who may see the resource."""

import struct
import time
import zlib
from pathlib import Path

import pytest
from sqlmodel import Session, select

from cop_app.models import Attachment
from cop_app.services import library, settings
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.services.library import storage
from tests.factories import make_community, make_user, row_counts


def png_bytes() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def store(tmp_path: Path):
    local = storage.LocalStore(tmp_path / "uploads")
    storage.use(local)
    yield local
    storage.use(None)


@pytest.fixture
def world(session: Session) -> dict:
    steward = make_user(session)
    author = make_user(session)
    outsider = make_user(session)
    closed = make_community(
        session, steward, "Closed Files", visibility="approval", members=[author]
    )
    data = library.clean_resource_input(
        "template", "A form to copy", "Print it and fill it in.", "See the file.", "", ""
    )
    resource = library.check_create_resource(session, author, closed.id, data)
    return {"author": author, "outsider": outsider, "steward": steward, "resource": resource}


@pytest.mark.parametrize(
    "name",
    [
        "../../x",
        "..",
        "",
        "a" * 300,
        "/etc/passwd",
        "..\\..\\win",
        "név\u202ekcod.png",
        "<script>.png",
    ],
)
def test_any_name_is_stored_under_a_generated_key(
    session: Session, world: dict, store: storage.LocalStore, name: str
) -> None:
    row = library.check_attach(session, world["author"], world["resource"].id, name, png_bytes())
    assert row.filename.endswith(".png") and "/" not in row.filename and "\\" not in row.filename
    assert not row.filename.startswith(".") and len(row.filename) <= settings.ATTACHMENT_NAME_MAX
    assert "\u202e" not in row.filename and "<" not in row.filename
    files = [p for p in store.root.rglob("*") if p.is_file()]
    assert [p.name for p in files] == [row.key]
    assert all(store.root in p.parents for p in files)


def test_type_comes_from_content_not_name(session: Session, world: dict, store) -> None:
    rid = world["resource"].id
    before = row_counts(session)
    for name, data in [
        ("notes.pdf", b"just some text"),
        ("x.png", b"MZ\x90\x00" + b"\0" * 64),
        ("page.pdf", b"<html><script>alert(1)</script></html>"),
    ]:
        with pytest.raises(Invalid) as err:
            library.check_attach(session, world["author"], rid, name, data)
        assert err.value.field == "file"
    assert row_counts(session) == before
    assert not any(p.is_file() for p in store.root.rglob("*")) if store.root.exists() else True
    row = library.check_attach(session, world["author"], rid, "scan.png", PDF)
    assert (row.content_type, row.filename) == ("application/pdf", "scan.pdf")


def test_size_empty_and_count_limits(session: Session, world: dict, store, monkeypatch) -> None:
    rid = world["resource"].id
    with pytest.raises(Invalid, match="empty"):
        library.check_attach(session, world["author"], rid, "a.png", b"")
    monkeypatch.setattr(settings, "ATTACHMENT_MAX_BYTES", 100)
    with pytest.raises(Invalid, match="at most"):
        library.check_attach(session, world["author"], rid, "big.pdf", PDF + b" " * 100)
    monkeypatch.setattr(settings, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
    for i in range(settings.ATTACHMENTS_PER_RESOURCE):
        library.check_attach(session, world["author"], rid, f"f{i}.pdf", PDF)
    with pytest.raises(Invalid, match="at most 5 files"):
        library.check_attach(session, world["author"], rid, "six.pdf", PDF)
    assert len(session.exec(select(Attachment)).all()) == 5


def test_only_editors_attach(session: Session, world: dict, store) -> None:
    with pytest.raises(NotFound):
        library.check_attach(session, world["outsider"], world["resource"].id, "a.pdf", PDF)
    with pytest.raises(Forbidden):
        library.check_attach(session, None, world["resource"].id, "a.pdf", PDF)


def test_download_tokens_serve_readers_only(session: Session, world: dict, store) -> None:
    row = library.check_attach(session, world["author"], world["resource"].id, "form.pdf", PDF)
    token = library.mint_download(session, world["author"], row.id)
    got = library.open_download(session, token)
    assert (got.filename, got.content_type, got.data) == ("form.pdf", "application/pdf", PDF)
    with pytest.raises(NotFound):
        library.mint_download(session, world["outsider"], row.id)
    aid, uid, expires, sig = token.split(".")
    for forged in [
        f"{aid}.{world['outsider'].id}.{expires}.{sig}",
        f"{aid}.{uid}.{expires}.x",
        "",
        "1.2.3",
        None,
        "a.b.c.d",
    ]:
        with pytest.raises(NotFound):
            library.open_download(session, forged)


def test_download_token_expires_and_follows_access(
    session: Session, world: dict, store, monkeypatch
) -> None:
    from cop_app.models import Membership

    row = library.check_attach(session, world["author"], world["resource"].id, "form.pdf", PDF)
    token = library.mint_download(session, world["author"], row.id)
    membership = session.exec(
        select(Membership).where(Membership.user_id == world["author"].id)
    ).one()
    session.delete(membership)
    session.commit()
    with pytest.raises(NotFound):
        library.open_download(session, token)
    steward_token = library.mint_download(session, world["steward"], row.id)
    monkeypatch.setattr(time, "time", lambda: 10**11)
    with pytest.raises(NotFound):
        library.open_download(session, steward_token)


def test_local_store_refuses_keys_that_are_paths(store: storage.LocalStore) -> None:
    key = store.put(b"abc")
    assert store.open(key) == b"abc"
    for bad in ["../x", "..", "", "a" * 32, key + "/../x"]:
        with pytest.raises(KeyError):
            store.open(bad)
    store.delete(key)
    with pytest.raises(KeyError):
        store.open(key)


def test_the_download_route_serves_attachments_only_with_a_valid_token(
    session: Session, world: dict, store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient

    from cop_app import files, routes

    monkeypatch.setattr(files.rx, "session", lambda: Session(session.get_bind()))
    row = library.check_attach(session, world["author"], world["resource"].id, "plan <1>.pdf", PDF)
    token = library.mint_download(session, world["author"], row.id)
    client = TestClient(files.app)
    answer = client.get(routes.download_url(token))
    assert answer.status_code == 200 and answer.content == PDF
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith('attachment; filename="plan _1.pdf"')
    assert answer.headers["x-content-type-options"] == "nosniff"
    for bad in ("", "1", token[:-2] + "xx"):
        missing = client.get(routes.download_url(bad))
        assert missing.status_code == 404 and PDF not in missing.content
