"""The library benchmark plugs into the shared bench loop and judges the 10 MB upload by what
a person sees: the HTTP upload's figure, not the service-level one, passes or fails."""

import json
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH_DIR) not in sys.path:  # the bench scripts import each other by module name
    sys.path.insert(0, str(BENCH_DIR))

import bench_library  # noqa: E402
import common  # noqa: E402
import loadtool  # noqa: E402

from cop_app.services import settings  # noqa: E402
from cop_app.services.library.attachments import detect_type  # noqa: E402


def _stats(p95: float) -> dict[str, Any]:
    return {
        "p50_ms": p95 / 2,
        "p95_ms": p95,
        "p99_ms": p95,
        "count": 10,
        "errors": 0,
        "events_per_s": 5.0,
        "backend_cpu_ms_per_event": 1.0,
    }


def _figures(upload: dict[str, Any]) -> dict[str, Any]:
    return {
        "run": {"clients": 100},
        "cop": {
            "floor": _stats(100.0),
            "list": _stats(200.0),
            "resource": _stats(150.0),
            "fanout": {"last_viewer": _stats(50.0), "backend_cpu_ms_per_event": 2.0},
            "upload": upload,
        },
        "extra": {
            "plans": [{"what": "browse", "sql": "SELECT", "plan": ["SEARCH"], "full_scan": []}],
            "resources": 5000,
            "revisions": 25000,
            "insert_s": 1.0,
            "big_resource_id": 5000,
            "upload_s": 0.05,
            "upload_shown": True,
        },
    }


def _upload_check(figures: dict[str, Any]) -> dict[str, Any]:
    checks, _body = bench_library.render(figures)
    (check,) = [c for c in checks if "upload" in c["target"]]
    return check


def test_scenario_runs_on_the_shared_main_loop() -> None:
    scenario = bench_library.SCENARIO
    assert isinstance(scenario, common.Scenario)
    assert scenario.name == "library"
    assert scenario.measure is bench_library.measure
    assert scenario.extra is bench_library.extra
    args = scenario.parse([])
    assert (args.clients, args.resources, args.revisions, args.uploads) == (100, 5000, 25000, 3)
    assert scenario.extra_args(args) == [
        "--resources",
        "5000",
        "--revisions",
        "25000",
        "--big-revisions",
        "200",
    ]


def test_the_upload_event_is_the_resource_pages_handler() -> None:
    assert bench_library.UPLOAD.endswith(".upload")
    assert bench_library.UPLOAD.rsplit(".", 1)[0] == bench_library.RESOURCE_LOAD.rsplit(".", 1)[0]


def test_the_generated_file_is_an_allowed_pdf_within_the_limit() -> None:
    pdf = bench_library.ten_mb_pdf()
    assert pdf.startswith(b"%PDF-1.4") and pdf.endswith(b"%%EOF\n")
    assert 10 * 1024 * 1024 - 1024 < len(pdf) <= settings.ATTACHMENT_MAX_BYTES
    assert detect_type(pdf, "bench-upload-1.pdf") == "application/pdf"


@pytest.mark.parametrize(("worst", "passed"), [(0.4, True), (3.0, True), (3.2, False)])
def test_the_http_upload_is_judged_on_its_worst_time(worst: float, passed: bool) -> None:
    upload = {
        "shown_s": [0.2, worst],
        "posted_s": [0.1, worst - 0.05],
        "max_s": worst,
        "backend_cpu_ms_per_event": 80.0,
    }
    check = _upload_check(_figures(upload))
    assert "/_upload" in check["target"]
    assert check["figure"] == f"{worst:.2f} s (of 2)"
    assert check["pass"] is passed
    _checks, body = bench_library.render(_figures(upload))
    assert any("over HTTP" in line and f"{worst:.2f}" in line for line in body)


def test_the_uploaders_reply_is_read_for_the_file() -> None:
    room, view = bench_library.RESOURCE_ROOM, loadtool.var_key("view")
    listed = {room: {view: {"attachments": [{"filename": "bench-upload-1.pdf"}]}}}
    other = {"reflex___state____state": {"is_hydrated_rx_state_": True}}
    reply = "\n".join(json.dumps({"delta": d}) for d in (other, listed)) + "\n"
    assert bench_library.reply_lists(reply, "bench-upload-1.pdf") is True
    assert bench_library.reply_lists(reply, "bench-upload-2.pdf") is False
    assert bench_library.reply_lists(json.dumps({"delta": other}) + "\n", "x.pdf") is False


def test_a_failed_http_upload_fails_the_target_and_says_why() -> None:
    check = _upload_check(_figures({"failed": "/_upload answered 400 Missing header"}))
    assert check["pass"] is False
    assert "400 Missing header" in check["figure"]
