"""``valuegrad playground``: the TensorFlow Playground on the real engine, in the browser.

Starts a local web server (Starlette on uvicorn) and prints its URL on one line
(``http://HOST:PORT/``) once it accepts connections; then opens a browser unless
``--no-browser``. Ctrl-C stops it cleanly: the sessions are closed, the trainer threads
stopped, and the status is 130 (as for every command Ctrl-C stops).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import socket
import sys
import webbrowser
from typing import Any

from valuegrad.cli import UsageError
from valuegrad.options import parse_float, parse_int

ORDER = 40
NAME = "playground"
HELP = "the TensorFlow Playground on valuegrad's engine, with every point's graph a click away"

__all__ = ["HELP", "NAME", "ORDER", "register", "run"]


def _epilog() -> str:
    from valuegrad.playground.validation import LIMITS as L

    return f"""\
bounds (each client stays within them; the page says them too):
  sessions at once      --max-sessions (default {L.max_sessions}); one per browser tab
  idle sessions expire  after --idle-timeout seconds (default {L.idle_timeout:g}) without a
                        connected page or a request; closing a tab frees its session at once
  points per data set   {L.min_points}..{L.max_points} (generated, uploaded and added together)
  hidden layers         0..{L.max_hidden_layers}, of 1..{L.max_width} neurons each
  CSV upload            {L.max_upload_bytes // 1024} KiB, rows x,y,label with label 0 or 1
  epochs per run        {L.max_epochs:,} (training pauses there)
  trainer threads       --threads (1 or 2, default 2) train every session round-robin

exit status: 130 stopped by Ctrl-C (as every command); 2 bad option; 1 the port cannot be bound.
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``playground`` sub-command to the CLI."""
    parser = subparsers.add_parser(
        NAME,
        help=HELP,
        description="Serve the playground: pick a data set and a network, press play and "
        "watch the decision boundary form, trained by valuegrad's compiled engine; click any "
        "point to open its computation graph with values and gradients.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add(
        "--host",
        default="127.0.0.1",
        help="address to bind (default %(default)s: this machine only)",
    )
    add(
        "--port", default="8000", metavar="N", help="port (default %(default)s; 0 picks a free one)"
    )
    add("--no-browser", action="store_true", help="do not open a browser")
    add("--max-sessions", default=None, metavar="N", help="sessions at once")
    add("--idle-timeout", default=None, metavar="SECONDS", help="expiry of idle sessions")
    add("--threads", default="2", metavar="N", help="trainer threads, 1 or 2 (default 2)")
    parser.set_defaults(run=run)
    return parser


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port); OSError with a clear message if it cannot be."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise UsageError(f"--host {host!r} is not an address of this machine ({err})") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as err:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


def allowed_hosts(host: str, loopback: bool) -> list[str] | None:
    """The Host headers a server on ``host`` answers (DNS rebinding): on a loopback
    address only names of this machine (IPv6 ones in brackets, as a Host header writes
    them); None (any) when it listens beyond this machine on purpose."""
    if not loopback:
        return None
    return ["127.0.0.1", "localhost", "[::1]", f"[{host}]" if ":" in host else host]


MAX_SESSIONS_CEILING = 1000
"""The most sessions ``--max-sessions`` may allow (each holds a network and its data)."""


def run(args: argparse.Namespace) -> int:
    """Run the server until Ctrl-C; returns the exit status."""
    from dataclasses import replace

    import uvicorn

    from valuegrad.playground.app import create_app
    from valuegrad.playground.validation import LIMITS

    port = parse_int("--port", args.port, 0, 65535)
    threads = parse_int("--threads", args.threads, 1, 2)
    limits = LIMITS
    if args.max_sessions is not None:
        most = parse_int("--max-sessions", args.max_sessions, 1, MAX_SESSIONS_CEILING)
        limits = replace(limits, max_sessions=most)
    if args.idle_timeout is not None:
        limits = replace(
            limits, idle_timeout=parse_float("--idle-timeout", args.idle_timeout, low=0.0)
        )
    host = args.host
    loopback = _is_loopback(host)
    if not loopback:
        print(
            f"valuegrad playground: warning: listening on {host}, not only on this machine: "
            "anyone who can reach it can use it",
            file=sys.stderr,
        )
    # The event loop answers requests between the trainer threads' turns with the GIL: a
    # shorter switch interval (default 5 ms) keeps its waits short under load.
    sys.setswitchinterval(0.001)
    sock = _bind(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound}/"
    app = create_app(limits, threads=threads, allowed_hosts=allowed_hosts(host, loopback))
    config = uvicorn.Config(
        app,
        log_level="warning",
        ws="websockets-sansio",
        lifespan="on",
        timeout_graceful_shutdown=3,
        ws_max_size=limits.max_message_bytes,
    )
    server = uvicorn.Server(config)

    async def serve() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if task.done():
                break
            await asyncio.sleep(0.02)
        if server.started:
            print(url, flush=True)
            if not args.no_browser:
                webbrowser.open(url)
        await task

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass  # a second Ctrl-C during shutdown: stop now, quietly
    finally:
        sock.close()
    return 0
