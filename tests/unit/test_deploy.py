"""deploy/: the compose file, the Caddy routes and the image, checked statically (no registry
or Docker daemon is needed): every backend route reaches the app, Redis and PostgreSQL stay
private, the settings an operator must choose are wired through."""

import json
import re
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
from reflex_base.constants import Endpoint

from cop_app import routes

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _uncomment(line: str) -> str:
    """The line without a trailing `# comment` (a # inside quotes is kept)."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote and line[i - 1] != "\\" else quote
        elif char in "\"'":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _scalar(text: str) -> Any:
    if text.startswith(("[", '"')):
        return json.loads(text)  # flow lists and double-quoted strings are written as JSON
    if text.startswith("'"):
        return text[1:-1]
    return text


def _block(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[Any, int]:
    if lines[i][1].startswith("- "):
        items = []
        while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
            items.append(_scalar(lines[i][1][2:].strip()))
            i += 1
        return items, i
    mapping: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent:
        key, colon, rest = lines[i][1].partition(":")
        assert colon and key and " " not in key, f"not a mapping entry: {lines[i][1]!r}"
        i += 1
        if rest.strip():
            mapping[key] = _scalar(rest.strip())
        elif i < len(lines) and lines[i][0] > indent:
            mapping[key], i = _block(lines, i, lines[i][0])
        else:
            mapping[key] = None
    return mapping, i


def load_yaml(text: str) -> Any:
    """The YAML subset deploy/compose.yaml is written in (block mappings and lists, JSON flow
    lists, plain or quoted scalars); anything else fails loudly. No YAML package is pinned."""
    lines = [
        (len(raw) - len(raw.lstrip(" ")), raw.strip())
        for raw in map(_uncomment, text.splitlines())
        if raw.strip()
    ]
    value, end = _block(lines, 0, lines[0][0])
    assert end == len(lines), f"unparsed from line {lines[end]!r}"
    return value


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_yaml((DEPLOY / "compose.yaml").read_text())


def test_the_yaml_reader_reads_what_compose_files_use() -> None:
    text = 'a: 1 # note\nb:\n  c: "x # y"\n  d:\n    - e:/f\n    - "80:80"\n  g: ["h", ""]\nk:\n'
    assert load_yaml(text) == {
        "a": "1",
        "b": {"c": "x # y", "d": ["e:/f", "80:80"], "g": ["h", ""]},
        "k": None,
    }


def _caddy_matcher(name: str) -> list[str]:
    text = (DEPLOY / "Caddyfile").read_text()
    match = re.search(rf"^\s*@{name}\s+path\s+(.+)$", text, re.MULTILINE)
    assert match, f"no @{name} path matcher in the Caddyfile"
    return match.group(1).split()


def test_the_stack_is_app_database_redis_and_proxy(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"app", "db", "redis", "webserver"}
    # Only the proxy is reachable from outside; the app, PostgreSQL and Redis are not.
    assert [name for name, s in services.items() if s.get("ports")] == ["webserver"]
    assert services["app"]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert all(s.get("restart") == "always" for s in services.values())
    assert (DEPLOY / services["app"]["build"]["dockerfile"].removeprefix("deploy/")).is_file()


def test_the_app_gets_every_setting_an_operator_must_choose(compose: dict) -> None:
    env = compose["services"]["app"]["environment"]
    assert env["REFLEX_DB_URL"].startswith("postgresql+psycopg2://cop:${POSTGRES_PASSWORD")
    assert env["REFLEX_DB_URL"].endswith("@db:5432/cop")
    assert env["REFLEX_REDIS_URL"].startswith("redis://:${REDIS_PASSWORD")
    assert env["REFLEX_REDIS_URL"].endswith("@redis:6379/0")
    assert env["COP_TRUSTED_PROXY_HOPS"] == "1", "exactly one proxy (Caddy) in front"
    assert env["COP_ALLOWED_ORIGINS"] == "https://${DOMAIN}" == env["REFLEX_API_URL"]
    for name in ("COP_SECRET_KEY", "COP_PUBLIC_URL", "COP_SMTP_HOST", "COP_MAIL_FROM"):
        assert name in env
    example = (DEPLOY / ".env.example").read_text()
    for name in ("DOMAIN", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "COP_SECRET_KEY"):
        assert re.search(rf"^{name}=", example, re.MULTILINE), name


def test_redis_demands_the_password_and_keeps_nothing_on_disk(compose: dict) -> None:
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--requirepass") + 1] == "${REDIS_PASSWORD:?set REDIS_PASSWORD}"
    assert command[command.index("--save") + 1] == ""


@pytest.mark.parametrize(
    "path",
    [
        f"{Endpoint.EVENT}/?EIO=4&transport=websocket",
        str(Endpoint.PING),
        str(Endpoint.HEALTH),
        str(Endpoint.UPLOAD),
        f"{routes.DOWNLOAD}/some-signed-token",
    ],
)
def test_caddy_sends_each_backend_route_to_the_app(path: str) -> None:
    patterns = _caddy_matcher("backend_routes")
    assert any(fnmatch(path.split("?")[0], p) for p in patterns), (path, patterns)


def test_caddy_proxies_to_the_port_the_image_serves_on() -> None:
    caddy = (DEPLOY / "Caddyfile").read_text()
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert set(re.findall(r"reverse_proxy(?: @\w+)? (\S+)", caddy)) == {"app:3000"}
    assert "EXPOSE 3000" in dockerfile
    assert "flush_interval -1" in caddy, "websocket frames are streamed"
    cmd = dockerfile[dockerfile.index("CMD") :]
    assert cmd.index("reflex db migrate") < cmd.index("cop_app.serve"), "migrations first"
