"""Plan runs and ticks as they travel in a sync (cards/sync.py carries them in the Anki collection's
configuration, which Anki syncs and leaves alone; each device writes its own entry, so none overwrites
another's).

A run is the same run everywhere by its plan's key and the moment it was started. What comes in is
merged, never taken away: a run started on another device is started here, one stopped there stops here,
and a task ticked there is ticked here. An untick does not travel (the tick made elsewhere would come
back), nor does a run's move to other dates (shift, spread): those stay on the device that made them.
"""

from __future__ import annotations

from typing import Any

from cards.changes import Changes
from cards.store import Store

VERSION = 1


def outgoing(store: Store) -> dict[str, Any]:
    """This device's runs, their days and their tasks with the moment each was ticked."""
    runs = []
    for run_id, plan_key, start, exam, color, stopped, created_ms in store.db.execute(
        "SELECT r.id, p.key, r.start, r.exam, r.color, r.stopped, r.created_ms FROM plan_run r "
        "JOIN plan p ON p.id = r.plan_id ORDER BY r.id"
    ).fetchall():
        days = store.db.execute("SELECT day, date FROM run_day WHERE run_id = ? ORDER BY day", (run_id,)).fetchall()
        tasks = store.db.execute(
            "SELECT t.day, t.position, rt.date, rt.done_ms FROM run_task rt JOIN plan_task t ON t.id = rt.task_id "
            "WHERE rt.run_id = ? ORDER BY t.day, t.position",
            (run_id,),
        ).fetchall()
        runs.append({"plan": plan_key, "created_ms": created_ms, "start": start, "exam": exam, "color": color,
                     "stopped": bool(stopped), "days": days, "tasks": tasks})  # fmt: skip
    return {"version": VERSION, "runs": runs}


def incoming(store: Store, data: Any) -> int:
    """Merge another device's runs and ticks into this store; returns how many runs and ticks changed here.
    What this version cannot read (a later version's entry, a plan this store lacks) is left alone."""
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("runs"), list):
        return 0
    new_runs: list[tuple] = []  # read first: a sync that brings nothing new must not end the undo history
    stops: list[int] = []
    ticks: list[tuple[int, int, int]] = []
    db = store.db
    for run in data["runs"]:
        plan = db.execute("SELECT id FROM plan WHERE key = ?", (run.get("plan"),)).fetchone()
        if plan is None:
            continue
        (plan_id,) = plan
        task_ids = {(day, position): task_id for task_id, day, position in db.execute(
            "SELECT id, day, position FROM plan_task WHERE plan_id = ?", (plan_id,))}  # fmt: skip
        here = db.execute(
            "SELECT id, stopped FROM plan_run WHERE plan_id = ? AND created_ms = ?", (plan_id, run["created_ms"])
        ).fetchone()
        if here is None:
            tasks = [(task_ids[(day, position)], when, done_ms)
                     for day, position, when, done_ms in run["tasks"] if (day, position) in task_ids]  # fmt: skip
            new_runs.append((plan_id, run, tasks))
            continue
        run_id, stopped = here
        if run["stopped"] and not stopped:
            stops.append(run_id)
        undone = {task_id for (task_id,) in db.execute(
            "SELECT task_id FROM run_task WHERE run_id = ? AND done_ms IS NULL", (run_id,))}  # fmt: skip
        ticks += [(done_ms, run_id, task_ids[(day, position)]) for day, position, _, done_ms in run["tasks"]
                  if done_ms is not None and task_ids.get((day, position)) in undone]  # fmt: skip
    if not (new_runs or stops or ticks):
        return 0
    with store.operation(Changes.PLANS | Changes.STUDY_QUEUE) as db:
        for plan_id, run, tasks in new_runs:
            run_id = db.execute(
                "INSERT INTO plan_run (plan_id, start, exam, color, stopped, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
                (plan_id, run["start"], run["exam"], run["color"], int(run["stopped"]), run["created_ms"]),
            ).lastrowid
            db.executemany("INSERT INTO run_day (run_id, day, date) VALUES (?, ?, ?)",
                           [(run_id, day, when) for day, when in run["days"]])  # fmt: skip
            db.executemany("INSERT INTO run_task (run_id, task_id, date, done_ms) VALUES (?, ?, ?, ?)",
                           [(run_id, *task) for task in tasks])  # fmt: skip
        db.executemany("UPDATE plan_run SET stopped = 1 WHERE id = ?", [(run_id,) for run_id in stops])
        db.executemany("UPDATE run_task SET done_ms = ? WHERE run_id = ? AND task_id = ? AND done_ms IS NULL", ticks)
    return len(new_runs) + len(stops) + len(ticks)
