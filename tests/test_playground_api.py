"""The playground's HTTP and WebSocket API (Starlette's TestClient): validation, bounds, expiry."""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import replace

import numpy as np
import pytest
from starlette.testclient import TestClient

from valuegrad.playground.app import create_app
from valuegrad.playground.training import Trainer
from valuegrad.playground.validation import LIMITS, Settings, apply_settings


@pytest.fixture
def client():
    with TestClient(create_app(LIMITS, threads=2)) as c:
        yield c


def new_session(client: TestClient, **settings) -> str:
    r = client.post("/api/sessions", json=settings)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def wait_for(predicate, timeout: float = 20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_healthz_limits_and_the_page(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"ok": True, "sessions": 0}
    assert client.get("/api/limits").json()["max_points"] == LIMITS.max_points
    page = client.get("/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for testid in (
        "dataset",
        "noise",
        "lr",
        "mode",
        "batch-size",
        "activation",
        "layers",
        "play",
        "pause",
        "step",
        "reset",
        "epoch",
        "train-loss",
        "test-loss",
        "test-accuracy",
        "boundary",
    ):
        assert f'data-testid="{testid}"' in page.text, testid
    # every asset the page names is served by the app itself (no outside address)
    for src in re.findall(r'(?:src|href)="([^"#]+)"', page.text):
        assert src.startswith("/static/") or src.startswith("data:"), src
        if src.startswith("/static/"):
            assert client.get(src).status_code == 200


def test_a_new_session_reports_the_untrained_network(client: TestClient) -> None:
    r = client.post("/api/sessions", json={"dataset": "xor", "layers": [3], "seed": 4})
    state = r.json()
    assert state["epoch"] == 0 and state["running"] is False
    assert state["settings"]["layers"] == [3] and state["settings"]["dataset"] == "xor"
    # the same numbers as a trainer built by hand from the same settings
    alone = Trainer(apply_settings(Settings(), {"dataset": "xor", "layers": [3], "seed": 4}))
    assert state["testLoss"] == alone.test_loss[0]
    assert client.get("/healthz").json()["sessions"] == 1


@pytest.mark.parametrize(
    ("body", "field", "value"),
    [
        ({"lr": -1}, "lr", -1),
        ({"lr": 0}, "lr", 0),
        ({"lr": 11}, "lr", 11),
        ({"noise": 5}, "noise", 5),
        ({"batchSize": 0}, "batchSize", 0),
        ({"layers": [4, 9]}, "layers", [4, 9]),
        ({"layers": [1, 1, 1, 1, 1, 1, 1]}, "layers", [1, 1, 1, 1, 1, 1, 1]),
        ({"layers": "4,x"}, "layers", "4,x"),
        ({"activation": "gelu"}, "activation", "gelu"),
        ({"dataset": "iris"}, "dataset", "iris"),
        ({"mode": "online"}, "mode", "online"),
        ({"optimizer": "rmsprop"}, "optimizer", "rmsprop"),
        ({"seed": -1}, "seed", -1),
        ({"points": 5000}, "points", 5000),
        ({"trainPercent": 95}, "trainPercent", 95),
        ({"l2": "a lot"}, "l2", "a lot"),
        ({"wat": 1}, "wat", None),
        ({"added": [[0, 0, 2]]}, "added", [0, 0, 2]),
    ],
)
def test_bad_settings_are_422_naming_the_field_and_value(client, body, field, value) -> None:
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 422, r.text
    doc = r.json()
    assert doc["field"] == field and doc["value"] == value
    assert field in doc["error"]
    sid = new_session(client)
    r = client.post(f"/api/sessions/{sid}/settings", json=body)
    assert r.status_code == 422 and r.json()["field"] == field
    # nothing was applied: the session runs its old settings
    assert client.get(f"/api/sessions/{sid}").json()["settings"] == Settings().to_dict(
        with_custom=False
    )


def test_malformed_bodies_are_400_and_huge_ones_413(client: TestClient) -> None:
    sid = new_session(client)
    for raw in (b"{nope", b"[1, 2]", b"\xff\xfe"):
        r = client.post(f"/api/sessions/{sid}/settings", content=raw)
        assert r.status_code == 400, raw
        assert r.json()["field"] == "body"
    r = client.post(f"/api/sessions/{sid}/settings", content=b" " * (LIMITS.max_message_bytes + 1))
    assert r.status_code == 413
    r = client.post(f"/api/sessions/{sid}/points", json={"points": [[0, 0, 1]], "extra": 1})
    assert r.status_code == 422
    assert client.post("/api/sessions/nope/step").status_code == 404
    assert client.post(f"/api/sessions/{sid}/jump").status_code == 404


def test_step_trains_exactly_one_epoch_like_a_trainer_alone(client: TestClient) -> None:
    sid = new_session(client, layers=[5, 3], optimizer="adam", lr=0.03, seed=7)
    states = [client.post(f"/api/sessions/{sid}/step").json() for _ in range(3)]
    assert [s["epoch"] for s in states] == [1, 2, 3]
    alone = Trainer(
        apply_settings(Settings(), {"layers": [5, 3], "optimizer": "adam", "lr": 0.03, "seed": 7})
    )
    for _ in range(3):
        alone.run_epoch()
    assert states[-1]["trainLoss"] == alone.train_loss[-1]
    assert states[-1]["testAccuracy"] == alone.test_accuracy[-1]
    history = client.get(f"/api/sessions/{sid}/history").json()["history"]
    assert history["testLoss"] == alone.test_loss.tolist()
    assert history["seenLoss"] == [None, *alone.seen_loss.tolist()]


def test_play_then_pause_stops_the_epochs(client: TestClient) -> None:
    sid = new_session(client)
    assert client.post(f"/api/sessions/{sid}/play").json()["running"] is True
    wait_for(lambda: client.get(f"/api/sessions/{sid}").json()["epoch"] >= 5)
    paused = client.post(f"/api/sessions/{sid}/pause").json()
    assert paused["running"] is False
    time.sleep(0.2)  # a slice under way when pause arrived may finish
    first = client.get(f"/api/sessions/{sid}").json()["epoch"]
    time.sleep(0.3)
    assert client.get(f"/api/sessions/{sid}").json()["epoch"] == first
    # reset: epoch 0 and the very first numbers again
    reset = client.post(f"/api/sessions/{sid}/reset").json()
    assert reset["epoch"] == 0
    assert reset["testLoss"] == Trainer(Settings()).test_loss[0]


def test_csv_upload_replaces_the_data_and_bad_csvs_name_the_line(client: TestClient) -> None:
    sid = new_session(client)
    rows = "x,y,label\n" + "\n".join(f"{i / 10},{-i / 10},{i % 2}" for i in range(20)) + "\n"
    r = client.post(f"/api/sessions/{sid}/csv", content=rows.encode())
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["dataset"] == "custom"
    assert r.json()["settings"]["custom"] == 20  # the rows are counted, not echoed
    manager = client.app.state.manager
    trainer = manager.get(sid).trainer
    assert len(trainer.y_train) + len(trainer.y_test) == 20
    assert sorted(trainer.X_train[:, 0].tolist() + trainer.X_test[:, 0].tolist()) == [
        i / 10 for i in range(20)
    ]
    bad = {
        b"1,2\n3,4,1\n": "line 1: expected 3 columns",
        b"1,2,1\n3,4,0\n5,6,2\n7,8,1\n": "line 3: the label must be 0 or 1",
        b"1,2,1\n3,four,0\n5,6,0\n7,8,1\n": "line 2: x, y and label must be numbers",
        b"1,2,1\n3,4,1\n5,6,1\n7,8,1\n": "both classes",
        b"1,2,1\n3,nan,0\n5,6,0\n7,8,1\n": "line 2: y must be a finite number",
        b"1,2,1\n": "at least 4 rows",
    }
    for body, message in bad.items():
        r = client.post(f"/api/sessions/{sid}/csv", content=body)
        assert r.status_code == 422, body
        assert message in r.json()["error"] and r.json()["field"] == "csv"
    r = client.post(f"/api/sessions/{sid}/csv", content=b"0,0,1\n" * 20000)
    assert r.status_code == 413 and "limit" in r.json()["error"]
    # the failed uploads left the session as it was
    assert client.get(f"/api/sessions/{sid}").json()["settings"]["custom"] == 20


def test_added_points_join_the_training_set_and_keep_the_weights(client: TestClient) -> None:
    sid = new_session(client)
    client.post(f"/api/sessions/{sid}/step")
    session = client.app.state.manager.get(sid)
    before = session.trainer.model.weights
    n = len(session.trainer.y_train)
    r = client.post(f"/api/sessions/{sid}/points", json={"points": [[0.5, 2.0, 1], [1, -1, 0]]})
    assert r.status_code == 200
    assert r.json()["epoch"] == 1 and r.json()["settings"]["added"] == [[0.5, 2.0, 1], [1, -1, 0]]
    assert len(session.trainer.y_train) == n + 2
    assert session.trainer.X_train[-2:].tolist() == [[0.5, 2.0], [1.0, -1.0]]
    assert session.trainer.model.weights == before
    too_many = [[0, 0, 0]] * (LIMITS.max_points - 200 + 1)
    r = client.post(f"/api/sessions/{sid}/points", json={"points": too_many})
    assert r.status_code == 422 and f"at most {LIMITS.max_points} points" in r.json()["error"]


def test_the_number_of_sessions_is_bounded() -> None:
    with TestClient(create_app(replace(LIMITS, max_sessions=2), threads=1)) as client:
        new_session(client)
        new_session(client)
        r = client.post("/api/sessions", json={})
        assert r.status_code == 503 and "2 sessions" in r.json()["error"]


def test_idle_sessions_expire_and_closed_ones_are_gone() -> None:
    with TestClient(create_app(replace(LIMITS, idle_timeout=30.0), threads=1)) as client:
        manager = client.app.state.manager
        idle, busy = new_session(client), new_session(client)
        assert manager.expire(time.monotonic() + 10) == []
        client.get(f"/api/sessions/{busy}")  # activity
        manager.get(idle).last_seen -= 25
        assert manager.expire(time.monotonic() + 10) == [idle]
        r = client.get(f"/api/sessions/{idle}")
        assert r.status_code == 404 and "expired" in r.json()["error"]
        assert client.delete(f"/api/sessions/{busy}").status_code == 200
        assert client.get(f"/api/sessions/{busy}").status_code == 404
        assert client.get("/healthz").json()["sessions"] == 0


def _numpy_loss(model_doc: dict, x: float, y: float, label: int) -> float:
    """An independent forward pass from the saved weights: tanh hidden layers, softmax CE."""
    a = np.array([x, y])
    layers = list(zip(model_doc["weights"], model_doc["biases"], strict=True))
    for k, (W, b) in enumerate(layers):
        z = np.array(W) @ a + np.array(b)
        a = np.tanh(z) if k < len(layers) - 1 else z
    m = a.max()
    return float(m + math.log(np.exp(a - m).sum()) - a[label])


def test_explain_shows_the_point_and_the_loss_the_engine_computes(client: TestClient) -> None:
    sid = new_session(client)
    for _ in range(3):
        client.post(f"/api/sessions/{sid}/step")
    doc = client.get(f"/api/sessions/{sid}/model").json()
    assert doc["format"] == "valuegrad.nn.MLP" and doc["sizes"] == [4, 4, 2]
    r = client.get(f"/api/sessions/{sid}/explain", params={"x": 0.25, "y": -0.5, "label": 1})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    html = r.text
    shown = dict(re.findall(r'data-testid="(explain-[a-z]+)"\s+data-value="([^"]+)"', html))
    assert float(shown["explain-x"]) == 0.25 and float(shown["explain-y"]) == -0.5
    assert shown["explain-label"] == "1"
    assert float(shown["explain-loss"]) == pytest.approx(_numpy_loss(doc, 0.25, -0.5, 1), rel=1e-12)
    assert "<svg" in html and "at epoch 3" in html and 'class="vg-explorer"' in html
    # nothing is fetched: no attribute points anywhere, and the policy allows only the
    # explorer's own inline script (by its hash)
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?(?:https?:|//)""", html)
    assert "script-src 'sha256-" in r.headers["content-security-policy"]
    for params, field in (
        ({"x": "a", "y": 0, "label": 0}, "x"),
        ({"x": 0, "y": 0, "label": 3}, "point"),
        ({"x": 0, "label": 0}, "y"),
        ({"x": 1e9, "y": 0, "label": 0}, "point x"),
    ):
        r = client.get(f"/api/sessions/{sid}/explain", params=params)
        assert r.status_code == 422 and r.json()["field"].startswith(field.split()[0]), params


def test_the_model_download_loads_back_with_nn_load(client: TestClient, tmp_path) -> None:
    import nn

    sid = new_session(client, layers=[3])
    client.post(f"/api/sessions/{sid}/step")
    r = client.get(f"/api/sessions/{sid}/model")
    assert "attachment" in r.headers["content-disposition"]
    path = tmp_path / "m.json"
    path.write_text(r.text)
    model = nn.load(path)
    trained = client.app.state.manager.get(sid).trainer.model
    assert model.weights == trained.weights and model.biases == trained.biases


def test_websocket_frames_commands_and_bad_messages(client: TestClient) -> None:
    sid = new_session(client, layers=[2])
    with client.websocket_connect(f"/api/sessions/{sid}/ws") as ws:
        data = ws.receive_json()
        assert data["type"] == "data" and len(data["train"]) == 100 and len(data["test"]) == 100
        frame = ws.receive_json()
        assert frame["type"] == "frame" and frame["epoch"] == 0
        pic = frame["picture"]
        assert [len(layer["neurons"]) for layer in pic["layers"]] == [2, 2]
        assert len(frame["history"]["testLoss"]) == 1
        ws.send_text(json.dumps({"type": "step"}))
        frame = ws.receive_json()
        assert frame["epoch"] == 1 and frame["historyFrom"] == 1
        assert len(frame["history"]["testLoss"]) == 1  # only what the page does not have
        ws.send_text("{oops")
        err = ws.receive_json()
        assert err["type"] == "error" and "not valid JSON" in err["error"]
        ws.send_text(json.dumps({"type": "jump"}))
        err = ws.receive_json()
        assert err["type"] == "error" and err["field"] == "type" and err["value"] == "jump"
        ws.send_text(json.dumps({"type": "settings", "settings": {"lr": 99}}))
        err = ws.receive_json()
        assert err["field"] == "lr" and err["value"] == 99
        ws.send_text(json.dumps({"type": "settings", "settings": {"layers": [3]}}))
        msgs = [ws.receive_json(), ws.receive_json()]
        frame = next(m for m in msgs if m["type"] == "frame")
        assert frame["epoch"] == 0 and [len(x["neurons"]) for x in frame["picture"]["layers"]] == [
            3,
            2,
        ]
    # closing the socket (the tab) frees the session
    wait_for(lambda: client.get(f"/api/sessions/{sid}").status_code == 404, 5)


def test_a_socket_for_an_unknown_session_gets_an_error(client: TestClient) -> None:
    with client.websocket_connect("/api/sessions/nope/ws") as ws:
        err = ws.receive_json()
        assert err["type"] == "error" and err["field"] == "session"


def test_sessions_are_independent_and_equal_to_a_run_alone(client: TestClient) -> None:
    a = new_session(client, seed=1)
    b = new_session(client, seed=2, activation="relu", layers=[6])
    client.post(f"/api/sessions/{a}/play")
    client.post(f"/api/sessions/{b}/play")
    assert client.post(f"/api/sessions/{b}/settings", json={"lr": -3}).status_code == 422
    wait_for(lambda: all(client.get(f"/api/sessions/{s}").json()["epoch"] >= 10 for s in (a, b)))
    for s in (a, b):
        client.post(f"/api/sessions/{s}/pause")
    time.sleep(0.2)
    for sid, changes in ((a, {"seed": 1}), (b, {"seed": 2, "activation": "relu", "layers": [6]})):
        history = client.get(f"/api/sessions/{sid}/history").json()["history"]
        alone = Trainer(apply_settings(Settings(), changes))
        for _ in range(len(history["testLoss"]) - 1):
            alone.run_epoch()
        assert history["testLoss"] == alone.test_loss.tolist()
        assert history["trainLoss"] == alone.train_loss.tolist()


def test_the_host_header_must_name_this_machine() -> None:
    app = create_app(LIMITS, threads=1, allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://evil.example") as client:
        assert client.get("/healthz").status_code == 400
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("raw", "status", "words"),
    [
        (b'{"layers": [NaN]}', 400, "not usable JSON"),  # NaN is not JSON
        (b'{"lr": ' + b"9" * 5000 + b"}", 400, "not usable JSON"),  # past int's digit limit
        (b"[" * 100_000 + b"]" * 100_000, 400, "not usable JSON"),  # nested too deeply
    ],
)
def test_bodies_json_cannot_carry_are_400_never_500(
    client: TestClient, raw: bytes, status: int, words: str
) -> None:
    sid = new_session(client)
    r = client.post(
        f"/api/sessions/{sid}/settings", content=raw, headers={"content-type": "application/json"}
    )
    assert r.status_code == status, r.text
    assert words in r.json()["error"]
    assert client.get(f"/api/sessions/{sid}").status_code == 200  # the session is unharmed


def test_an_error_about_a_non_finite_value_is_valid_json(client: TestClient) -> None:
    sid = new_session(client)
    r = client.get(f"/api/sessions/{sid}/explain", params={"x": 0, "y": 0, "label": "nan"})
    assert r.status_code == 422
    doc = json.loads(r.text)  # strict JSON: no NaN literal in it
    assert doc["field"] in ("label", "point") and "nan" in json.dumps(doc)


def test_a_deeply_nested_message_on_the_socket_is_an_error_frame(client: TestClient) -> None:
    sid = new_session(client, layers=[2])
    with client.websocket_connect(f"/api/sessions/{sid}/ws") as ws:
        ws.receive_json()  # data
        ws.receive_json()  # frame
        ws.send_text("[" * 50_000 + "]" * 50_000)
        err = ws.receive_json()
        assert err["type"] == "error" and "not usable JSON" in err["error"]
        ws.send_text(json.dumps({"type": "step"}))
        assert ws.receive_json()["epoch"] == 1  # the session is still there
        assert client.get(f"/api/sessions/{sid}").status_code == 200


def test_a_point_of_a_diverged_run_is_a_422_with_a_message(client: TestClient) -> None:
    sid = new_session(client, activation="relu", layers=[4, 4])
    trainer = client.app.state.manager.get(sid).trainer
    for p in trainer.model.parameters():  # weights a diverged run can leave behind
        p.data = 1e200
    r = client.get(f"/api/sessions/{sid}/explain", params={"x": 0.5, "y": 0.5, "label": 0})
    assert r.status_code == 422, r.text
    assert "cannot be computed at the current weights" in r.json()["error"]


def test_a_session_whose_training_fails_stops_alone(client: TestClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    manager = client.app.state.manager
    bad, good = new_session(client, layers=[2]), new_session(client, layers=[2])
    broken = manager.get(bad).trainer

    def explode() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(broken, "run_epoch", explode)
    for sid in (bad, good):
        assert client.post(f"/api/sessions/{sid}/play").status_code == 200
    wait_for(lambda: client.get(f"/api/sessions/{good}").json()["epoch"] >= 5)
    state = client.get(f"/api/sessions/{bad}").json()
    assert not state["running"] and "boom" in state["error"]
    # both trainer threads are still alive: a new session trains too
    third = new_session(client, layers=[2])
    client.post(f"/api/sessions/{third}/play")
    wait_for(lambda: client.get(f"/api/sessions/{third}").json()["epoch"] >= 3)
