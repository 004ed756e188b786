"""valuegrad.lecture's loops stop between two steps when their ``stop`` hook says so."""

from __future__ import annotations

import itertools

from valuegrad import lecture


def after(n: int):  # type: ignore[no-untyped-def]
    """A stop hook that says True from its n-th call on."""
    calls = itertools.count(1)
    return lambda: next(calls) >= n


def test_run_regression_stops_and_measures_final_after_the_last_update() -> None:
    r = lecture.run_regression(steps=1000, stop=after(40))
    assert r.interrupted and r.steps_done == 40 == len(r.losses)
    # the same 40 iterations, uninterrupted, leave the same network
    same = lecture.run_regression(steps=40)
    assert not same.interrupted and same.losses == r.losses
    assert r.final == same.final and r.model.weights == same.model.weights
    doc = r.to_dict()
    assert doc["interrupted"] is True and doc["steps_done"] == 40
    assert doc["settings"]["steps"] == 1000


def test_run_classification_stops_in_the_middle_of_an_epoch() -> None:
    # 225 training points, mini-batches of 20: 12 updates per epoch
    # asked 12 times per epoch (after 11 of its updates, then after its evaluation)
    r = lecture.run_classification(epochs=50, stop=after(30))
    h = r.history
    assert r.interrupted and h.steps == 30 and h.epochs_done == 2
    # accuracies are the model's after its 30th update, not after epoch 2
    full = lecture.run_classification(epochs=50)
    assert h.step_loss == full.history.step_loss[:30]
    assert r.final_accuracy == (r.train_accuracy, r.test_accuracy)
    doc = r.to_dict()
    assert doc["interrupted"] and doc["epochs_done"] == 2 and doc["steps"] == 30


def test_run_sweep_keeps_the_runs_done() -> None:
    # batch runs of 3 epochs are asked 2 + 1 times each (between epochs, then between
    # runs): stop during the second run
    sweep = lecture.run_sweep(3, epochs=3, modes=["batch"], stop=after(5))
    assert sweep.interrupted and len(sweep.runs) == 2
    assert [r.interrupted for r in sweep.runs] == [False, True]
    assert sweep.summarised_modes == ["batch"] and sweep.summary("batch").runs == 1
    doc = sweep.to_dict()
    assert doc["interrupted"] and doc["runs_done"] == {"batch": 1}
    assert list(doc["summary"]) == ["batch"] and len(doc["runs"]) == 2
    done = lecture.run_sweep(2, epochs=3, modes=["batch"], stop=lambda: False)
    assert not done.interrupted and done.to_dict()["runs_done"] == {"batch": 2}
