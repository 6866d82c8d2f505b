"""markdown.*: sanitised rendering, mentions and excerpts (no database)."""

from html.parser import HTMLParser

import pytest

from cop_app.services import markdown


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser would parse the output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    handle_startendtag = handle_starttag


def parsed(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def hrefs(html: str) -> list[str]:
    return [attrs.get("href", "") for tag, attrs in parsed(html) if tag == "a"]


def assert_inert(html: str) -> None:
    """No executable element, no event handler, no script-capable URL anywhere in the markup."""
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<iframe" not in lowered
    assert "<img" not in lowered
    assert "<svg" not in lowered
    for tag, attrs in parsed(html):
        assert tag in markdown._ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in {"style", "src", "srcdoc", "formaction"}, (tag, name)
            squashed = "".join(value.split()).lower()
            assert not squashed.startswith(("javascript:", "vbscript:", "data:")), (tag, value)


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(document.cookie)">',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="https://example.org" onclick="alert(1)">click</a>',
    '<p onmouseover="alert(1)">hover</p>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](jav&#x61;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:text/html,<script>alert(1)</script>)",
    "![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![pixel](https://evil.example/track.png)",
    "<javascript:alert(1)>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    '[x](https://example.org "t" onmouseover="alert(1)")',
    '[x](https://example.org "a\\" onmouseover=\\"alert(1)")',
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "> <script>alert(1)</script>\n> quoted",
    "| a | b |\n|---|---|\n| <script>x</script> | [y](javascript:alert(1)) |",
    "<<script>script>alert(1)<</script>/script>",
    "<!-- --><script>alert(1)</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_input_renders_inert(source: str) -> None:
    assert_inert(markdown.render(source))
    assert_inert(markdown.render(source, {"ravi-iyer"}))


def test_raw_html_is_shown_as_text_not_markup() -> None:
    html = markdown.render('<a href="https://example.org">raw</a> and <b>bold</b>')
    assert parsed(html) == [("p", {})]
    assert "&lt;a href" in html
    assert "&lt;b&gt;" in html


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](jav&#x61;script:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_script_links_are_not_links(source: str) -> None:
    assert hrefs(markdown.render(source)) == []


def test_links_keep_safe_schemes_and_carry_rel() -> None:
    html = markdown.render(
        "[site](https://example.org/a?b=1) [plain](http://example.org) "
        "[mail](mailto:team@example.org) <https://example.org/auto>"
    )
    anchors = [attrs for tag, attrs in parsed(html) if tag == "a"]
    assert [a["href"] for a in anchors] == [
        "https://example.org/a?b=1",
        "http://example.org",
        "mailto:team@example.org",
        "https://example.org/auto",
    ]
    for a in anchors:
        rel = a["rel"].split()
        assert "nofollow" in rel
        assert "noopener" in rel


def test_link_title_is_kept_but_attributes_cannot_be_injected() -> None:
    html = markdown.render('[x](https://example.org "A title")')
    assert parsed(html)[1] == (
        "a",
        {"href": "https://example.org", "title": "A title", "rel": "nofollow noopener noreferrer"},
    )


def test_ordinary_markdown_survives() -> None:
    html = markdown.render(
        "# Heading\n\n**bold** _em_ ~~gone~~ `code`\n\n- one\n- two\n\n"
        "> quote\n\n```python\nprint('hi')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    tags = [tag for tag, _ in parsed(html)]
    for expected in ("h1", "strong", "em", "s", "code", "ul", "li", "blockquote", "pre", "table"):
        assert expected in tags, expected
    assert '<code class="language-python">' in html


def test_line_breaks_become_br() -> None:
    assert "<br" in markdown.render("first line\nsecond line")


# --- mentions ---------------------------------------------------------------------------------


def test_known_handles_become_mention_spans_others_stay_text() -> None:
    html = markdown.render("Thanks @ravi-iyer and @nobody-here!", {"ravi-iyer"})
    assert '<span class="mention">@ravi-iyer</span>' in html
    assert "@nobody-here" in html
    assert html.count('class="mention"') == 1


def test_mentions_are_plain_text_without_known_handles() -> None:
    assert "mention" not in markdown.render("Thanks @ravi-iyer", None)
    assert "mention" not in markdown.render("Thanks @ravi-iyer", set())


def test_mention_match_is_case_insensitive_against_known_handles() -> None:
    html = markdown.render("cc @Ravi-Iyer", {"ravi-iyer"})
    assert '<span class="mention">@Ravi-Iyer</span>' in html


def test_mention_inside_link_text_keeps_the_link() -> None:
    html = markdown.render("[@ravi-iyer](https://example.org)", {"ravi-iyer"})
    assert hrefs(html) == ["https://example.org"]
    assert '<span class="mention">@ravi-iyer</span>' in html


def test_mention_lookalike_inside_a_link_url_leaves_the_url_intact() -> None:
    """A known handle inside an href or title is not rewritten into markup."""
    html = markdown.render(
        '[x](https://example.org/?by=@ravi-iyer "asked @ravi-iyer")', {"ravi-iyer"}
    )
    anchors = [attrs for tag, attrs in parsed(html) if tag == "a"]
    assert anchors == [
        {
            "href": "https://example.org/?by=@ravi-iyer",
            "title": "asked @ravi-iyer",
            "rel": "nofollow noopener noreferrer",
        }
    ]
    assert_inert(html)


def test_mention_cannot_smuggle_markup() -> None:
    html = markdown.render("@ravi-iyer<script>alert(1)</script>", {"ravi-iyer"})
    assert_inert(html)
    assert '<span class="mention">@ravi-iyer</span>' in html


def test_mentioned_handles_in_order_unique_lowercased() -> None:
    text = "@Ravi-Iyer can you and @hannah-kowalski look? Thanks @ravi-iyer. (@yuki-tanaka)"
    assert markdown.mentioned_handles(text) == ["ravi-iyer", "hannah-kowalski", "yuki-tanaka"]


def test_mentioned_handles_ignore_emails_and_urls() -> None:
    text = (
        "Write to ann@example.org or first.last@nhs.example, see "
        "https://social.example/@bob and http://t.example/users/@eve, "
        "git@github.com:org/repo.git"
    )
    assert markdown.mentioned_handles(text) == []


def test_mentioned_handles_edges() -> None:
    assert markdown.mentioned_handles("") == []
    assert markdown.mentioned_handles("@ alone and @a") == []  # too short / no handle
    assert markdown.mentioned_handles("end of sentence @zed.") == ["zed"]
    assert markdown.mentioned_handles("@@double") == []


# --- excerpt ----------------------------------------------------------------------------------


def test_excerpt_strips_markup() -> None:
    text = markdown.excerpt(
        "# Port placement\n\n**Bold** and _soft_ [a link](https://x.org)\n\n- item"
    )
    assert text == "Port placement Bold and soft a link item"


def test_excerpt_cuts_at_a_word_with_ellipsis() -> None:
    source = "Keeping titration practicals fair for students with dyspraxia " * 5
    text = markdown.excerpt(source, 40)
    assert text.endswith("…")
    assert len(text) <= 41
    body = text[:-1]
    assert source.startswith(body)
    assert source[len(body)] == " "  # the cut falls between words


def test_excerpt_short_text_unchanged_and_whitespace_collapsed() -> None:
    assert markdown.excerpt("  short\n\n  text  ") == "short text"


def test_excerpt_one_long_word_is_cut_hard() -> None:
    assert markdown.excerpt("x" * 300, 20) == "x" * 20 + "…"


def test_excerpt_is_plain_text_not_html_escaped() -> None:
    """Plain text for lists and notifications: the UI escapes it, so it must not arrive
    pre-escaped (or readers see `&amp;`)."""
    assert markdown.excerpt('Fish & chips < 5 "quoted"') == 'Fish & chips < 5 "quoted"'


def test_lists_headings_quotes_code_and_tables_keep_their_markup() -> None:
    html = markdown.render(
        "## Steps\n\n3. third\n4. fourth\n\n- a\n- b\n\n> quoted\n\n```\nx = 1\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
    )
    tags = [tag for tag, _ in parsed(html)]
    for tag in ("h2", "ol", "ul", "li", "blockquote", "pre", "code", "table", "th", "td"):
        assert tag in tags, tag
    assert '<ol start="3">' in html  # a list that starts at 3 keeps its numbers
    assert_inert(html)


def test_bare_addresses_become_links_outside_code_and_links() -> None:
    html = markdown.render(
        "See https://example.org/a_b. Or www.example.com/x) and (http://x.org/y).\n\n"
        "`https://in.code` [named](https://named.org) javascript:alert(1)"
    )
    assert hrefs(html) == [
        "https://example.org/a_b",
        "https://www.example.com/x",
        "http://x.org/y",
        "https://named.org",
    ]
    assert "<code>https://in.code</code>" in html and "javascript:alert(1)" in html
    assert_inert(html)


def test_images_become_visible_links_never_loaded() -> None:
    html = markdown.render("![a cat](https://pics.example/cat.png)")
    assert "<img" not in html and "Image: a cat" in html
    assert hrefs(html) == ["https://pics.example/cat.png"]
    # no alt text still says there was an image; a badge inside a link keeps one link
    assert "Image: image" in markdown.render("![](https://pics.example/x.png)")
    badge = markdown.render("[![build](https://ci.example/b.svg)](https://ci.example)")
    assert hrefs(badge) == ["https://ci.example"] and "Image: build" in badge
    unsafe = markdown.render("![x](javascript:alert(1))")
    assert "javascript" not in hrefs(unsafe)
    assert_inert(unsafe)
