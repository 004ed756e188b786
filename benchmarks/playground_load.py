"""The playground under load: many sessions training at once against one real server.

Run:  python -m benchmarks.playground_load   [--sessions 20] [--seconds 20]

Starts ``valuegrad playground --port 0 --no-browser`` in a subprocess, opens one
WebSocket per session (as a browser tab would, so the server streams frames to every
one), creates the sessions with different settings, presses play on all of them, and for
``--seconds`` seconds:

* asks ``GET /healthz`` every 50 ms and records how long each answer takes;
* reads the server's resident memory (RSS, from /proc) every half second.

Then it pauses every session, downloads each one's history, and trains the same
settings alone in this process (``valuegrad.playground.training.Trainer``, one session,
no server, no threads) for the same number of epochs: every session's losses must equal
that single run exactly. It prints the latency percentiles, the RSS over time, the epochs
each session got, and whether every session's losses were equal. Only loopback traffic.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LoadResult", "main", "run", "session_settings"]

ACTIVATIONS = ("tanh", "relu", "sigmoid", "softplus")
DATASETS = ("moons", "circles", "xor", "gaussians", "spiral")


def session_settings(k: int) -> dict[str, Any]:
    """Settings for the k-th session: a mix of data sets, networks, optimizers and modes."""
    return {
        "dataset": DATASETS[k % len(DATASETS)],
        "activation": ACTIVATIONS[k % len(ACTIVATIONS)],
        "layers": [4 + k % 5, 2 + k % 3],
        "optimizer": ("sgd", "momentum", "adam")[k % 3],
        "lr": (0.1, 0.03, 0.01)[k % 3],
        "mode": "batch" if k % 4 == 3 else "stochastic",
        "l2": 0.001 if k % 2 else 0.0,
        "seed": k,
    }


@dataclass
class LoadResult:
    """What one load run measured."""

    sessions: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, one per /healthz
    statuses: list[int] = field(default_factory=list)
    rss: list[tuple[float, int]] = field(default_factory=list)  # (t, bytes)
    epochs: list[int] = field(default_factory=list)
    equal: list[bool] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        """The q-th percentile of the /healthz latencies (nearest rank), in seconds."""
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, max(0, round(q / 100 * len(xs) + 0.5) - 1))]

    @property
    def rss_growth(self) -> int:
        """Largest RSS minus the RSS once every session was made, in bytes."""
        return max(b for _, b in self.rss) - self.rss[0][1]


def _request(url: str, method: str = "GET", body: dict | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")  # pragma: no cover


def run(sessions: int = 20, seconds: float = 20.0, *, check: bool = True) -> LoadResult:
    """Run the scenario against a fresh server; returns what was measured."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "valuegrad",
            "playground",
            "--port",
            "0",
            "--no-browser",
            "--max-sessions",
            str(max(sessions, 1)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    result = LoadResult(sessions, seconds)
    sockets = contextlib.ExitStack()  # one WebSocket per session, closed at the end
    readers: list[threading.Thread] = []
    try:
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the server did not start: {proc.stderr.read()}")
        ids = []
        for k in range(sessions):
            status, doc = _request(url + "api/sessions", "POST", session_settings(k))
            if status != 201:
                raise RuntimeError(f"session {k}: HTTP {status}: {doc}")
            ids.append(doc["id"])
        result.frames = [0] * sessions

        def read(k: int, ws: Any) -> None:
            try:
                for message in ws:
                    if '"type": "frame"' in message[:40]:
                        result.frames[k] += 1
            except ConnectionClosed:  # the socket closes at the end of the run
                return

        ws_base = url.replace("http://", "ws://")
        for k, sid in enumerate(ids):
            ws = sockets.enter_context(connect(f"{ws_base}api/sessions/{sid}/ws", max_size=None))
            readers.append(threading.Thread(target=read, args=(k, ws), daemon=True))
            readers[-1].start()
        result.rss.append((0.0, _rss(proc.pid)))
        for sid in ids:
            _request(f"{url}api/sessions/{sid}/play", "POST")
        start = time.monotonic()
        next_rss = start + 0.5
        while (now := time.monotonic()) < start + seconds:
            t0 = time.perf_counter()
            status, _ = _request(url + "healthz")
            result.latencies.append(time.perf_counter() - t0)
            result.statuses.append(status)
            if now >= next_rss:
                result.rss.append((now - start, _rss(proc.pid)))
                next_rss += 0.5
            time.sleep(0.05)
        for sid in ids:
            _request(f"{url}api/sessions/{sid}/pause", "POST")
        time.sleep(0.3)  # a slice under way finishes
        histories = [_request(f"{url}api/sessions/{sid}/history")[1] for sid in ids]
        result.rss.append((time.monotonic() - start, _rss(proc.pid)))
    finally:
        sockets.close()
        proc.send_signal(2)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.communicate()
    if check:
        from valuegrad.playground.training import Trainer
        from valuegrad.playground.validation import Settings, apply_settings

        for k, doc in enumerate(histories):
            h = doc["history"]
            result.epochs.append(doc["epoch"])
            alone = Trainer(apply_settings(Settings(), session_settings(k)))
            for _ in range(doc["epoch"]):
                alone.run_epoch()
            result.equal.append(
                h["testLoss"] == alone.test_loss.tolist()
                and h["trainLoss"] == alone.train_loss.tolist()
            )
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the scenario and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    r = run(args.sessions, args.seconds)
    ms = 1000.0
    print(f"{r.sessions} sessions training for {r.seconds:g} s, one WebSocket each")
    print(
        f"/healthz: {len(r.latencies)} requests, all 200: {all(s == 200 for s in r.statuses)}; "
        f"p50 {r.percentile(50) * ms:.1f} ms, p95 {r.percentile(95) * ms:.1f} ms, "
        f"max {max(r.latencies) * ms:.1f} ms"
    )
    samples = [*r.rss[:: max(1, len(r.rss) // 8)], r.rss[-1]]
    print("RSS: " + ", ".join(f"{t:.1f} s {b / 2**20:.0f} MiB" for t, b in samples))
    print(f"RSS growth after the sessions were made: {r.rss_growth / 2**20:.1f} MiB")
    print(f"epochs per session: min {min(r.epochs)}, max {max(r.epochs)}, total {sum(r.epochs)}")
    print(f"frames per session: min {min(r.frames)}, max {max(r.frames)}")
    print(f"every session's losses equal a single-session run: {all(r.equal)}")
    return 0 if all(r.equal) and all(s == 200 for s in r.statuses) else 1


if __name__ == "__main__":
    raise SystemExit(main())
