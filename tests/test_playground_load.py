"""The load scenario of ``benchmarks/playground_load.py``, short: the properties, not the speed.

20 sessions (one WebSocket each) train at once for a few seconds against a real server.
Asserted: every session's losses equal a single-session run with the same settings and
seed (to the bit), every ``/healthz`` was answered 200, the server's memory grew by less
than 150 MiB, and a generous responsiveness guard (95th percentile under 1 s; the
benchmark reports the real figures).
"""

from __future__ import annotations

import pytest

from benchmarks.playground_load import run

RSS_GROWTH_BOUND = 150 * 2**20


@pytest.mark.slow
def test_twenty_sessions_at_once_equal_single_runs() -> None:
    r = run(sessions=20, seconds=3.0)
    assert len(r.equal) == 20 and all(r.equal), r.equal
    assert all(e > 0 for e in r.epochs), r.epochs  # every session trained
    assert r.statuses and all(s == 200 for s in r.statuses)
    assert r.rss_growth < RSS_GROWTH_BOUND, r.rss
    assert min(r.frames) > 0  # every page received frames
