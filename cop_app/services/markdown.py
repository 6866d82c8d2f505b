"""Markdown to safe HTML on the server: raw HTML off in the parser, then an allow-list.

Two layers on purpose: markdown-it never emits the author's HTML, and nh3 (ammonia)
drops anything outside the allow-list, including javascript: links and event handlers.
Rendered the way GitHub shows it, minus images: a picture from anywhere would let an author
track readers, so an image becomes a visible link to it. Bare web addresses become links.
"""

import html
import re
from collections.abc import Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)

# A bare address: http(s):// or www., up to whitespace, not inside a word or quoted attribute;
# trailing punctuation is the sentence's.
_URL_RE = re.compile(r"(?<![\w/@.='\"])(?:https?://|www\.)[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,:;!?*_~'\""


def _url_end(text: str) -> str:
    """Cut sentence punctuation and an unbalanced closing bracket off a matched address."""
    while text and (
        text[-1] in _TRAILING or (text[-1] == ")" and text.count(")") > text.count("("))
    ):
        text = text[:-1]
    return text


def _link_tokens(text: str, level: int) -> list[Token]:
    """The tokens for one text run with its bare addresses made links."""
    out: list[Token] = []
    last = 0
    for match in _URL_RE.finditer(text):
        url = _url_end(match.group(0))
        if "." not in url.split("//", 1)[-1]:
            continue
        start, end = match.start(), match.start() + len(url)
        if start > last:
            out.append(_text(text[last:start], level))
        href = url if "://" in url else f"https://{url}"
        opening = Token("link_open", "a", 1, level=level, attrs={"href": href})
        out += [opening, _text(url, level + 1), Token("link_close", "a", -1, level=level)]
        last = end
    if out and last < len(text):
        out.append(_text(text[last:], level))
    return out


def _text(content: str, level: int) -> Token:
    return Token("text", "", 0, level=level, content=content)


def _linkify(state: StateCore) -> None:
    """Core rule: bare addresses in text (not in links or code) become links."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            if token.type == "link_open":
                in_link += 1
            elif token.type == "link_close":
                in_link -= 1
            linked = _link_tokens(token.content, token.level)
            children += linked if token.type == "text" and not in_link and linked else [token]
        block.children = children


def _image_as_link(
    self: object, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """An image is shown as a link to it (its alt text, or "image"), never loaded; inside
    a link (a badge) it is the link's text."""
    token = tokens[idx]
    label = escapeHtml("Image: " + ("".join(t.content for t in token.children or []) or "image"))
    opened = sum({"link_open": 1, "link_close": -1}.get(t.type, 0) for t in tokens[:idx])
    if opened > 0:
        return label
    return f'<a href="{escapeHtml(str(token.attrGet("src") or ""))}">{label}</a>'


_md.core.ruler.after("inline", "bare_links", _linkify)
_md.add_render_rule("image", _image_as_link)

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
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "span": {"class"},
    "code": {"class"},
}
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
