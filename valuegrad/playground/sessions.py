"""Sessions (one per browser tab) and the small pool of threads that trains them.

A :class:`Session` owns one :class:`~valuegrad.playground.training.Trainer` and a lock;
whoever touches the trainer (a trainer thread, a command from the page) holds the lock,
so a run is only ever advanced by one thread at a time and its numbers never depend on
the interleaving.

:class:`TrainerPool` runs the sessions that are playing round-robin, a short slice each
(at least one epoch, at most about ``slice_seconds``), in a fixed number of threads.
However many sessions play, the server uses at most that many threads for training, the
event loop is never blocked by it, and each playing session advances at a fair share.

After a slice, a session with a page connected gets a *frame* (its readouts, boundary
and neuron heatmaps), at most ``frame_interval`` seconds apart: the frame is built in the
trainer thread and handed to the event loop, where the WebSocket sends the newest one
(older frames that were not sent yet are dropped: the page only needs the latest).

:class:`SessionManager` creates, finds and closes sessions within the bounds of
:class:`~valuegrad.playground.validation.Limits`: at most ``max_sessions`` at once, and a
session without a connected page and without requests for ``idle_timeout`` seconds
expires.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from valuegrad.playground.training import DivergedError, Trainer
from valuegrad.playground.validation import LIMITS, InputError, Limits, Settings, apply_settings

__all__ = ["Session", "SessionManager", "TooManySessionsError", "TrainerPool"]


class TooManySessionsError(RuntimeError):
    """The server already has ``max_sessions`` sessions."""


class Session:
    """One tab's run: settings, trainer, whether it plays, and the page it streams to."""

    def __init__(self, sid: str, settings: Settings, limits: Limits) -> None:
        self.id = sid
        self.limits = limits
        self.lock = threading.RLock()
        self.settings = settings
        self.trainer = Trainer(settings)
        self.running = False
        self.closed = False
        self.run_id = 1  # a new run (reset, new data or network) gets a new number
        self.data_version = 1
        self.note: str | None = None
        self.last_seen = time.monotonic()
        # the event loop's side: the connected page, if any
        self.sockets = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: Callable[[dict[str, Any]], None] | None = None
        self.last_frame = 0.0
        # set by the pool, under its condition
        self.queued = False

    # ------------------------------------------------------------ commands (hold the lock)
    def touch(self) -> None:
        """Record activity from the client (it keeps the session from expiring)."""
        self.last_seen = time.monotonic()

    def apply(self, changes: dict[str, Any]) -> None:
        """Change settings: a new run if the data, network or optimizer changed."""
        with self.lock:
            new = apply_settings(self.settings, changes, self.limits)
            self._switch(new)

    def _switch(self, new: Settings) -> None:
        old = self.settings
        if new.run_key() != old.run_key() or self.trainer.error:
            self.trainer = Trainer(new)
            self.run_id += 1
            if new.data_key() != old.data_key() or new.added != old.added:
                self.data_version += 1
        else:
            self.trainer.update(new)
        self.settings = new
        self.note = None

    def add_points(self, points: list[tuple[float, float, int]]) -> None:
        """Add clicked points to the training set; the run goes on with them."""
        with self.lock:
            new = apply_settings(
                self.settings, {"added": [*self.settings.added, *points]}, self.limits
            )
            if self.trainer.error:
                self._switch(new)
            else:
                self.trainer.add_points(new, points)
                self.settings = new
            self.data_version += 1

    def reset(self) -> None:
        """Start the run again from epoch 0 (same settings, same seed: the same numbers)."""
        with self.lock:
            self.trainer = Trainer(self.settings)
            self.run_id += 1
            self.note = None

    def step(self) -> None:
        """Pause, and train exactly one epoch."""
        with self.lock:
            self.running = False
            self.train_epochs(1, deadline=None)

    def fail(self, message: str) -> None:
        """Stop this session's training with ``message`` for the page (the others go on)."""
        with self.lock:
            self.running = False
            self.trainer.error = message

    def train_epochs(self, at_most: int | None, deadline: float | None) -> None:
        """Train until ``at_most`` epochs or the deadline; stop on divergence or at the cap."""
        with self.lock:
            done = 0
            while True:
                if self.trainer.error:
                    self.running = False
                    return
                if self.trainer.epoch >= self.limits.max_epochs:
                    self.running = False
                    self.note = (
                        f"paused at {self.limits.max_epochs:,} epochs, the most one run may have; "
                        "reset to start again"
                    )
                    return
                try:
                    self.trainer.run_epoch()
                except DivergedError:
                    self.running = False
                    return
                done += 1
                if at_most is not None and done >= at_most:
                    return
                if deadline is not None and time.monotonic() >= deadline:
                    return

    # ------------------------------------------------------------ reading
    def state(self) -> dict[str, Any]:
        """The readouts and settings, JSON-ready."""
        with self.lock:
            return {
                "id": self.id,
                "running": self.running,
                "run": self.run_id,
                "dataVersion": self.data_version,
                "note": self.note,
                **self.trainer.summary(),
                "settings": self.settings.to_dict(with_custom=False),
            }

    def frame(self, history_from: int = 0) -> dict[str, Any]:
        """A full update for the page: state, history since ``history_from``, the picture."""
        with self.lock:
            state = self.state()
            return {
                "type": "frame",
                **state,
                "historyFrom": history_from,
                "history": self.trainer.history(history_from),
                "picture": self.trainer.picture(),
            }

    # ------------------------------------------------------------ streaming
    def attach(
        self, loop: asyncio.AbstractEventLoop, listener: Callable[[dict[str, Any]], None]
    ) -> None:
        """Stream frames to ``listener``, called in ``loop`` (one page per session)."""
        self._loop, self._listener = loop, listener
        self.sockets += 1
        self.touch()

    def detach(self) -> None:
        """The page's socket closed."""
        self.sockets = max(0, self.sockets - 1)
        self._listener = None
        self.touch()

    def notify(self) -> None:
        """Tell the connected page (if any) that a new frame can be sent."""
        loop, listener = self._loop, self._listener
        if loop is None or listener is None or self.closed:
            return
        # a RuntimeError means the loop is closing: the server is stopping
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(listener, {"type": "changed"})


class TrainerPool:
    """A fixed number of threads that train the playing sessions round-robin, a slice each."""

    def __init__(self, threads: int = 2, slice_seconds: float = 0.02) -> None:
        self._queue: collections.deque[Session] = collections.deque()
        self._cv = threading.Condition()
        self._stopping = False
        self.slice_seconds = slice_seconds
        self._threads = [
            threading.Thread(target=self._work, name=f"playground-trainer-{k}", daemon=True)
            for k in range(threads)
        ]
        for t in self._threads:
            t.start()

    def schedule(self, session: Session) -> None:
        """Queue a playing session (no-op if it is queued or being trained already)."""
        with self._cv:
            if not session.queued and not self._stopping:
                session.queued = True
                self._queue.append(session)
                self._cv.notify()

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._stopping:
                    self._cv.wait()
                if self._stopping:
                    return
                session = self._queue.popleft()
            if session.running and not session.closed:
                try:
                    session.train_epochs(None, time.monotonic() + self.slice_seconds)
                except Exception as err:  # one session's failure stops it, not the thread
                    session.fail(f"training stopped: {type(err).__name__}: {err}")
                session.notify()
            with self._cv:
                if session.running and not session.closed and not self._stopping:
                    self._queue.append(session)  # to the back: round-robin
                    self._cv.notify()
                else:
                    session.queued = False

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the threads (after their current slice)."""
        with self._cv:
            self._stopping = True
            self._queue.clear()
            self._cv.notify_all()
        for t in self._threads:
            t.join(timeout)


class SessionManager:
    """All sessions, within the bounds: a cap on their number and an idle timeout."""

    def __init__(self, limits: Limits = LIMITS, threads: int = 2) -> None:
        self.limits = limits
        self.pool = TrainerPool(threads)
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def connected(self) -> int:
        """How many sessions have a page connected."""
        return sum(1 for s in list(self._sessions.values()) if s.sockets)

    def create(self, settings: Settings) -> Session:
        """A new session; TooManySessionsError at the cap."""
        with self._lock:
            if len(self._sessions) >= self.limits.max_sessions:
                raise TooManySessionsError(
                    f"the server already has {len(self._sessions)} sessions, the most it allows "
                    f"(--max-sessions {self.limits.max_sessions}); close a tab or wait for an idle "
                    f"session to expire ({self.limits.idle_timeout:g} s)"
                )
            sid = secrets.token_urlsafe(12)
            session = Session(sid, settings, self.limits)
            self._sessions[sid] = session
            return session

    def get(self, sid: str) -> Session:
        """The session with this id; InputError (404) if there is none."""
        session = self._sessions.get(sid)
        if session is None or session.closed:
            raise InputError(
                f"no session {sid!r}: it was closed or expired; reload the page",
                "session",
                sid,
                404,
            )
        session.touch()
        return session

    def play(self, session: Session) -> None:
        """Start (or keep) training the session in the pool."""
        with session.lock:
            if session.trainer.error:
                return
            session.running = True
        self.pool.schedule(session)

    def pause(self, session: Session) -> None:
        """Stop training after the current slice."""
        with session.lock:
            session.running = False

    def close(self, sid: str) -> bool:
        """Close and forget a session; False if it was not there."""
        with self._lock:
            session = self._sessions.pop(sid, None)
        if session is None:
            return False
        session.closed = True
        session.running = False
        return True

    def expire(self, now: float | None = None) -> list[str]:
        """Close the sessions idle for longer than the timeout; returns their ids."""
        now = time.monotonic() if now is None else now
        idle = [
            s.id
            for s in list(self._sessions.values())
            if s.sockets == 0 and now - s.last_seen > self.limits.idle_timeout
        ]
        for sid in idle:
            self.close(sid)
        return idle

    def shutdown(self) -> None:
        """Close every session and stop the trainer threads."""
        for sid in list(self._sessions):
            self.close(sid)
        self.pool.stop()
