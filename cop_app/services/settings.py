"""Every limit of the product in one place, named and documented (Discourse-style)."""

from datetime import timedelta

# Passwords: length only, no composition rules (NIST 800-63B); common ones refused.
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128

# Sessions slide: each use pushes expiry to now + SESSION_LIFETIME.
SESSION_LIFETIME = timedelta(days=14)
# Writing last_seen on every event would turn reads into writes; refresh at most this often.
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)

# Secrets handed to a browser (session ids, reset links): this many random bytes (256 bits).
TOKEN_BYTES = 32
# A token arriving from a browser outside these lengths is refused before any lookup.
TOKEN_TEXT_MIN, TOKEN_TEXT_MAX = 20, 100
# A client identity (an address, or a key the browser keeps) is stored cut to this length.
CLIENT_ID_MAX = 64

# Sign-in throttling. Failed sign-ins and wrong current passwords (password change) count.
# A client with this many failures in the window is refused on every account until it passes.
LOGIN_MAX_FAILURES_PER_CLIENT = 20
# An account with this many failures in the window is "under attack": every client that failed
# on it in the window is refused, even with the right password, while a client that has not
# failed on it may still sign in (one wrong guess and it is refused too). So nobody can lock
# someone else out by guessing wrong, and each attacking client gets at most this many guesses.
LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
# Successful sign-ins in the window: each opens a session row. Per account and client, a
# script cannot mint sessions in a loop (a person signs in a few times a day); per client,
# a list of stolen passwords cannot either, while an office behind one address still fits.
LOGIN_MAX_SUCCESSES_PER_ACCOUNT_AND_CLIENT = 10
LOGIN_MAX_SUCCESSES_PER_CLIENT = 60
LOGIN_SUCCESS_WINDOW = timedelta(minutes=10)
# Sign-ups from one client (network address) in the window: throttles scripted account
# creation, while a whole ward, school or office behind one shared address can still sign up
# on the same morning (10 refused the eleventh colleague for an hour).
SIGNUP_MAX_PER_CLIENT = 100
SIGNUP_WINDOW = timedelta(hours=1)

# Writes without a natural cap, per person per window: enough for any real editing session,
# few enough that a script cannot flood the activity feed and the audit log.
PROFILE_SAVES_PER_WINDOW = 20
COMMUNITY_EDITS_PER_WINDOW = 20
WRITE_LIMIT_WINDOW = timedelta(hours=1)

# Logs of refused browser events and handler errors: at most this many lines per kind per
# window, then one line with the count dropped (a hostile client cannot flood the log).
EVENT_LOG_LINES_PER_WINDOW = 10
EVENT_LOG_WINDOW = timedelta(minutes=1)
# Events one tab may send: a bucket of TAB_EVENT_BURST refilled at TAB_EVENTS_PER_SECOND.
# A person typing, clicking or scrolling stays far below; a script sending without waiting
# for replies (which slowed Reflex's queue ~2.5x for everyone) is refused, told at most once
# per TAB_FLOOD_NOTICE_SECONDS.
TAB_EVENTS_PER_SECOND = 30.0
TAB_EVENT_BURST = 100
TAB_FLOOD_NOTICE_SECONDS = 5.0

# Field lengths users see in messages.
EMAIL_MAX = 254  # RFC 5321's longest forward path
DISPLAY_NAME_MIN, DISPLAY_NAME_MAX = 2, 80
# An @handle is made from the display name, cut to this length before its number.
HANDLE_BASE_MAX = 30
# Search boxes (directory, users): longer text finds nothing a shorter one would not.
SEARCH_QUERY_MAX = 100
BIO_MAX = 2000
ORGANISATION_MAX = 120
EXPERTISE_MAX_TAGS = 12
TAG_MAX_LENGTH = 30
COMMUNITY_NAME_MIN, COMMUNITY_NAME_MAX = 3, 80
COMMUNITY_DOMAIN_MIN, COMMUNITY_DOMAIN_MAX = 10, 500
COMMUNITY_DESCRIPTION_MAX = 5000
COMMUNITY_MAX_TAGS = 8
# A community's address is made from its name, cut to this length before its number; a
# slug longer than COMMUNITY_SLUG_MAX cannot exist and is refused unread.
COMMUNITY_SLUG_BASE_MAX = 50
COMMUNITY_SLUG_MAX = 60
# A member list shows this many expertise tags per person (the profile shows them all).
MEMBER_EXPERTISE_SHOWN = 3

# Text a state keeps as it is typed, for inputs whose service limit is not one length: a tag
# list (the service counts the tags and their lengths), a search box, the audit log's action
# filter, a date (YYYY-MM-DD). Texts with a length limit keep one character more than it, so
# the service, not the state, says the text is too long (states/base.py: typed).
TAGS_INPUT_MAX = 300
AUDIT_ACTION_FILTER_MAX = 40
DATE_INPUT_MAX = 10

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
THREAD_TITLE_MIN, THREAD_TITLE_MAX = 5, 200
POST_BODY_MAX = 50_000
THREAD_MAX_TAGS = 5
THREADS_PAGE_SIZE = 25
POSTS_PAGE_SIZE = 30
# A live room keeps only this many recent posts; older pages come from the database.
ROOM_RECENT_POSTS = 20
# A tab holding live rooms is found by access changes for this long after it last linked
# one (a page open or a reconnect links again); a member keeps at most this many tabs.
LIVE_TAB_SECONDS = 24 * 3600
LIVE_TABS_PER_MEMBER = 200
NOTIFICATIONS_PAGE_SIZE = 20
# Characters of the accepted answer's excerpt under a question (the answer is in full in place).
ACCEPTED_EXCERPT_CHARS = 240
# The bell reads this many pages of rows to fold several of one kind on one thread into a line.
NOTIFICATIONS_GROUP_READ_FACTOR = 3
MENTION_SUGGESTIONS = 8
# Mention suggestions match a prefix of a handle or name: longer text is no prefix anyone has.
MENTION_PREFIX_MAX = 40
HOME_LIST_SIZE = 10
# Home shows the member's open mentorships, up to this many (the rest: /mentorship).
HOME_MENTORSHIPS = 6
# A quote brings the start of a post into a reply, up to this many characters: enough for
# the point it answers, short enough that the reply stays the reply.
QUOTE_MAX = 2000

# One post notifies at most this many mentioned members (beyond it, a post is a broadcast).
MENTIONS_PER_POST = 20
# An "edited" marker opens at most this many earlier versions, newest first.
POST_REVISIONS_SHOWN = 50
# "Who reacted" lists at most this many names per post (a popular post stays one small list).
REACTORS_SHOWN = 200
# Read marks asked for beside a shared thread list: two pages' worth covers the visible rows.
READ_MARKS_MAX = THREADS_PAGE_SIZE * 2

# Drafts (replies, threads, cards) are kept in the browser until posted. Each carries an
# idempotency key (url-safe, this long) so a Post retried after a lost reply creates nothing new.
CLIENT_KEY_MIN_LENGTH = 22
CLIENT_KEY_MAX_LENGTH = 64
# The browser keeps at most this many drafts (the oldest goes first), each field cut to the
# longest text it may hold, and the whole store under this many characters: it is re-sent on
# every reconnect, inside Socket.IO's connect packet.
DRAFTS_KEPT = 20
DRAFT_STORE_MAX_CHARS = 200_000

# Moderation.
FLAG_REASONS = ("spam", "off-topic", "harmful", "other")
FLAGS_PER_DAY = 20
FLAGS_WINDOW = timedelta(days=1)
# A reporter's note and a moderator's reason: a few sentences, enough to explain.
FLAG_NOTE_MAX = 500
MODERATION_REASON_MAX = 500
# An item flagged by this many distinct members with standing is hidden until a moderator
# reviews it.
FLAG_AUTO_HIDE_COUNT = 3
# Standing: only flags from people with a track record in the item's community count towards
# auto-hide, so a handful of throw-away accounts cannot hide anyone's post. A reporter has it
# when they are an active member whose account is at least this old and who reached at least
# this participation stage there (contributor: a reply others reacted to or accepted). Admins
# and the community's stewards always have it (they may hide directly anyway). Flags without
# standing are still recorded and reach the moderation queue.
FLAG_STANDING_MIN_ACCOUNT_AGE = timedelta(days=7)
FLAG_STANDING_MIN_STAGE = "contributor"
MODERATION_PAGE_SIZE = 30
# The live activity feed keeps this many events in its room; older ones page from the DB.
ACTIVITY_ROOM_SIZE = 200
# New events gather in a small head list, sent alone on each publish; the rest of the
# window is re-sent only when the head fills up (a publish re-sends a list var whole).
ACTIVITY_HEAD_SIZE = 50
ACTIVITY_PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 50
# Stored cuts of recorded text: an activity line is one sentence; an audit entry keeps the
# reason given and the before/after values it changed (a community's edited fields).
ACTIVITY_SUMMARY_MAX = 300
AUDIT_REASON_MAX = 500
AUDIT_VALUE_MAX = 2000
# "Active now" means a session was used within this window.
ACTIVE_NOW_WINDOW = timedelta(minutes=5)

# Mentorship. A mentor offers `capacity` places; active and paused mentorships take one each.
MENTOR_CAPACITY_DEFAULT = 3
MENTOR_CAPACITY_MAX = 10
MENTOR_AVAILABILITY_MAX = 300
MENTOR_MAX_COMMUNITIES = 10
MENTORSHIP_GOALS_MIN, MENTORSHIP_GOALS_MAX = 10, 2000
MENTORSHIP_SKILLS_MAX_TAGS = 8
# Spam limit: requests still waiting for an answer, per member.
MENTORSHIP_OPEN_REQUESTS_MAX = 3
MENTORSHIP_MESSAGE_MAX = 1000
MENTORSHIP_DECLINE_REASON_MAX = 500
MENTORSHIP_REFLECTION_MIN, MENTORSHIP_REFLECTION_MAX = 10, 1000
MENTOR_SUGGESTIONS = 10
MENTORSHIP_LIST_SIZE = 100
# Matching: every point of a suggestion's score comes from one of these, with a reason.
MATCH_WEIGHT_SHARED_SKILL = 10  # per wanted skill in the mentor's expertise
MATCH_WEIGHT_COMMUNITY_TOPIC = 3  # per community tag in the mentor's expertise (not counted above)
MATCH_WEIGHT_MENTORS_HERE = 8  # the mentor offers to mentor in this community
MATCH_WEIGHT_MEMBER_HERE = 3  # a member of it, without offering to mentor there
MATCH_WEIGHT_FREE_PLACE = 2  # per free place
MATCH_WEIGHT_OTHER_DEPARTMENT = 5  # "breaking silos": a different organisation
# Boards.
BOARD_CARD_TITLE_MIN, BOARD_CARD_TITLE_MAX = 3, 120
BOARD_CARD_DESCRIPTION_MAX = 2000
BOARD_CARDS_MAX = 200
# A met goal's evidence line and link are stored cut to this length (the link is a path).
EVIDENCE_TEXT_MAX = 300
SESSION_NOTES_MAX = 5000
SESSION_NEXT_STEPS_MAX = 2000
SESSION_NOTES_PAGE_SIZE = 50
# A session may be logged for tomorrow at the latest (the pair may be a time zone ahead).
SESSION_NOTE_DATE_AHEAD = timedelta(days=1)
# Spam limit: session notes one pair may log in SESSION_NOTES_WINDOW (a real session is
# logged once or twice; a burst is a script or a stuck button filling the other's log).
SESSION_NOTES_PER_WINDOW = 6
SESSION_NOTES_WINDOW = timedelta(hours=1)
# Due dates and session dates outside these years are typos, refused with this range.
DATE_YEAR_MIN, DATE_YEAR_MAX = 2000, 2100
# A pair with no card change and no session for this long "needs a check-in".
CHECKIN_AFTER_DAYS = 14

# Participation stages (reader -> asker -> contributor -> practitioner -> mentor).
STAGE_CONTRIBUTOR_MIN_REACTIONS = 1  # a reply with at least this many reactions
STAGE_PRACTITIONER_ACCEPTED_ANSWERS = 2

# Account recovery. A reset link works once, for this long; only its SHA-256 is stored.
PASSWORD_RESET_LIFETIME = timedelta(minutes=30)
# "Forgot password" requests in the window, per address (known or not, so the answer is the
# same either way) and per client; past either limit the request is refused until it passes.
PASSWORD_RESET_MAX_PER_ADDRESS = 3
PASSWORD_RESET_MAX_PER_CLIENT = 10
PASSWORD_RESET_WINDOW = timedelta(hours=1)
# Outgoing mail: seconds to wait for the SMTP server before giving up on a message.
SMTP_TIMEOUT_SECONDS = 15

# Practice library. Field lengths readers see in messages.
RESOURCE_TITLE_MIN, RESOURCE_TITLE_MAX = 5, 200
RESOURCE_SUMMARY_MIN, RESOURCE_SUMMARY_MAX = 10, 500
RESOURCE_BODY_MAX = 50_000
RESOURCE_URL_MAX = 500
RESOURCE_MAX_TAGS = 6
# A change note is one line, like a commit subject.
RESOURCE_NOTE_MAX = 200
REUSE_OUTCOME_MAX = 200
# Spam limits per person per WRITE_LIMIT_WINDOW: creating resources is rarer than posting;
# saves come in bursts while someone polishes a guide; reuse is recorded once in a while.
RESOURCES_PER_WINDOW = 10
RESOURCE_SAVES_PER_WINDOW = 60
REUSES_PER_WINDOW = 30
# A resource not reviewed for this long "needs review" (owners and stewards see it listed).
LIBRARY_REVIEW_AFTER_DAYS = 180
LIBRARY_PAGE_SIZE = 20
# The history page shows this many revisions at a time; a diff compares any two of them.
REVISIONS_PAGE_SIZE = 50
# Names shown beside a count (endorsers, credits); the count itself is exact.
LIBRARY_NAMES_SHOWN = 30
# A live library room keeps this many resources (the newest changed); pages come from the DB.
LIBRARY_ROOM_SIZE = 20
# Attachments: per file and per resource, and what types (checked by content, not name).
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_RESOURCE = 5
ATTACHMENT_NAME_MAX = 120
# A download link carries a signed token minted for one person and one file, valid this long.
DOWNLOAD_TOKEN_LIFETIME = timedelta(minutes=5)
# "X is editing" lasts this long after the editor last said so (a closed tab says nothing).
EDITING_PRESENCE_SECONDS = 90

# Search: a query is cut to this many characters (with a message) and this many terms;
# a prefix (`pos*`, or the word being typed) needs this many letters; the top bar shows this
# many results per kind, pages this many; ranking re-orders the best SEARCH_WINDOW matches.
SITE_SEARCH_QUERY_MAX = 200
SEARCH_TERMS_MAX = 8
SEARCH_PREFIX_MIN = 2
SEARCH_LIVE_PER_KIND = 3
SEARCH_PAGE_SIZE = 20
SEARCH_WINDOW = 100
# The top bar re-orders its best SEARCH_LIVE_WINDOW; relevance is scored over at most the
# SEARCH_SCAN most recently indexed matches (a word found nearly everywhere stays fast), and
# while typing over the SEARCH_LIVE_SCAN newest (each keystroke of every tab searches; Enter
# ranks the full page over SEARCH_SCAN).
SEARCH_LIVE_WINDOW = 24
SEARCH_SCAN = 1000
SEARCH_LIVE_SCAN = 200
SEARCH_SNIPPET_CHARS = 180
# The expert finder lists at most this many people, from at most this many matching threads.
EXPERTS_MAX = 10
EXPERTS_THREADS_MAX = 2000
# Scale-out: each worker refreshes a Redis heartbeat this often; a worker silent for the TTL
# is dead, and its tabs keep their tokens when they reconnect (cop_app/worker_liveness.py).
WORKER_HEARTBEAT_SECONDS = 2.0
WORKER_HEARTBEAT_TTL_SECONDS = 8

# Impact dashboard (services/impact): the longest custom range, how many rows its lists show,
# how many weeks the retention table follows, and how long an open dashboard gathers announced
# activity before it re-computes (one re-computation per batch, not per event).
IMPACT_MAX_RANGE_DAYS = 366
IMPACT_LIST_SIZE = 10
IMPACT_COHORT_WEEKS = 12
IMPACT_ACCEPTED_WITHIN = timedelta(hours=48)
IMPACT_COALESCE_SECONDS = 0.25
# "Newly active in a CoP" looks back this far for earlier CoP activity.
IMPACT_LOOKBACK = timedelta(days=365)
