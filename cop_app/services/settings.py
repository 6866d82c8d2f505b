"""Every limit of the product in one place, named and documented (Discourse-style)."""

from datetime import timedelta

# Passwords: length only, no composition rules (NIST 800-63B); common ones refused.
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128

# Sessions slide: each use pushes expiry to now + SESSION_LIFETIME.
SESSION_LIFETIME = timedelta(days=14)
# Writing last_seen on every event would turn reads into writes; refresh at most this often.
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)

# Sign-in throttling: after this many failures in the window, refuse until it passes.
LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
LOGIN_MAX_FAILURES_PER_CLIENT = 20
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
# Sign-ups from one client in the window (throttles scripted account creation).
SIGNUP_MAX_PER_CLIENT = 10
SIGNUP_WINDOW = timedelta(hours=1)

# Field lengths users see in messages.
DISPLAY_NAME_MAX = 80
BIO_MAX = 2000
ORGANISATION_MAX = 120
EXPERTISE_MAX_TAGS = 12
TAG_MAX_LENGTH = 30
COMMUNITY_NAME_MIN = 3
COMMUNITY_NAME_MAX = 80
COMMUNITY_DOMAIN_MIN = 10
COMMUNITY_DOMAIN_MAX = 500
COMMUNITY_DESCRIPTION_MAX = 5000
COMMUNITY_MAX_TAGS = 8

# List caps: a list var is re-sent whole on change, so every list is a page.
DIRECTORY_PAGE_SIZE = 30
MEMBERS_PAGE_SIZE = 50
USERS_PAGE_SIZE = 50

# Discussions (Discourse-like defaults). A "new member" is an account younger than this.
NEW_MEMBER_PERIOD = timedelta(days=1)
POST_MIN_INTERVAL = timedelta(seconds=5)
NEW_MEMBER_POST_MIN_INTERVAL = timedelta(seconds=30)
POSTS_PER_DAY = 200
NEW_MEMBER_POSTS_PER_DAY = 30
THREAD_MIN_INTERVAL = timedelta(seconds=15)
THREADS_PER_DAY = 20
NEW_MEMBER_THREADS_PER_DAY = 5
THREAD_TITLE_MIN = 5
THREAD_TITLE_MAX = 200
POST_BODY_MAX = 50_000
THREAD_MAX_TAGS = 5
THREADS_PAGE_SIZE = 25
POSTS_PAGE_SIZE = 30
# A live room keeps only this many recent posts; older pages come from the database.
ROOM_RECENT_POSTS = 20
NOTIFICATIONS_PAGE_SIZE = 20
MENTION_SUGGESTIONS = 8
HOME_LIST_SIZE = 10

# Moderation.
FLAG_REASONS = ("spam", "off-topic", "harmful", "other")
FLAGS_PER_DAY = 20
# An item flagged by this many distinct members is hidden until a moderator reviews it.
FLAG_AUTO_HIDE_COUNT = 3
MODERATION_PAGE_SIZE = 30
# The live activity feed keeps this many events in its room; older ones page from the DB.
ACTIVITY_ROOM_SIZE = 200
ACTIVITY_PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 50
# "Active now" means a session was used within this window.
ACTIVE_NOW_WINDOW = timedelta(minutes=5)
