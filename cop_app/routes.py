"""The one place a path is spelled: the patterns pages register with, and the links to them.

Pages register with the patterns; services, notifications, seeds, states and tests link to a
page without parts by its pattern (`routes.LIBRARY`) and to one with parts through its `*_url`
function, so a stored link cannot point at a page that does not exist. The functions also take
Reflex vars (an f-string of a var becomes a string var in the frontend).
"""

from typing import Any

HOME = "/"
SIGNIN = "/signin"
SIGNUP = "/signup"
FORGOT = "/forgot"
RESET = "/reset"
NOT_FOUND = "404"
COMMUNITIES = "/communities"
NEW_COMMUNITY = "/communities/new"
COMMUNITY = "/c/[slug]"
COMMUNITY_SETTINGS = "/c/[slug]/settings"
NEW_THREAD = "/c/[slug]/new"
THREAD = "/c/[slug]/t/[id]"
MENTORSHIP = "/mentorship"
BOARD = "/mentorship/boards/[id]"
PROFILE = "/u/[id]"
SETTINGS = "/settings"
LIBRARY = "/library"
COMMUNITY_LIBRARY = "/c/[slug]/library"
NEW_RESOURCE = "/c/[slug]/library/new"
RESOURCE = "/r/[id]"
RESOURCE_HISTORY = "/r/[id]/history"
# Not a page: the backend route serving attachments.
DOWNLOAD = "/_files"
SEARCH = "/search"
EXPERTS = "/experts"
ADMIN_ACTIVITY = "/admin/activity"
ADMIN_MODERATION = "/admin/moderation"
ADMIN_USERS = "/admin/users"
ADMIN_AUDIT = "/admin/audit"
ADMIN_IMPACT = "/admin/impact"

# A slug or id as Python values or Reflex vars: both format into the path.
Part = Any


def _fill(pattern: str, **parts: Part) -> str:
    """`pattern` with each `[name]` replaced by its part (`format` keeps a Reflex var a var)."""
    for name, value in parts.items():
        pattern = pattern.replace(f"[{name}]", format(value))
    return pattern


def signin_url(next_path: str | None = None) -> str:
    """The sign-in page, coming back to `next_path` (already URL-quoted) afterwards."""
    return SIGNIN if next_path is None else f"{SIGNIN}?next={next_path}"


def reset_url(token: str) -> str:
    """The page a reset link opens (the token is URL-safe base64)."""
    return f"{RESET}?token={token}"


def community_url(slug: Part) -> str:
    """A community's page."""
    return _fill(COMMUNITY, slug=slug)


def community_settings_url(slug: Part) -> str:
    """A community's settings, for its stewards."""
    return _fill(COMMUNITY_SETTINGS, slug=slug)


def new_thread_url(slug: Part) -> str:
    """The form that starts a thread in a community."""
    return _fill(NEW_THREAD, slug=slug)


def thread_url(slug: Part, thread_id: Part, post_number: Part | None = None) -> str:
    """A thread, scrolled to one post when `post_number` is given."""
    anchor = "" if post_number is None else f"#post-{post_number}"
    return _fill(THREAD, slug=slug, id=thread_id) + anchor


def board_url(mentorship_id: Part) -> str:
    """One pair's board."""
    return _fill(BOARD, id=mentorship_id)


def profile_url(user_id: Part) -> str:
    """A person's profile."""
    return _fill(PROFILE, id=user_id)


def community_library_url(slug: Part) -> str:
    """One community's library."""
    return _fill(COMMUNITY_LIBRARY, slug=slug)


def new_resource_url(slug: Part) -> str:
    """The form that adds a resource to a community's library."""
    return _fill(NEW_RESOURCE, slug=slug)


def resource_url(resource_id: Part) -> str:
    """A resource of the library."""
    return _fill(RESOURCE, id=resource_id)


def resource_history_url(resource_id: Part) -> str:
    """A resource's revisions, with a diff between any two."""
    return _fill(RESOURCE_HISTORY, id=resource_id)


def download_url(token: str) -> str:
    """An attachment's download on the backend (a signed token names the file and reader)."""
    return f"{DOWNLOAD}?t={token}"


def search_url(query: Part = "", **filters: Part) -> str:
    """The full search results for `query` (already URL-quoted, or a Reflex var)."""
    extra = "".join(f"&{name}={value}" for name, value in filters.items())
    return f"{SEARCH}?q={query}{extra}"


def experts_url(topic: Part) -> str:
    """The expert finder: who knows `topic` (a tag, or a var holding one)."""
    return f"{EXPERTS}?topic={topic}"


def admin_url(tool: str) -> str:
    """One admin tool: activity, moderation, users, audit or impact."""
    path = f"/admin/{tool}"
    if path not in (ADMIN_ACTIVITY, ADMIN_MODERATION, ADMIN_USERS, ADMIN_AUDIT, ADMIN_IMPACT):
        msg = f"No admin tool {tool!r}."
        raise ValueError(msg)
    return path
