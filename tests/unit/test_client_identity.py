"""Client identity behind reverse proxies: COP_TRUSTED_PROXY_HOPS reaches Reflex, which picks
the address the sign-in throttles key on when a socket connects."""

import os
from collections.abc import Callable

import pytest
from reflex.app import EventNamespace
from reflex_base.config import get_config
from reflex_base.constants import RouteVar

import rxconfig

PEER = "10.0.0.2"  # the socket's other end: the client itself, or the nearest proxy


@pytest.fixture
def resolve(monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """The client address Reflex records for a connection, under COP_TRUSTED_PROXY_HOPS."""

    def resolve_with(hops: str, *forwarded_for: str) -> str:
        monkeypatch.setattr(get_config(), "trusted_proxy_hops", rxconfig.trusted_proxy_hops(hops))
        headers = [(b"x-forwarded-for", value.encode()) for value in forwarded_for]
        environ = {"asgi.scope": {"client": (PEER, 50123), "headers": headers}}
        data = EventNamespace._build_static_router_data(None, "sid", environ)  # type: ignore[arg-type]
        return data[RouteVar.CLIENT_IP]

    return resolve_with


def test_no_proxy_uses_the_socket_peer(resolve) -> None:
    assert resolve("0") == PEER


def test_a_spoofed_header_is_ignored_without_trusted_proxies(resolve) -> None:
    assert resolve("0", "198.51.100.1") == PEER
    assert resolve("", "198.51.100.1, 203.0.113.9") == PEER


def test_one_proxy_the_rightmost_forwarded_address_is_the_client(resolve) -> None:
    # The client sent a made-up address first; the proxy appended the one it saw.
    assert resolve("1", "198.51.100.1, 203.0.113.9") == "203.0.113.9"


def test_two_proxies_the_second_from_the_right_is_the_client(resolve) -> None:
    assert resolve("2", "198.51.100.1, 203.0.113.9, 10.0.0.1") == "203.0.113.9"


def test_a_header_sent_twice_reads_as_one_list(resolve) -> None:
    # A client's own header line comes first; the proxy's line, added after it, wins.
    assert resolve("1", "198.51.100.1", "203.0.113.9") == "203.0.113.9"


def test_fewer_forwarded_addresses_than_proxies_falls_back_to_the_peer(resolve) -> None:
    assert resolve("2", "203.0.113.9") == PEER


@pytest.mark.parametrize("value", [None, "", " 0 "])
def test_hops_default_to_zero(value: str | None) -> None:
    assert rxconfig.trusted_proxy_hops(value) == 0


@pytest.mark.parametrize("value", ["-1", "two", "1.5", "1e3"])
def test_hops_must_be_a_whole_number(value: str) -> None:
    with pytest.raises(ValueError, match="COP_TRUSTED_PROXY_HOPS"):
        rxconfig.trusted_proxy_hops(value)


def test_the_configured_hops_reach_reflex() -> None:
    expected = rxconfig.trusted_proxy_hops(os.environ.get("COP_TRUSTED_PROXY_HOPS"))
    assert rxconfig.config.trusted_proxy_hops == expected
