"""The Reflex patches refuse to install on a Reflex version they were not written for."""

import pytest
from reflex.istate.shared import SharedStateBaseInternal

from cop_app import reflex_patches


def test_apply_refuses_another_reflex_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reflex_patches.metadata, "version", lambda name: "0.10.2")
    before = SharedStateBaseInternal._modify_linked_states
    with pytest.raises(RuntimeError, match=r"Reflex 0\.10\.2 is installed.*reflex==0\.10\.1"):
        reflex_patches.apply()
    assert SharedStateBaseInternal._modify_linked_states is before


def test_apply_installs_on_the_version_it_was_written_for() -> None:
    reflex_patches.apply()
    reflex_patches.apply()
    assert SharedStateBaseInternal._modify_linked_states is reflex_patches._modify_linked_states
