"""Command line: `python -m cop_app.manage seed`, `create-admin` and `reindex`."""

import argparse
import getpass
import sys

from sqlmodel import Session, create_engine

import cop_app.db  # noqa: F401 - SQLite pragmas
from cop_app.services import accounts, wiring
from cop_app.services.errors import DomainError


def _engine_url() -> str:
    from reflex_base.config import get_config

    url = get_config().db_url
    if not url:
        sys.exit("No database configured (db_url).")
    return url


def main(argv: list[str] | None = None) -> int:
    """Dispatch the sub-command."""
    parser = argparse.ArgumentParser(prog="python -m cop_app.manage")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("seed", help="load the demo data into an empty database (idempotent)")
    sub.add_parser("reindex", help="rebuild the search index from the content tables")
    admin = sub.add_parser("create-admin", help="create the first admin, or promote an account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Site admin")
    admin.add_argument("--password", help="omit to be prompted")
    args = parser.parse_args(argv)
    wiring.wire()
    engine = create_engine(_engine_url())
    with Session(engine) as session:
        if args.command == "seed":
            from cop_app.seed import seed

            created = seed(session)
            print("Demo data loaded." if created else "Demo data already present; nothing done.")
            return 0
        if args.command == "reindex":
            from cop_app.services.search import rebuild

            counts = rebuild(session)
            session.commit()
            print("Search index rebuilt: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
            return 0
        password = args.password or getpass.getpass("Password for the new admin: ")
        try:
            user = accounts.check_create_admin(session, args.email, args.name, password)
        except DomainError as err:
            print(f"Error: {err.message}", file=sys.stderr)
            return 2
        print(f"{user.email} is an admin.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
