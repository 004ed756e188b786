"""``valuegrad playground`` as a command: options, the URL line, /healthz, Ctrl-C."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from valuegrad.cli import main
from valuegrad.commands.playground import _is_loopback


def test_help_says_the_bounds(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["playground", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for text in (
        "--no-browser",
        "sessions at once",
        "idle sessions expire",
        "points per data set",
        "hidden layers",
        "CSV upload",
        "64 KiB",
    ):
        assert text in out, text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "x"], "--port must be an integer from 0 to 65,535, got 'x'"),
        (["--port", "70000"], "--port must be an integer from 0 to 65,535"),
        (["--threads", "3"], "--threads must be an integer from 1 to 2"),
        (["--max-sessions", "0"], "--max-sessions must be an integer from 1 to 1,000"),
        (["--idle-timeout", "-1"], "--idle-timeout must be a finite number > 0"),
    ],
)
def test_bad_options_exit_2_with_one_line(argv, message, capsys) -> None:
    assert main(["playground", "--no-browser", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_port_in_use_exits_1(capsys) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert main(["playground", "--no-browser", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err


def test_loopback_addresses() -> None:
    assert _is_loopback("127.0.0.1") and _is_loopback("localhost") and _is_loopback("::1")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("192.168.1.4")


def test_serves_prints_its_url_then_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "valuegrad", "playground", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        # ready when printed: the first request is answered
        with urllib.request.urlopen(url + "healthz", timeout=10) as r:
            assert r.status == 200
        req = urllib.request.Request(url + "api/sessions", data=b"{}", method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 201
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err  # stopped by Ctrl-C, as every command
    assert out == "" and "Traceback" not in err


def test_a_loopback_server_answers_only_this_machines_names_ipv6_included() -> None:
    from starlette.testclient import TestClient

    from valuegrad.commands.playground import allowed_hosts
    from valuegrad.playground.app import create_app
    from valuegrad.playground.validation import LIMITS

    assert allowed_hosts("0.0.0.0", loopback=False) is None
    for host, ok, bad in [
        ("::1", "http://[::1]:8000", "http://evil.example:8000"),
        ("127.0.0.1", "http://127.0.0.1:8000", "http://[::2]:8000"),
    ]:
        app = create_app(LIMITS, threads=1, allowed_hosts=allowed_hosts(host, loopback=True))
        with TestClient(app, base_url=ok) as c:
            assert c.get("/healthz").status_code == 200
        with TestClient(app, base_url=bad) as c:
            assert c.get("/healthz").status_code == 400  # a rebound name is refused
