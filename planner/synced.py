"""Plan runs and ticks as they travel in a sync (cards/sync.py carries them in the Anki collection's
configuration, which Anki syncs and leaves alone; each device writes its own entry, so none overwrites
another's).

A run is the same run everywhere by its plan's key and the moment it was started. A run started on another
device is started here. Of each run and each of its tasks, the later change wins: a run stopped, moved
(shift) or studied ahead; a task ticked, unticked or moved (spread). Each keeps the moment it last changed
(`changed_ms`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from cards.changes import Changes
from cards.store import Store

VERSION = 2  # 2: with the moments of change (an entry of version 1 is left alone)


def outgoing(store: Store) -> dict[str, Any]:
    """This device's runs: their days, their tasks, and when each last changed."""
    runs = []
    for run_id, plan_key, start, exam, color, stopped, ahead, created_ms, changed_ms in store.db.execute(
        "SELECT r.id, p.key, r.start, r.exam, r.color, r.stopped, r.ahead, r.created_ms, r.changed_ms "
        "FROM plan_run r JOIN plan p ON p.id = r.plan_id ORDER BY r.id"
    ).fetchall():
        days = store.db.execute("SELECT day, date FROM run_day WHERE run_id = ? ORDER BY day", (run_id,)).fetchall()
        tasks = store.db.execute(
            "SELECT t.day, t.position, rt.date, rt.done_ms, rt.changed_ms FROM run_task rt "
            "JOIN plan_task t ON t.id = rt.task_id WHERE rt.run_id = ? ORDER BY t.day, t.position",
            (run_id,),
        ).fetchall()
        runs.append({"plan": plan_key, "created_ms": created_ms, "changed_ms": changed_ms, "start": start,
                     "exam": exam, "color": color, "stopped": bool(stopped), "ahead": ahead, "days": days,
                     "tasks": tasks})  # fmt: skip
    return {"version": VERSION, "runs": runs}


def incoming(store: Store, data: Any) -> int:
    """Merge another device's runs into this store, the later change of each run and task winning; returns
    how many runs and tasks changed here. What this version cannot read (another version's entry, a plan
    this store lacks) is left alone."""
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("runs"), list):
        return 0
    new_runs: list[tuple] = []  # read first: a sync that brings nothing new must not end the undo history
    later_runs: list[tuple] = []
    later_tasks: list[tuple] = []
    db = store.db
    for run in data["runs"]:
        try:
            _check_run(run)
        except (KeyError, TypeError, ValueError):
            continue  # not a run this version wrote (a damaged or crafted entry): left alone
        plan = db.execute("SELECT id FROM plan WHERE key = ?", (run.get("plan"),)).fetchone()
        if plan is None:
            continue
        (plan_id,) = plan
        task_ids = {(day, position): task_id for task_id, day, position in db.execute(
            "SELECT id, day, position FROM plan_task WHERE plan_id = ?", (plan_id,))}  # fmt: skip
        theirs = [(task_ids[(day, position)], when, done_ms, changed_ms)
                  for day, position, when, done_ms, changed_ms in run["tasks"]
                  if (day, position) in task_ids]  # fmt: skip
        here = db.execute(
            "SELECT id, changed_ms, stopped, ahead FROM plan_run WHERE plan_id = ? AND created_ms = ?",
            (plan_id, run["created_ms"]),
        ).fetchone()
        if here is None:
            new_runs.append((plan_id, run, theirs))
            continue
        run_id, changed_ms, stopped, ahead = here
        days = [list(d) for d in db.execute("SELECT day, date FROM run_day WHERE run_id = ? ORDER BY day", (run_id,))]
        # Later wins; at the same moment, the greater state, so that both devices settle on the same one.
        if (run["changed_ms"], int(run["stopped"]), run["ahead"], run["days"]) > (changed_ms, stopped, ahead, days):
            later_runs.append((run_id, run))
        ours = {task_id: (changed, done or 0, when) for task_id, changed, done, when in db.execute(
            "SELECT task_id, changed_ms, done_ms, date FROM run_task WHERE run_id = ?", (run_id,))}  # fmt: skip
        later_tasks += [(when, done_ms, changed_ms, run_id, task_id) for task_id, when, done_ms, changed_ms in theirs
                        if task_id in ours and (changed_ms, done_ms or 0, when) > ours[task_id]]  # fmt: skip
    if not (new_runs or later_runs or later_tasks):
        return 0
    with store.operation(Changes.PLANS | Changes.STUDY_QUEUE) as db:
        for plan_id, run, tasks in new_runs:
            run_id = db.execute(
                "INSERT INTO plan_run (plan_id, start, exam, color, stopped, ahead, created_ms, changed_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (plan_id, run["start"], run["exam"], run["color"], int(run["stopped"]), run["ahead"],
                 run["created_ms"], run["changed_ms"]),
            ).lastrowid  # fmt: skip
            _lay_out(db, run_id, run["days"])
            db.executemany("INSERT INTO run_task (run_id, task_id, date, done_ms, changed_ms) VALUES (?, ?, ?, ?, ?)",
                           [(run_id, *task) for task in tasks])  # fmt: skip
        for run_id, run in later_runs:
            db.execute(
                "UPDATE plan_run SET exam = ?, stopped = ?, ahead = ?, changed_ms = ? WHERE id = ?",
                (run["exam"], int(run["stopped"]), run["ahead"], run["changed_ms"], run_id),
            )
            db.execute("DELETE FROM run_day WHERE run_id = ?", (run_id,))
            _lay_out(db, run_id, run["days"])
        db.executemany(
            "UPDATE run_task SET date = ?, done_ms = ?, changed_ms = ? WHERE run_id = ? AND task_id = ?", later_tasks
        )
    return len(new_runs) + len(later_runs) + len(later_tasks)


def _check_run(run: Any) -> None:
    """Raise KeyError, TypeError or ValueError for an entry that is not a run as outgoing() writes one."""
    for key, kind in (("created_ms", int), ("changed_ms", int), ("stopped", bool), ("ahead", str), ("start", str)):
        if not isinstance(run[key], kind):
            raise TypeError(key)
    for day, when in run["days"]:
        if not (isinstance(day, int) and isinstance(when, str)):
            raise TypeError("day")
    for day, position, _when, done_ms, changed_ms in run["tasks"]:
        if not (isinstance(day, int) and isinstance(position, int) and isinstance(changed_ms, int)):
            raise TypeError("task")
        if done_ms is not None and not isinstance(done_ms, int):
            raise TypeError("done_ms")


def _lay_out(db: sqlite3.Connection, run_id: int | None, days: list) -> None:
    db.executemany("INSERT INTO run_day (run_id, day, date) VALUES (?, ?, ?)", [(run_id, d, when) for d, when in days])
