"""Search handlers: the top bar's live results (a combobox with a listbox of options), the
full results page with filters and paging, and the expert finder. Each handler resolves
its caller and calls the search service, which checks what they may see."""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import reflex as rx

from cop_app import routes
from cop_app.services import search, settings
from cop_app.services.search import Filters, Hit, Segment, Suggestion
from cop_app.services.search.experts import Expert, experts
from cop_app.states.base import Refused, call, typed


@dataclass
class Option:
    """One option of the top bar's listbox; `heading` is its group's name on the first."""

    index: int
    key: str
    url: str
    heading: str
    title: list[Segment] = field(default_factory=list)
    meta: str = ""


def _options(results: search.Results) -> list[Option]:
    out: list[Option] = []
    for group in results.groups():
        for i, hit in enumerate(group.hits):
            out.append(
                Option(
                    index=len(out),
                    key=hit.key,
                    url=hit.url,
                    heading=group.label if i == 0 else "",
                    title=hit.title,
                    meta=hit.meta,
                )
            )
    return out


class SearchBoxState(rx.State):
    """The box in the top bar of every signed-in page."""

    q: str = ""
    options: list[Option] = []
    active: int = -1
    open: bool = False
    note: str = ""
    searched: bool = False

    @rx.event
    async def type_query(self, value: Any) -> None:
        """Live results as the person pauses typing (the input debounces)."""
        text = typed(value, settings.SITE_SEARCH_QUERY_MAX * 2)
        if text == self.q and self.searched:
            return  # Enter flushes the debounced text again: keep the highlighted option
        self.q = text
        self.active = -1
        if not self.q.strip():
            self.options, self.open, self.note, self.searched = [], False, "", False
            return
        # Off the event loop: SQLite and PostgreSQL release the GIL while they search, so
        # other tabs' events go on meanwhile (bench/bench_search.py).
        results = await call(self, search.search, self.q, typing=True, off_loop=True)
        if isinstance(results, Refused):
            self.options, self.open = [], False
            return
        self.options = _options(results)
        self.note = results.note
        self.open = True
        self.searched = True

    @rx.event
    def key(self, key: Any) -> None:
        """Arrow keys move through the options; Escape closes the list."""
        if key == "ArrowDown" and self.options:
            self.open = True
            self.active = (self.active + 1) % len(self.options)
        elif key == "ArrowUp" and self.options:
            self.open = True
            self.active = (self.active - 1) % len(self.options)
        elif key == "Escape":
            self.open, self.active = False, -1

    @rx.event
    def close(self) -> None:
        """The box lost focus: hide the list (a click on an option already navigated)."""
        self.open = False

    @rx.event
    def submit(self, form: Any) -> rx.event.EventSpec | None:
        """Enter: open the highlighted option, or the full results page."""
        value = form.get("q", self.q) if isinstance(form, dict) else self.q
        text = typed(value, settings.SITE_SEARCH_QUERY_MAX * 2)
        self.open = False
        if 0 <= self.active < len(self.options):
            url = self.options[self.active].url
            self.active = -1
            return rx.redirect(url)
        if not text.strip():
            return None
        return rx.redirect(routes.search_url(quote(text[: settings.SITE_SEARCH_QUERY_MAX])))


_FILTERS = ("kind", "community", "tag", "author", "since", "until", "answered")


class SearchPageState(rx.State):
    """The full results page at /search?q=…, with filters and paging."""

    q: str = ""
    filters: dict[str, str] = {}
    hits: list[Hit] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    capped: bool = False
    note: str = ""
    suggestions: list[Suggestion] = []
    loaded: bool = False

    def _params(self) -> dict[str, str]:
        params = self.router.url.query_parameters
        return {k: str(params.get(k, ""))[:200] for k in ("q", "page", *_FILTERS)}

    @rx.event
    async def load(self) -> None:
        """Read the query and filters from the address and search."""
        params = self._params()
        self.q = params["q"]
        self.filters = {k: params[k] for k in _FILTERS if params[k]}
        page = int(params["page"]) if params["page"].isdigit() else 1
        await self._run(min(page, 10_000))

    async def _run(self, page: int) -> None:
        filters = Filters(**{k: self.filters.get(k, "") for k in _FILTERS})
        results = await call(self, search.search, self.q, filters, page, off_loop=True)
        self.loaded = True
        if isinstance(results, Refused):
            self.hits, self.total, self.note = [], 0, results.error.message
            return
        self.hits = results.hits
        self.total, self.page, self.pages = results.total, results.page, results.pages
        self.capped, self.note, self.suggestions = results.capped, results.note, results.suggestions

    def _url(self, q: str, filters: dict[str, str], page: int = 1) -> str:
        extra = {k: quote(v) for k, v in filters.items() if v}
        if page > 1:
            extra["page"] = str(page)
        return routes.search_url(quote(q), **extra)

    @rx.event
    def apply(self, form: Any) -> rx.event.EventSpec:
        """The filter form: a new address, so the results can be shared and go back."""
        data = form if isinstance(form, dict) else {}
        q = typed(data.get("q", self.q), settings.SITE_SEARCH_QUERY_MAX * 2)
        filters = {k: typed(data.get(k, ""), 60).strip() for k in _FILTERS}
        filters = {k: v for k, v in filters.items() if v and v != "any"}
        return rx.redirect(self._url(q, filters))

    @rx.event
    def drop_filter(self, name: Any) -> rx.event.EventSpec:
        """A "nothing found" suggestion: the same search without one filter."""
        filters = {k: v for k, v in self.filters.items() if k != name}
        return rx.redirect(self._url(self.q, filters))

    @rx.event
    def try_query(self, text: Any) -> rx.event.EventSpec:
        """A "did you mean" suggestion: search for that spelling."""
        return rx.redirect(self._url(typed(text, settings.SITE_SEARCH_QUERY_MAX), self.filters))

    @rx.event
    def go(self, page: Any) -> rx.event.EventSpec | None:
        """Another page of the same results."""
        if not isinstance(page, int) or isinstance(page, bool):
            return None
        return rx.redirect(self._url(self.q, self.filters, max(1, min(page, self.pages))))


class ExpertState(rx.State):
    """The expert finder at /experts?topic=…."""

    topic: str = ""
    label: str = ""
    people: list[Expert] = []
    loaded: bool = False

    @rx.event
    async def load(self) -> None:
        """Rank the people who know the topic in the address."""
        self.topic = str(self.router.url.query_parameters.get("topic", ""))[:200]
        await self._run()

    async def _run(self) -> None:
        found = await call(self, experts, self.topic, off_loop=True)
        self.loaded = True
        self.label, self.people = ("", []) if isinstance(found, Refused) else found

    @rx.event
    def ask(self, form: Any) -> rx.event.EventSpec | None:
        """The "who knows" form."""
        topic = typed(form.get("topic", "") if isinstance(form, dict) else "", 100).strip()
        if not topic:
            return None
        return rx.redirect(routes.experts_url(quote(topic)))
