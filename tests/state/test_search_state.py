"""Search handlers through Reflex's event processor on the demo data: the top bar's live
results and keys, the results page (filters, paging, hostile input), the expert finder,
and that nothing from an approval-only community reaches a non-member's browser."""

import asyncio

from cop_app.states.search import ExpertState, SearchBoxState, SearchPageState
from tests.state.harness import Browser, delta_text, signed_in_browser, start_server, var

SURGICAL_TITLE = "in lap chole"  # a plain piece of the surgical thread's title


def test_top_bar_shows_grouped_live_results_and_keys_move_through_them(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        hannah = await signed_in_browser(server, "hannah.kowalski", "/")
        updates = await hannah.call(SearchBoxState, "type_query", value="revi")
        options = var(updates, SearchBoxState, "options")
        assert options, "prefix results while typing"
        assert var(updates, SearchBoxState, "open") is True
        headings = [o.heading for o in options if o.heading]
        assert headings and headings[0] in ("Threads", "Replies", "Library")
        assert len(headings) == len(set(headings))  # one heading per kind
        updates = await hannah.call(SearchBoxState, "key", key="ArrowDown")
        assert var(updates, SearchBoxState, "active") == 0
        await hannah.call(SearchBoxState, "key", key="ArrowUp")
        updates = await hannah.call(SearchBoxState, "key", key="ArrowDown")
        assert var(updates, SearchBoxState, "active") == 0
        updates = await hannah.call(SearchBoxState, "submit", form={"q": "revi"})
        assert options[0].url in delta_text(updates)  # Enter opens the highlighted one
        await hannah.call(SearchBoxState, "type_query", value="code review")
        updates = await hannah.call(SearchBoxState, "submit", form={"q": "code review"})
        assert "/search?q=code%20review" in delta_text(updates)
        updates = await hannah.call(SearchBoxState, "key", key="Escape")
        assert var(updates, SearchBoxState, "open") is False

    asyncio.run(scenario())


def test_approval_only_content_never_reaches_a_non_member(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        helen = await signed_in_browser(server, "helen.carter", "/")
        updates = await helen.call(SearchBoxState, "type_query", value="obese")
        assert SURGICAL_TITLE in delta_text(updates)
        hannah = await signed_in_browser(server, "hannah.kowalski", "/")
        updates = await hannah.call(SearchBoxState, "type_query", value="obese patients")
        assert SURGICAL_TITLE not in delta_text(updates)
        page = await signed_in_browser(server, "hannah.kowalski", "/search", q="obese")
        updates = await page.call(SearchPageState, "load")
        assert SURGICAL_TITLE not in delta_text(updates)
        experts = await signed_in_browser(server, "hannah.kowalski", "/experts", topic="obese")
        updates = await experts.call(ExpertState, "load")
        assert var(updates, ExpertState, "people") in ([], None)
        # signed out: nothing at all
        visitor = Browser(server, path="/")
        updates = await visitor.call(SearchBoxState, "type_query", value="review")
        assert not var(updates, SearchBoxState, "options")

    asyncio.run(scenario())


def test_results_page_filters_pages_and_survives_hostile_queries(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        page = await signed_in_browser(server, "hannah.kowalski", "/search", q="review")
        updates = await page.call(SearchPageState, "load")
        hits = var(updates, SearchPageState, "hits")
        assert hits and var(updates, SearchPageState, "total") >= len(hits)
        kinds = {h.kind for h in hits}
        assert len(kinds) > 1
        only = await signed_in_browser(
            server, "hannah.kowalski", "/search", q="review", kind="resource"
        )
        updates = await only.call(SearchPageState, "load")
        assert {h.kind for h in var(updates, SearchPageState, "hits")} == {"resource"}
        updates = await only.call(SearchPageState, "drop_filter", name="kind")
        assert "/search?q=review" in delta_text(updates) and "kind=" not in delta_text(updates)
        form = {"q": "review", "kind": "thread", "tag": "code-review", "answered": "any"}
        updates = await only.call(SearchPageState, "apply", form=form)
        assert "kind=thread" in delta_text(updates) and "tag=code-review" in delta_text(updates)
        for hostile in ('NEAR("a', "title:x", "*", "(((", "🙂", "x" * 400):
            b = await signed_in_browser(server, "hannah.kowalski", "/search", q=hostile)
            updates = await b.call(SearchPageState, "load")
            assert var(updates, SearchPageState, "loaded") is True
        none = await signed_in_browser(server, "hannah.kowalski", "/search", q="reviw")
        updates = await none.call(SearchPageState, "load")
        labels = [s.label for s in var(updates, SearchPageState, "suggestions")]
        assert any(label.startswith("Search for") for label in labels)

    asyncio.run(scenario())


def test_expert_finder_shows_a_member_with_evidence(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        b = await signed_in_browser(server, "hannah.kowalski", "/experts", topic="code-review")
        updates = await b.call(ExpertState, "load")
        people = var(updates, ExpertState, "people")
        assert people and people[0].evidence
        assert any("accepted answer" in line for p in people for line in p.evidence)
        updates = await b.call(ExpertState, "ask", form={"topic": "postgresql"})
        assert "/experts?topic=postgresql" in delta_text(updates)

    asyncio.run(scenario())
