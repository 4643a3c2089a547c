"""Export running plans to iCalendar, for any calendar app."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event

from cards.store import Store

from .plans import runs, tasks_between


def plans_to_ics(store: Store) -> bytes:
    """One all-day event per plan day (its tasks in the description), and the exam dates."""
    calendar = Calendar()
    calendar.add("prodid", "-//Study Planner//studyplanner//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Study plans")
    for run in runs(store):
        days = tasks_between(store, run.start, run.end)
        for when, tasks in sorted(days.items()):
            mine = [t for t in tasks if t.run_id == run.id]
            if not mine:
                continue
            event = Event()
            event.add("uid", f"studyplanner-run{run.id}-{when.isoformat()}@studyplanner")
            event.add("summary", f"{run.plan_name}: day {mine[0].day}, {mine[0].day_title}")
            event.add("dtstart", when)
            event.add("dtend", when + timedelta(days=1))
            event.add("dtstamp", _stamp(store))
            event.add(
                "description",
                "\n".join(f"[{'x' if t.done else ' '}] {t.label}" for t in mine),
            )
            event.add("categories", [run.plan_name])
            calendar.add_component(event)
        if run.exam is not None:
            exam = Event()
            exam.add("uid", f"studyplanner-run{run.id}-exam@studyplanner")
            exam.add("summary", f"Exam / interview ({run.plan_name})")
            exam.add("dtstart", run.exam)
            exam.add("dtend", run.exam + timedelta(days=1))
            exam.add("dtstamp", _stamp(store))
            calendar.add_component(exam)
    return calendar.to_ical()


def _stamp(store: Store):
    return store.clock.now()


__all__ = ["plans_to_ics"]
