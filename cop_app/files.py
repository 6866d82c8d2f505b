"""The backend route serving library attachments (mounted before Reflex's own routes).

A download link carries a short-lived token signed by the server, minted by a handler for a
reader who may see the resource (services/library/attachments.py). The route checks the
token and the reader's access again, then sends the bytes as an attachment, typed by what
the upload's content was found to be, never sniffed by the browser. Tokens rather than the
session id: the session id lives in the browser's localStorage, so a plain link cannot carry
it, and a token names one file and one reader for a few minutes only."""

from urllib.parse import quote

import reflex as rx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from cop_app import routes
from cop_app.services import library
from cop_app.services.errors import NotFound


def download(request: Request) -> Response:
    """GET /_files?t=TOKEN: the file, or 404 whatever was wrong (an outsider learns nothing).
    A sync endpoint: Starlette runs it in a worker thread, off the event loop."""
    try:
        with rx.session() as session:
            got = library.open_download(session, request.query_params.get("t", ""))
    except NotFound as err:
        return PlainTextResponse(err.message, status_code=404)
    ascii_name = got.filename.encode("ascii", "replace").decode().replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(got.filename)}"
    return Response(
        got.data,
        media_type=got.content_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


app = Starlette(routes=[Route(routes.DOWNLOAD, download, methods=["GET"])])
