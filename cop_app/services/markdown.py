"""Markdown to safe HTML on the server: raw HTML off in the parser, then an allow-list.

Two layers on purpose: markdown-it never emits the author's HTML, and nh3 (ammonia)
drops anything outside the allow-list, including javascript: links and event handlers.
"""

import html
import re

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)

_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "span",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "span": {"class"}, "code": {"class"}}
_MENTION_RE = re.compile(r"(?<![\w@/])@([a-z0-9][a-z0-9._-]{1,38}[a-z0-9])", re.IGNORECASE)


def mentioned_handles(source: str) -> list[str]:
    """@handles in the text, lowercased and unique, in order (code is not excluded)."""
    seen: list[str] = []
    for handle in _MENTION_RE.findall(source):
        handle = handle.lower()
        if handle not in seen:
            seen.append(handle)
    return seen


def render(source: str, known_handles: set[str] | None = None) -> str:
    """Sanitized HTML for a Markdown text; known @handles become profile-styled spans."""
    rendered = _md.render(source)
    if known_handles:

        def mention(m: re.Match[str]) -> str:
            if m.group(1).lower() in known_handles:
                return f'<span class="mention">@{m.group(1)}</span>'
            return m.group(0)

        # Only text between tags: a handle inside a link's address must stay as it is.
        rendered = "".join(
            part if part.startswith("<") else _MENTION_RE.sub(mention, part)
            for part in re.split(r"(<[^>]*>)", rendered)
        )
    return nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def excerpt(source: str, length: int = 180) -> str:
    """Plain text for lists and notifications: Markdown marks stripped, cut at a word."""
    return excerpt_of_html(_md.render(source), length)


def excerpt_of_html(rendered: str, length: int = 180) -> str:
    """The same plain-text excerpt from already rendered (sanitised) HTML."""
    text = html.unescape(nh3.clean(rendered, tags=set()))
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + "…"
