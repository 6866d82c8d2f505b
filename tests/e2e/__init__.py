"""Browser tests: the real app served by Reflex's AppHarness, driven by Playwright."""
