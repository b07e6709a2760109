"""The CP-SAT timetable, held to every rule by the independent checker (not by the solver's own claims)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator_tui.services.clinics.scheduling import (
    RESOLUTION,
    Clock,
    Instance,
    PatientSpec,
    Placement,
    ProfessionalSpec,
    Request,
    RoomSpec,
    ScheduledItem,
    ScheduleResult,
    StaffDay,
    best_heuristic,
    compute_moves,
    dispatch_timetable,
    evaluate,
    family_costs,
    family_floors,
    greedy_timetable,
    solve,
    solve_whole_model,
)
from coordinator_tui.services.clinics.timetable_checker import check_timetable
from coordinator_tui.services.clinics.timetable_plan import as_booked, repair_timetable
from tests.scheduling_fixtures import H, generated_clinic, small_instance

LIMIT = 2.0


@pytest.fixture(scope="module")
def solved() -> tuple[Instance, list[ScheduledItem]]:
    inst = small_instance()
    result = solve(inst, time_limit=LIMIT, deterministic=True)
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
    result = solve(_audiology_overbooked(), time_limit=LIMIT, deterministic=True)
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
    result = solve(inst, time_limit=LIMIT, deterministic=True)
    reasons = {u.key: u.reason for u in result.unscheduled}
    assert reasons["b"] == "no renal professional is in clinic"
    assert "no 45 minutes in common" in reasons["a"]


def test_pinned_appointments_stay_put() -> None:
    pin = Placement(1, 9 * H + 30)  # family 2's cardiology on day 2 at 09:30
    inst = small_instance(pinned=pin)
    result = solve(inst, time_limit=LIMIT, deterministic=True)
    it = next(i for i in result.scheduled if i.key == "p2-cardiology")
    assert (it.day, it.start, it.pinned) == (1, 9 * H + 30, True)
    assert check_timetable(inst, result.scheduled) == []


def _with_current(inst: Instance, items: list[ScheduledItem]) -> Instance:
    return as_booked(inst, items)


def test_repair_after_a_cancelled_day_moves_fewer_than_a_rebuild(
    solved: tuple[Instance, list[ScheduledItem]],
) -> None:
    inst, items = solved
    base = _with_current(inst, items)
    # audiology (professional 3) cancels day 2
    changed = replace(base, staffing=[s for s in base.staffing if not (s.professional_id == 3 and s.day == 1)])
    displaced = [it for it in items if 3 in it.professional_ids and it.day == 1 and it.kind != "round_table"]
    fixed = repair_timetable(changed, time_limit=LIMIT, deterministic=True)
    assert not fixed.unscheduled
    assert check_timetable(changed, fixed.scheduled) == []
    rebuild = solve(changed, time_limit=LIMIT, deterministic=True)
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
    fixed = repair_timetable(changed, time_limit=LIMIT, deterministic=True)
    assert check_timetable(changed, fixed.scheduled) == []
    assert all(it.start >= 13 * H for it in fixed.scheduled if it.patient_id == 2 and it.day == 0)
    untouched = [it for it in items if it.patient_id != 2]
    kept = {(it.key, it.day, it.start) for it in fixed.scheduled}
    assert sum((it.key, it.day, it.start) in kept for it in untouched) >= len(untouched) // 2


# --- the build's starting timetable, its improvement and the bound's cuts ------------------------------------


def test_insertion_timetable_places_everything_keeps_every_rule_and_pins() -> None:
    from coordinator_tui.services.clinics.scheduling.search import insertion_timetable

    inst = small_instance(pinned=Placement(1, 9 * H + 30))
    items = insertion_timetable(inst, 3.0, 0, 2, family_floors(inst), Clock(deterministic=True))
    assert {it.key for it in items} == {r.key for r in inst.requests}
    assert check_timetable(inst, items) == []
    pinned = next(it for it in items if it.key == "p2-cardiology")
    assert (pinned.day, pinned.start, pinned.pinned) == (1, 9 * H + 30, True)


def test_a_family_placed_around_blocked_appointments_keeps_every_rule() -> None:
    """``blocked``: other families' fixed appointments hold their professionals and rooms, nothing else."""
    inst = generated_clinic(6)
    start = dispatch_timetable(inst)
    assert len(start) == len(inst.requests)
    for pid in (1, 4):
        others = [it for it in start if it.patient_id != pid]
        family = replace(
            inst,
            requests=[r for r in inst.requests if r.patient_id == pid],
            patients={pid: inst.patients[pid]},
        )
        res = solve_whole_model(
            family,
            time_limit=LIMIT,
            deterministic=True,
            hint=[it for it in start if it.patient_id == pid],
            blocked=others,
        )
        assert res.status in ("optimal", "feasible") and not res.unscheduled
        assert check_timetable(inst, others + res.scheduled) == []
        # never worse for the family than where it was
        assert family_costs(inst, others + res.scheduled)[pid] <= family_costs(inst, start)[pid]


def test_ruin_and_recreate_keeps_every_rule_and_never_worsens() -> None:
    from coordinator_tui.services.clinics.scheduling.search import improve_by_families

    inst = generated_clinic(6)
    start = greedy_timetable(inst)
    assert len(start) == len(inst.requests)
    seen: list[float] = []
    better = improve_by_families(inst, start, 2.0, 0, 2, family_floors(inst), Clock(deterministic=True), seen.append)
    assert {it.key for it in better} == {r.key for r in inst.requests}
    assert check_timetable(inst, better) == []
    assert evaluate(inst, better) <= evaluate(inst, start)
    assert seen == sorted(seen, reverse=True) and (not seen or seen[-1] == evaluate(inst, better))


def test_family_costs_add_up_to_the_objective() -> None:
    inst = generated_clinic(6)
    for timetable in (greedy_timetable(inst), dispatch_timetable(inst)):
        assert len(timetable) == len(inst.requests)
        assert sum(family_costs(inst, timetable).values()) == evaluate(inst, timetable)


def _lateness(inst: Instance, items: list[ScheduledItem], pid: int, days: frozenset[int]) -> int:
    """Units between the family's earliest possible start and its first appointment, summed over ``days``."""
    late = 0
    for d in days:
        starts = [it.start for it in items if it.patient_id == pid and it.day == d]
        window = inst.patient_window(pid, d)
        if starts and window:
            late += (min(starts) - window[0]) // RESOLUTION
    return late


def _assert_floors_hold(inst: Instance, timetables: list[list[ScheduledItem]]) -> int:
    """Every floor (absolute and counted from first appointments) is at most the family's share; returns how many
    (family, timetable) pairs were checked."""
    floors = family_floors(inst)
    checked = 0
    for timetable in timetables:
        placed = {it.key for it in timetable}
        costs = family_costs(inst, timetable)
        for pid, by_days in floors.items():
            if not all(r.key in placed for r in inst.requests if r.patient_id == pid):
                continue  # a floor holds for the families whose appointments are all placed
            checked += 1
            for days, floor in by_days.items():
                assert costs[pid] - _lateness(inst, timetable, pid, days) >= floor, (pid, sorted(days), floor)
    return checked


def test_family_floors_bound_every_complete_timetable(solved: tuple[Instance, list[ScheduledItem]]) -> None:
    """The per-family cuts the build adds are valid: no timetable placing everything beats them."""
    inst, items = solved
    assert _assert_floors_hold(inst, [items, greedy_timetable(inst), dispatch_timetable(inst)]) >= 3
    big = generated_clinic(6)
    assert _assert_floors_hold(big, [greedy_timetable(big), dispatch_timetable(big)]) == 12


def test_family_floors_are_at_most_each_familys_best_alone() -> None:
    """Each floor is at most the family's proven optimum when it is alone at the clinic (a CP-SAT solve)."""
    from coordinator_tui.services.clinics.scheduling.search import families_only

    for inst in (small_instance(), generated_clinic(4)):
        floors = family_floors(inst)
        for pid in inst.patients:
            alone = families_only(inst, [pid])
            res = solve_whole_model(alone, time_limit=5.0, deterministic=True, all_required=True, floors={})
            assert res.status == "optimal"
            assert floors[pid][frozenset()] <= res.objective, pid


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_family_floors_hold_on_random_clinics(data: st.DataObject) -> None:
    """Random small clinics (windows, buildings, lunch, fasting, children, part days): the floors hold for every
    complete timetable the two heuristics produce."""
    buildings = ["Main", "Eye and Ear", ""]
    n_profs = data.draw(st.integers(2, 5))
    rooms = {i: RoomSpec(i, f"Room {i}", data.draw(st.sampled_from(buildings))) for i in range(1, n_profs + 1)}
    professionals = {i: ProfessionalSpec(i, f"Clinician {i}", f"d{i}") for i in rooms}
    staffing = []
    for i in rooms:
        for day in (0, 1):
            if data.draw(st.booleans()) or day == 0:
                end = data.draw(st.sampled_from([12 * H, 13 * H, 17 * H]))
                staffing.append(StaffDay(i, day, 9 * H, end, room_id=i))
    patients = {}
    requests = []
    for p in range(1, data.draw(st.integers(1, 3)) + 1):
        patients[p] = PatientSpec(
            p,
            f"Test Family {p}",
            is_child=data.draw(st.booleans()),
            arrival=data.draw(st.sampled_from([None, 9 * H + 30, 11 * H, 12 * H + 15])),
            departure=data.draw(st.sampled_from([None, 12 * H + 30, 14 * H + 30, 16 * H])),
        )
        for i in data.draw(st.lists(st.sampled_from(sorted(rooms)), min_size=1, max_size=n_profs, unique=True)):
            fasting = i == 1 and data.draw(st.booleans())
            minutes = data.draw(st.sampled_from([15, 20, 30, 45]))
            requests.append(Request(f"p{p}-{i}", p, f"d{i}", minutes, (i,), fasting=fasting))
    inst = Instance(
        professionals,
        staffing,
        rooms,
        patients,
        requests,
        transfer_minutes=data.draw(st.sampled_from([0, 10, 40])),
        lunch_minutes=data.draw(st.sampled_from([30, 45])),
    )
    _assert_floors_hold(inst, [greedy_timetable(inst), dispatch_timetable(inst)])


def test_cuts_keep_known_timetables(solved: tuple[Instance, list[ScheduledItem]]) -> None:
    """The model with every cut still admits known feasible timetables: pinned where they are, the solve finds
    exactly their objective; with the fasting bloods free (their day settled: the single-machine cuts apply), it
    finds no worse."""
    inst, items = solved
    big = generated_clinic(6)
    for instance, timetable in ((inst, items), (big, greedy_timetable(big)), (big, dispatch_timetable(big))):
        at = {it.key: Placement(it.day, it.start) for it in timetable}
        for free_fasting in (False, True):
            reqs = [
                r if (free_fasting and r.fasting) else replace(r, pinned=at[r.key])
                for r in instance.requests
                if r.kind != "round_table"
            ]
            pinned = replace(instance, requests=reqs)
            kept = [it for it in timetable if it.kind != "round_table"]
            res = solve_whole_model(pinned, time_limit=LIMIT, deterministic=True, hint=kept, all_required=True)
            assert res.status == "optimal", (free_fasting, res.status)
            assert res.objective is not None
            if free_fasting:
                assert res.objective <= evaluate(pinned, kept)
            else:
                assert res.objective == evaluate(pinned, kept)


def test_single_machine_cut_holds_on_timetables(solved: tuple[Instance, list[ScheduledItem]]) -> None:
    """sum(p_j * s_j) >= r * P + sum over pairs p_i * p_j for one professional's appointments starting at r or
    later (the cut the model adds for settled days), checked on real timetables."""
    _inst, items = solved
    big = generated_clinic(6)
    for timetable in (items, greedy_timetable(big), dispatch_timetable(big)):
        by_prof: dict[tuple[int, int], list[ScheduledItem]] = {}
        for it in timetable:
            for pid in it.professional_ids:
                by_prof.setdefault((pid, it.day), []).append(it)
        for jobs in by_prof.values():
            for release in sorted({it.start for it in jobs}):
                later = [it for it in jobs if it.start >= release]
                p = [(it.end - it.start) // RESOLUTION for it in later]
                s = [it.start // RESOLUTION for it in later]
                total = sum(p)
                lhs = sum(a * b for a, b in zip(p, s, strict=True))
                assert lhs >= release // RESOLUTION * total + (total * total - sum(x * x for x in p)) // 2


def test_build_reports_a_bound_no_higher_than_its_objective(solved: tuple[Instance, list[ScheduledItem]]) -> None:
    inst, _items = solved
    result = solve(inst, time_limit=LIMIT, deterministic=True)
    assert result.bound is not None and result.objective is not None
    assert result.bound <= result.objective + 1e-6
    assert check_timetable(inst, result.scheduled) == []


@pytest.mark.slow
def test_build_bound_is_below_every_heuristic_timetable() -> None:
    """On a generated clinic the build's proven bound is at most the objective of the first-fit and dispatch
    timetables (evaluated independently), and the build itself keeps every rule."""
    inst = generated_clinic(6)
    result = solve(inst, time_limit=4.0, deterministic=True)
    assert result.bound is not None and result.objective is not None
    assert check_timetable(inst, result.scheduled) == []
    assert result.bound <= result.objective + 1e-6
    for timetable in (greedy_timetable(inst), dispatch_timetable(inst)):
        if len(timetable) == len(inst.requests):
            assert result.bound <= evaluate(inst, timetable) + 1e-6


def test_a_build_whose_last_stage_has_almost_no_time_returns_an_earlier_stages_timetable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under load the whole model may find nothing in its last few per cent of the time: the build still returns
    the complete timetable an earlier stage found (never worse by the objective), keeps every rule, and says
    which stage it came from."""
    from coordinator_tui.services.clinics import scheduling as sch
    from coordinator_tui.services.clinics.scheduling import search, whole_model

    improve = search.improve_by_families

    def improve_then_use_up_the_time(*args: object, **kwargs: object) -> list[ScheduledItem]:
        items = improve(*args, **kwargs)  # type: ignore[arg-type]
        clock = next(a for a in args if isinstance(a, Clock))
        clock.spent += 1000.0  # the earlier stages took all the time: the whole model gets none
        return items

    monkeypatch.setattr(search, "improve_by_families", improve_then_use_up_the_time)
    monkeypatch.setattr(whole_model, "WHOLE_MODEL_MIN_SECONDS", 0.0)
    inst = small_instance()
    result = solve(inst, time_limit=1.0, deterministic=True)
    assert result.status == "feasible"
    assert result.stage in (sch.STAGE_HEURISTIC, sch.STAGE_INSERTION, sch.STAGE_IMPROVEMENT)
    assert len(result.scheduled) == len(inst.requests) and not result.unscheduled
    assert check_timetable(inst, result.scheduled) == []
    assert result.objective == evaluate(inst, result.scheduled)
    assert result.objective <= evaluate(inst, best_heuristic(inst))
    lines = result.summary_lines(inst)
    assert f"Timetable from: {result.stage}" in lines


def test_a_build_names_the_whole_model_when_it_produced_the_timetable() -> None:
    inst = small_instance()
    result = solve(inst, time_limit=LIMIT, deterministic=True)
    assert result.stage in ("whole model", "family-by-family placement", "improvement", "first-fit placement")
    assert any(line.startswith("Timetable from: ") for line in result.summary_lines(inst))
    assert result.objective is not None and result.objective == evaluate(inst, result.scheduled)


def _result(status: str, objective: float | None, bound: float | None, gap: float | None) -> ScheduleResult:
    return ScheduleResult(status, [], [], 0, {}, objective, bound, gap, 1.0)


@pytest.mark.parametrize("bound", [None, 0.0, float("inf"), float("-inf"), float("nan")])
def test_summary_says_there_is_no_bound_instead_of_a_meaningless_gap(bound: float | None) -> None:
    from coordinator_tui.services.clinics.scheduling import NO_BOUND_TEXT

    result = _result("feasible", 120.0, bound, 1.0)
    solver_line = next(line for line in result.summary_lines(small_instance()) if line.startswith("Solver:"))
    assert NO_BOUND_TEXT in solver_line
    assert "gap" not in solver_line and "%" not in solver_line
    assert result.gap_text() == NO_BOUND_TEXT


def test_summary_shows_the_gap_when_there_is_a_bound() -> None:
    from coordinator_tui.services.clinics.scheduling import NO_BOUND_TEXT, objective_gap

    _gap = objective_gap
    result = _result("feasible", 120.0, 100.0, _gap("feasible", 120.0, 100.0))
    solver_line = next(line for line in result.summary_lines(small_instance()) if line.startswith("Solver:"))
    assert "gap 16.7%, bound 100, objective 120" in solver_line
    assert NO_BOUND_TEXT not in solver_line
    assert _gap("feasible", 120.0, 0.0) is None and _gap("feasible", 120.0, None) is None
    assert _gap("optimal", 0.0, 0.0) == 0.0  # proven optimal: a gap of 0 means something even at 0
    assert "gap 0.0%" in _result("optimal", 0.0, 0.0, 0.0).gap_text()
