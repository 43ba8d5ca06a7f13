"""Run the annual changes over all districts and vintages: planted cases first, then background."""

from __future__ import annotations

from datetime import date

import numpy as np

from gisaudit.progress import ProgressFn
from gisaudit.sample.changes import DistrictState, Planner, Region, apply_regions, change_spec


def _planted_slots(codes: list[str], years: list[int]) -> dict[tuple[str, int], list[dict]]:
    """Assign every planted case to a (district, year) slot, spread round-robin."""
    slots: dict[tuple[str, int], list[dict]] = {}
    for n, sc in enumerate(change_spec()["planted"]):
        allowed = [c for c in sc.get("districts", codes) if c in codes]
        if not allowed:
            continue
        for k in range(int(sc["count"])):
            code = allowed[k % len(allowed)]
            year = years[(k + n) % len(years)]
            slots.setdefault((code, year), []).append(sc)
    return slots


Snapshots = dict[int, dict[str, dict[str, np.ndarray]]]


def evolve(states: dict[str, DistrictState], years: list[int], rng: np.random.Generator,
           progress: ProgressFn) -> tuple[Snapshots, list[Region]]:
    """Change the districts year by year (in place) and return snapshots and all regions.

    Snapshots: ``{year: {district: {field: array}}}`` with fields geom, dlbm, bsm, kcxs,
    zldwdm, including the start year. Regions come in order of vintage and district.
    """
    spec = change_spec()
    background = spec["background"]
    weights = np.array([b["weight"] for b in background], dtype=float)
    codes = sorted(states)
    slots = _planted_slots(codes, years[1:])
    snapshots = {years[0]: {c: _snapshot(states[c]) for c in codes}}
    regions: list[Region] = []
    missed: list[dict] = []
    total = (len(years) - 1) * len(codes)
    step = 0
    for year in years[1:]:
        vintage = date(year, 12, 31)
        for code in codes:
            state = states[code]
            planner = Planner(state, vintage, rng)
            for sc in missed + slots.get((code, year), []):
                allowed = sc.get("districts")
                if allowed and code not in allowed:
                    continue
                if planner.try_place(sc, planted=True) is None:
                    if sc not in missed:
                        missed.append(sc)
                elif sc in missed:
                    missed.remove(sc)
            quota = rng.uniform(spec["rates"]["min"], spec["rates"]["max"]) * len(state.geom)
            failures = 0
            while planner.touched < quota and failures < 40:
                sc = background[rng.choice(len(background), p=weights / weights.sum())]
                if planner.try_place(sc, planted=False, tries=25) is None:
                    failures += 1
            apply_regions(state, planner.regions, year)
            regions.extend(planner.regions)
            step += 1
            progress(f"生成 {year} 年度变更（{code}）", step, total)
        snapshots[year] = {c: _snapshot(states[c]) for c in codes}
    return snapshots, regions


def _snapshot(state: DistrictState) -> dict[str, np.ndarray]:
    return {"geom": state.geom, "dlbm": state.dlbm, "bsm": state.bsm, "kcxs": state.kcxs,
            "zldwdm": state.zldwdm}
