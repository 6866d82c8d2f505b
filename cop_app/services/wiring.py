"""Where domains listen to each other, in one visible place: the app, the command line and
the test fixtures call `wire()` before any service runs, so no service imports another
domain behind the caller's back."""

from cop_app.services import events, mentorship
from cop_app.services.search import index as search_index


def wire() -> None:
    """Connect every in-transaction listener (idempotent)."""
    # Practice-linked mentee goals are met by real participation: they see each event.
    events.on_record(mentorship.check_requirements)
    # The search index is rewritten in the transaction of every write that shows in it.
    search_index.install()
    # A mentee's stage banner on an open board follows what they do in the community.
    events.on_record(mentorship.announce_stage_changes)
