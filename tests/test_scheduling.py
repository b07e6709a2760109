"""The CP-SAT timetable, held to every rule by the independent checker (not by the solver's own claims)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coordinator_tui.services.scheduling import (
    Instance,
    PatientSpec,
    Placement,
    ProfessionalSpec,
    Request,
    ScheduledItem,
    StaffDay,
    compute_moves,
    dispatch_timetable,
    greedy_timetable,
    repair,
    solve,
)
from coordinator_tui.services.timetable_checker import check_timetable
from tests.scheduling_fixtures import H, small_instance

LIMIT = 2.0


@pytest.fixture(scope="module")
def solved() -> tuple[Instance, list[ScheduledItem]]:
    inst = small_instance()
    result = solve(inst, time_limit=LIMIT)
    assert result.status in ("optimal", "feasible")
    return inst, result.scheduled


def test_solver_places_everything_and_keeps_every_rule(solved: tuple[Instance, list[ScheduledItem]]) -> None:
    inst, items = solved
    assert {it.key for it in items} == {r.key for r in inst.requests}
    assert check_timetable(inst, items) == []


def test_specific_rules_on_solver_output(solved: tuple[Instance, list[ScheduledItem]]) -> None:
    inst, items = solved
    by_key = {it.key: it for it in items}
    # fasting bloods first thing on day 1
    for p in inst.patients:
        bloods = by_key[f"p{p}-phlebotomy"]
        assert bloods.day == 0
        assert all(it.start >= bloods.end for it in items if it.patient_id == p and it.day == 0 and it != bloods)
    # the child's day ends at 16:00; nobody before arrival or after departure
    assert all(it.end <= 16 * H for it in items if it.patient_id == 1)
    assert all(it.start >= 11 * H for it in items if it.patient_id == 3 and it.day == 0)
    assert all(it.end <= 14 * H + 30 for it in items if it.patient_id == 3 and it.day == 1)
    # joint appointment holds both professionals
    assert set(by_key["p2-joint"].professional_ids) == {5, 6}
    # round-table last on the last day
    for p in inst.patients:
        rt = by_key[f"p{p}-round"]
        assert rt.day == 1
        assert all((it.day, it.end) <= (rt.day, rt.start) for it in items if it.patient_id == p and it != rt)


def test_heuristics_keep_every_rule() -> None:
    inst = small_instance()
    for build in (greedy_timetable, dispatch_timetable):
        assert check_timetable(inst, build(inst)) == []


# --- the checker itself catches each kind of breach --------------------------------------------------------


def _move(items: list[ScheduledItem], key: str, **changes: object) -> list[ScheduledItem]:
    out = []
    for it in items:
        if it.key == key:
            length = it.end - it.start
            it = replace(it, **changes)  # type: ignore[arg-type]
            if "start" in changes and "end" not in changes:
                it = replace(it, end=it.start + length)
        out.append(it)
    return out


def test_checker_catches_breaches(solved: tuple[Instance, list[ScheduledItem]]) -> None:
    inst, items = solved
    by_key = {it.key: it for it in items}

    def rules(bad: list[ScheduledItem]) -> set[str]:
        return {v.rule for v in check_timetable(inst, bad)}

    # two families with ophthalmology at the same time -> professional and room overlap
    a = by_key["p2-ophthalmology"]
    assert {"professional_overlap", "room_overlap"} <= rules(_move(items, "p1-ophthalmology", day=a.day, start=a.start))
    # the child seen at 16:30
    assert "patient_window" in rules(_move(items, "p1-cardiology", day=0, start=16 * H + 30))
    # before arrival
    assert "patient_window" in rules(_move(items, "p3-cardiology", day=0, start=9 * H))
    # fasting bloods on day 2
    assert "fasting" in rules(_move(items, "p2-phlebotomy", day=1, start=15 * H))
    # a professional outside their hours (cardiology leaves at 12:00 on day 2)
    assert "professional_hours" in rules(_move(items, "p2-cardiology", day=1, start=13 * H))
    # joint appointment without one of its professionals
    assert "professionals" in rules(_move(items, "p2-joint", professional_ids=(5,)))
    # round-table missing someone who saw the family and is still here
    rt = by_key["p2-round"]
    assert "round_table" in rules(_move(items, "p2-round", professional_ids=rt.professional_ids[1:]))
    # pinned appointment moved
    pinned = replace(
        inst, requests=[replace(r, pinned=Placement(a.day, a.start)) if r.key == a.key else r for r in inst.requests]
    )
    moved = _move(items, a.key, start=a.start + 5)
    assert "pinned" in {v.rule for v in check_timetable(pinned, moved)}


def test_checker_catches_transfer_patient_overlap_and_lunch() -> None:
    inst = small_instance(round_table=False)
    mk = lambda key, p, prof, day, start, minutes: ScheduledItem(  # noqa: E731
        key, p, "x", "consultation", day, start, start + minutes, (prof,), prof
    )
    # p2: ophthalmology (Eye and Ear) then cardiology (Main) with no time to walk
    items = [mk("p2-ophthalmology", 2, 2, 1, 9 * H, 45), mk("p2-cardiology", 2, 4, 1, 9 * H + 45, 30)]
    assert "transfer" in {v.rule for v in check_timetable(inst, items)}
    items = [mk("p2-audiology", 2, 3, 1, 9 * H, 45), mk("p2-ophthalmology", 2, 2, 1, 9 * H + 30, 45)]
    assert "patient_overlap" in {v.rule for v in check_timetable(inst, items)}
    # the ophthalmologist booked solid through the lunch window on day 2
    solid = [mk(f"p{p}-ophthalmology", p, 2, 1, start, 45) for p, start in ((1, 690), (2, 735), (3, 780))]
    assert "lunch" in {v.rule for v in check_timetable(inst, solid)}


# --- reasons, pinned, repair ---------------------------------------------------------------------------------


def _audiology_overbooked() -> Instance:
    professionals = {1: ProfessionalSpec(1, "Test Audiologist", "audiology")}
    staffing = [StaffDay(1, 0, 9 * H, 15 * H + 30)]  # 6.5 hours less lunch: 6 hours, on day 1 only
    patients = {p: PatientSpec(p, f"Test Family {p}") for p in range(1, 11)}
    requests = [Request(f"p{p}-aud", p, "audiology", 45, (1,)) for p in patients]
    return Instance(professionals, staffing, {}, patients, requests)


def test_overbooked_discipline_gives_the_binding_reason() -> None:
    result = solve(_audiology_overbooked(), time_limit=LIMIT)
    assert len(result.scheduled) == 8  # 6 hours of 45-minute appointments
    assert len(result.unscheduled) == 2
    assert all(u.reason == "audiology has 6 hours on day 1 and 7.5 hours of requests" for u in result.unscheduled)


def test_missing_professional_and_no_common_hours_reasons() -> None:
    inst = _audiology_overbooked()
    inst = replace(
        inst,
        patients={1: PatientSpec(1, "Test Family 1", arrival=16 * H)},
        requests=[Request("a", 1, "audiology", 45, (1,)), Request("b", 1, "renal", 30, ())],
    )
    result = solve(inst, time_limit=LIMIT)
    reasons = {u.key: u.reason for u in result.unscheduled}
    assert reasons["b"] == "no renal professional is in clinic"
    assert "no 45 minutes in common" in reasons["a"]


def test_pinned_appointments_stay_put() -> None:
    pin = Placement(1, 9 * H + 30)  # family 2's cardiology on day 2 at 09:30
    inst = small_instance(pinned=pin)
    result = solve(inst, time_limit=LIMIT)
    it = next(i for i in result.scheduled if i.key == "p2-cardiology")
    assert (it.day, it.start, it.pinned) == (1, 9 * H + 30, True)
    assert check_timetable(inst, result.scheduled) == []


def _with_current(inst: Instance, items: list[ScheduledItem]) -> Instance:
    placed = {it.key: it for it in items}
    return replace(
        inst, requests=[replace(r, current=Placement(placed[r.key].day, placed[r.key].start)) for r in inst.requests]
    )


def test_repair_after_a_cancelled_day_moves_fewer_than_a_rebuild(
    solved: tuple[Instance, list[ScheduledItem]],
) -> None:
    inst, items = solved
    base = _with_current(inst, items)
    # audiology (professional 3) cancels day 2
    changed = replace(base, staffing=[s for s in base.staffing if not (s.professional_id == 3 and s.day == 1)])
    displaced = [it for it in items if 3 in it.professional_ids and it.day == 1 and it.kind != "round_table"]
    fixed = repair(changed, time_limit=LIMIT)
    assert not fixed.unscheduled
    assert check_timetable(changed, fixed.scheduled) == []
    rebuild = solve(changed, time_limit=LIMIT)
    rebuild_moves = compute_moves(changed, rebuild.scheduled)
    assert len(fixed.moves) <= len(rebuild_moves)
    assert len(fixed.moves) < len(items)
    assert {m.key for m in fixed.moves} >= {it.key for it in displaced}
    for move in fixed.moves:
        assert move.before is not None
        assert "->" in move.describe(changed)


def test_repair_when_a_family_arrives_late(solved: tuple[Instance, list[ScheduledItem]]) -> None:
    inst, items = solved
    base = _with_current(inst, items)
    late = dict(base.patients)
    late[2] = replace(late[2], arrival=13 * H)
    changed = replace(base, patients=late)
    fixed = repair(changed, time_limit=LIMIT)
    assert check_timetable(changed, fixed.scheduled) == []
    assert all(it.start >= 13 * H for it in fixed.scheduled if it.patient_id == 2 and it.day == 0)
    untouched = [it for it in items if it.patient_id != 2]
    kept = {(it.key, it.day, it.start) for it in fixed.scheduled}
    assert sum((it.key, it.day, it.start) in kept for it in untouched) >= len(untouched) // 2


# --- the build's starting timetable and per-family bounds -----------------------------------------------------


def _family_costs(inst: Instance, items: list[ScheduledItem]) -> dict[int, int]:
    """Each family's share of the build objective (5-minute units): weighted waiting plus finish."""
    from coordinator_tui.services.scheduling import RESOLUTION, WAIT_WEIGHT, finish_minutes, waiting_minutes

    waits = waiting_minutes(inst, items)
    return {
        pid: WAIT_WEIGHT * waits[pid] // RESOLUTION
        + finish_minutes(inst, [it for it in items if it.patient_id == pid]) // RESOLUTION
        for pid in inst.patients
    }


def test_insertion_timetable_places_everything_keeps_every_rule_and_pins() -> None:
    from coordinator_tui.services.scheduling import _insertion_timetable

    inst = small_instance(pinned=Placement(1, 9 * H + 30))
    items = _insertion_timetable(inst, 3.0, 0, 2, {})
    assert {it.key for it in items} == {r.key for r in inst.requests}
    assert check_timetable(inst, items) == []
    pinned = next(it for it in items if it.key == "p2-cardiology")
    assert (pinned.day, pinned.start, pinned.pinned) == (1, 9 * H + 30, True)


def test_family_floors_bound_every_complete_timetable(solved: tuple[Instance, list[ScheduledItem]]) -> None:
    """The per-family cuts the build adds are valid: no timetable placing everything beats them."""
    from coordinator_tui.services.scheduling import _family_lower_bounds

    inst, items = solved
    floors = _family_lower_bounds(inst, 2.0, 0, 2)
    assert floors
    for timetable in (items, greedy_timetable(inst), dispatch_timetable(inst)):
        if len(timetable) != len(inst.requests):
            continue
        costs = _family_costs(inst, timetable)
        for pid, floor in floors.items():
            assert costs[pid] >= floor, (pid, costs[pid], floor)


def test_build_reports_a_bound_no_higher_than_its_objective(solved: tuple[Instance, list[ScheduledItem]]) -> None:
    inst, _items = solved
    result = solve(inst, time_limit=LIMIT)
    assert result.bound is not None and result.objective is not None
    assert result.bound <= result.objective + 1e-6
    assert check_timetable(inst, result.scheduled) == []
