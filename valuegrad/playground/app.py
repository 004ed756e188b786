"""The playground's web app (Starlette): the page, its assets, the JSON API and the stream.

Routes (``{id}`` is a session id, made by ``POST /api/sessions``):

==============================  =====================================================
``GET /``                        the page (``static/index.html``); assets under /static
``GET /healthz``                 200 ``{"ok": true, "sessions": n}``
``GET /api/limits``              the bounds (sessions, points, layers, upload size ...)
``POST /api/sessions``           a new session from optional settings (201; 503 at the cap)
``GET /api/sessions/{id}``       its state (readouts and settings)
``POST .../settings``            change settings (``{"lr": 0.03, ...}``)
``POST .../play|pause|step|reset``  the four buttons
``POST .../points``              add clicked points ``{"points": [[x, y, label], ...]}``
``POST .../csv``                 upload a CSV of ``x,y,label`` rows (the body is the file)
``GET .../explain?x=&y=&label=`` the computation graph of that input's loss (HTML)
``GET .../model``                the trained model as ``nn.save`` JSON (a download)
``GET .../history``              the settings and every epoch's losses and accuracies
``DELETE /api/sessions/{id}``    close it
``WS .../ws``                    frames to the page; the page's commands and pings
==============================  =====================================================

Every bad input is answered with ``{"error", "field", "value"}`` and status 400
(malformed body), 404 (no such session), 413 (too big), 422 (a bad value) or 503 (too
many sessions); none of them touches another session. Work that takes more than a
moment (a new run's compilation, a frame, a graph drawn by ``dot``) runs in worker
threads, so the event loop only moves bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from valuegrad.playground.explain import explain
from valuegrad.playground.sessions import Session, SessionManager, TooManySessionsError
from valuegrad.playground.validation import (
    LIMITS,
    InputError,
    Limits,
    Settings,
    apply_settings,
    parse_csv,
    parse_json_object,
    parse_points,
)
from viz.explore import script_source_hash

__all__ = ["STATIC", "create_app"]

STATIC = Path(__file__).parent / "static"
"""The page's files: index.html, playground.js, playground.css."""

# The page and its assets load from this server only: no CDN, no outside request.
_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
    "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'"
)
# The graph document is self-contained: inline SVG and style, the explorer's one inline
# script (allowed by its hash, nothing else runs), and nothing fetched at all.
_EXPLAIN_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src {script_source_hash()}"
)

REAP_SECONDS = 5.0
"""How often idle sessions are looked for."""
FRAME_SECONDS = 0.1
"""The shortest time between two frames to one page (longer when many pages are open)."""


def _error(err: InputError) -> JSONResponse:
    return JSONResponse(err.to_dict(), status_code=err.status)


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(handler: Handler) -> Handler:
    """Answer InputError and TooManySessionsError with their JSON bodies, never a traceback."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except InputError as err:
            return _error(err)
        except TooManySessionsError as err:
            return JSONResponse({"error": str(err), "field": "session", "value": None}, 503)

    return wrapped


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) anything past ``limit`` bytes while it arrives."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise InputError(
            f"the body has {int(declared)} bytes, more than the limit of {limit}",
            "body",
            int(declared),
            413,
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InputError(
                f"the body is larger than the limit of {limit} bytes", "body", size, 413
            )
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    limits: Limits = LIMITS,
    *,
    threads: int = 2,
    allowed_hosts: list[str] | None = None,
) -> Starlette:
    """The playground app with its own session manager and trainer threads.

    ``allowed_hosts`` guards against DNS rebinding (the Host header must name this
    machine); None allows any host (for a server bound to a public address).
    """
    manager = SessionManager(limits, threads)
    graphs = asyncio.Semaphore(2)  # dot renders at once

    async def json_body(request: Request) -> dict[str, Any]:
        return parse_json_object(await _body(request, limits.max_message_bytes), limits)

    def session_of(request: Request) -> Session:
        return manager.get(request.path_params["sid"])

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": _CSP})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True, "sessions": len(manager)})

    async def get_limits(request: Request) -> Response:
        return JSONResponse(limits.to_dict())

    async def create(request: Request) -> Response:
        changes = await json_body(request)
        settings = apply_settings(Settings(), changes, limits)
        session = await run_in_threadpool(manager.create, settings)
        return JSONResponse(session.state(), status_code=201)

    async def get_state(request: Request) -> Response:
        return JSONResponse(session_of(request).state())

    async def settings(request: Request) -> Response:
        session = session_of(request)
        changes = await json_body(request)
        await run_in_threadpool(session.apply, changes)
        if session.running:
            manager.play(session)
        session.notify()
        return JSONResponse(session.state())

    async def command(request: Request) -> Response:
        session = session_of(request)
        await run_in_threadpool(_run_command, manager, session, request.path_params["cmd"])
        return JSONResponse(session.state())

    async def points(request: Request) -> Response:
        session = session_of(request)
        doc = await json_body(request)
        if set(doc) != {"points"}:
            raise InputError('the body must be {"points": [[x, y, label], ...]}', "body", list(doc))
        pts = parse_points(doc["points"], "points", limits)
        await run_in_threadpool(session.add_points, list(pts))
        session.notify()
        return JSONResponse(session.state())

    async def upload_csv(request: Request) -> Response:
        session = session_of(request)
        rows = parse_csv(await _body(request, limits.max_upload_bytes), limits)
        await run_in_threadpool(session.apply, {"dataset": "custom", "custom": rows, "added": []})
        if session.running:
            manager.play(session)
        session.notify()
        return JSONResponse(session.state())

    async def explain_point(request: Request) -> Response:
        session = session_of(request)
        q = request.query_params
        values = {}
        for name in ("x", "y", "label"):
            text = q.get(name)
            try:
                values[name] = float(text) if text is not None else None
            except ValueError:
                values[name] = None
            if values[name] is None:
                raise InputError(f"{name} must be a number, got {text!r}", name, text)
        (x, y, label) = parse_points(
            [[values["x"], values["y"], values["label"]]], "point", limits
        )[0]
        with session.lock:
            model = session.trainer.snapshot_model()
            epoch = session.trainer.epoch
        if graphs.locked():
            raise InputError(
                "two graphs are being drawn already; try again in a moment", "explain", None, 503
            )
        async with graphs:
            try:
                html = await run_in_threadpool(explain, model, x, y, label, epoch=epoch)
            except (ArithmeticError, ValueError) as err:  # weights a diverged run left
                raise InputError(
                    f"this point's graph cannot be computed at the current weights: {err}; "
                    "reset the run",
                    "explain",
                    None,
                    422,
                ) from None
        return HTMLResponse(html, headers={"Content-Security-Policy": _EXPLAIN_CSP})

    async def model(request: Request) -> Response:
        from nn.serialize import to_dict

        session = session_of(request)
        with session.lock:
            doc = to_dict(session.trainer.model)
            epoch = session.trainer.epoch
        return JSONResponse(
            doc,
            headers={
                "Content-Disposition": f'attachment; filename="playground-model-epoch{epoch}.json"'
            },
        )

    async def history(request: Request) -> Response:
        session = session_of(request)
        with session.lock:
            doc = {
                "format": "valuegrad.playground.history",
                "settings": session.settings.to_dict(),
                **session.trainer.summary(),
                "history": session.trainer.history(),
            }
        return JSONResponse(
            doc, headers={"Content-Disposition": 'attachment; filename="playground-history.json"'}
        )

    async def delete(request: Request) -> Response:
        if not manager.close(request.path_params["sid"]):
            raise InputError("no such session", "session", request.path_params["sid"], 404)
        return JSONResponse({"closed": request.path_params["sid"]})

    async def stream(ws: WebSocket) -> None:
        await _stream(ws, manager, limits)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async def reap() -> None:
            while True:
                await asyncio.sleep(REAP_SECONDS)
                manager.expire()

        task = asyncio.create_task(reap())
        try:
            yield
        finally:
            task.cancel()
            await run_in_threadpool(manager.shutdown)

    sid = "/api/sessions/{sid:str}"
    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/api/limits", get_limits),
        Route("/api/sessions", _guarded(create), methods=["POST"]),
        Route(sid, _guarded(get_state), methods=["GET"]),
        Route(sid, _guarded(delete), methods=["DELETE"]),
        Route(sid + "/settings", _guarded(settings), methods=["POST"]),
        Route(sid + "/{cmd:str}", _guarded(command), methods=["POST"]),
        Route(sid + "/points", _guarded(points), methods=["POST"]),
        Route(sid + "/csv", _guarded(upload_csv), methods=["POST"]),
        Route(sid + "/explain", _guarded(explain_point)),
        Route(sid + "/model", _guarded(model)),
        Route(sid + "/history", _guarded(history)),
        WebSocketRoute(sid + "/ws", stream),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    # the specific POST routes must win over the generic /{cmd}
    routes.sort(key=lambda r: getattr(r, "path", "").endswith("{cmd:str}"))
    middleware = []
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.manager = manager
    app.state.limits = limits
    return app


COMMANDS = ("play", "pause", "step", "reset")
"""The four buttons."""


def _run_command(manager: SessionManager, session: Session, cmd: str) -> None:
    if cmd not in COMMANDS:
        raise InputError(f"unknown command {cmd!r}: use {', '.join(COMMANDS)}", "command", cmd, 404)
    if cmd == "play":
        manager.play(session)
    elif cmd == "pause":
        manager.pause(session)
    elif cmd == "step":
        session.step()
    else:
        was_running = session.running
        session.reset()
        if was_running:
            manager.play(session)
    session.notify()


def _message(
    session: Session, manager: SessionManager, doc: dict[str, Any], limits: Limits
) -> None:
    """Carry out one command from the page's socket (in a worker thread)."""
    kind = doc.get("type")
    if kind == "ping":
        return
    if kind in COMMANDS:
        _run_command(manager, session, kind)
    elif kind == "settings":
        session.apply(doc.get("settings"))
        if session.running:
            manager.play(session)
        session.notify()
    elif kind == "points":
        session.add_points(list(parse_points(doc.get("points"), "points", limits)))
        session.notify()
    else:
        raise InputError(
            f"unknown message type {kind!r}: use ping, settings, points, {', '.join(COMMANDS)}",
            "type",
            kind,
        )


async def _stream(ws: WebSocket, manager: SessionManager, limits: Limits) -> None:
    """One page's socket: send frames as training goes on, carry out its messages."""
    await ws.accept()
    try:
        session = manager.get(ws.path_params["sid"])
    except InputError as err:
        await ws.send_json({"type": "error", **err.to_dict()})
        await ws.close(code=4404)
        return
    changed = asyncio.Event()
    loop = asyncio.get_running_loop()
    session.attach(loop, lambda _msg: changed.set())
    changed.set()  # the first frame straight away

    async def sender() -> None:
        run, next_epoch, data_version, last = None, 0, None, 0.0
        while True:
            await changed.wait()
            # Fewer frames per page when many pages are open: frames cost CPU that
            # training needs (FRAME_SECONDS with up to four pages, then in proportion).
            interval = FRAME_SECONDS * max(1.0, manager.connected() / 4)
            wait = last + interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            changed.clear()
            if session.closed:
                return
            frame, data = await run_in_threadpool(_frame, session, run, next_epoch, data_version)
            if data is not None:
                await ws.send_text(json.dumps(data))
            await ws.send_text(json.dumps(frame, allow_nan=False))
            run, data_version = frame["run"], frame["dataVersion"]
            next_epoch = frame["epoch"] + 1
            last = time.monotonic()

    async def receiver() -> None:
        while True:
            raw = await ws.receive()
            if raw["type"] == "websocket.disconnect":
                return
            text = raw.get("text")
            body = text.encode("utf-8") if text is not None else (raw.get("bytes") or b"")
            session.touch()
            try:
                doc = parse_json_object(body, limits)
                await run_in_threadpool(_message, session, manager, doc, limits)
            except InputError as err:
                await ws.send_text(json.dumps({"type": "error", **err.to_dict()}, allow_nan=False))

    tasks = [asyncio.create_task(sender()), asyncio.create_task(receiver())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in done:
            exc = t.exception()
            if exc is not None and not isinstance(exc, (WebSocketDisconnect, RuntimeError)):
                raise exc
    finally:
        for t in tasks:
            t.cancel()
        session.detach()
        manager.close(session.id)  # closing the tab frees its session
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await ws.close()


def _frame(
    session: Session, run: int | None, next_epoch: int, data_version: int | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(frame, data message or None): history from where this page got to; data if new."""
    with session.lock:
        same_run = run == session.run_id
        frame = session.frame(next_epoch if same_run else 0)
        data = None
        if frame["dataVersion"] != data_version or not same_run:
            data = {"type": "data", "dataVersion": frame["dataVersion"], **session.trainer.data()}
    return frame, data
