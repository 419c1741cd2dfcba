"""The goals' verdicts of `make bench` (tests/benchmarks/goals.py) on made-up measurements: no benchmark runs."""

from tests.benchmarks.goals import Run, verdicts


def _by_goal(run: Run) -> dict[str, tuple[str, str]]:
    return {goal.strip(): (measured, verdict) for goal, measured, verdict in verdicts(run)}


def test_each_goal_is_judged_on_what_the_run_measured():
    run = Run(
        full_s={10_000: 20.0, 100_000: 21.0, 1_000_000: 30.0, 10_000_000: 120.0},
        full_peak_mib={10_000: 500, 100_000: 600, 1_000_000: 900, 10_000_000: 2_000},
        incremental_s={10_000: 7.0, 10_000_000: 10.0},
        unchanged_s={10_000: 4.0, 10_000_000: 4.5},
        floor_s={100_000: 0.1, 1_000_000: 0.7},
        bi_p95_ms={10_000_000: 50.0},
        validation_ratio=2.5,
        validation_rows=1_000_000,
        big_file_peak_mib=1_500,
    )
    goals = _by_goal(run)
    assert goals["full refresh of 10^7 <= 90 s, peak <= 3 GiB"] == ("120.0 s, 2,000 MiB", "missed (1.3x the time)")
    # (30 - 21) / 0.9 = 10 s per 10^6 rows against (0.7 - 0.1) / 0.9 = 0.67 s: 15x
    assert goals["marginal cost per row (10^6 vs 10^5) <= 10x the floor"][1] == "missed (1.5x over)"
    assert goals["one new 10,000-row publication <= 8 s at every size"] == ("7.0 / 10.0 s", "missed (worst 10.0 s)")
    assert goals["and at 10^7 within 1.3x of 10^4"] == ("1.43x", "missed (1.43x)")
    assert goals["nothing new <= 5 s at every size"][1] == "met"
    assert goals["GX <= 3x the same rules in SQL at 10^6 (measured on 1,000,000 rows)"] == ("2.5x", "met")
    assert goals["a 1.3 M-row file ingests in <= 1 GiB"] == ("1,500 MiB", "missed (476 MiB over)")
    assert goals["BI p95 < 100 ms at 10^7"] == ("50.0 ms", "met")


def test_a_goal_about_sizes_the_run_did_not_reach_is_not_measured_never_met():
    goals = _by_goal(Run(full_s={10_000: 20.0}, full_peak_mib={10_000: 500}, validation_ratio=2.0, validation_rows=10_000))
    assert goals["full refresh of 10^7 <= 90 s, peak <= 3 GiB"][1] == "not measured (no 10^7 in this run)"
    assert goals["marginal cost per row (10^6 vs 10^5) <= 10x the floor"][1] == "not measured (needs 10^5 and 10^6)"
    assert goals["GX <= 3x the same rules in SQL at 10^6 (measured on 10,000 rows)"][1] == "met, below 10^6"
    assert "BI p95 < 100 ms at 10^7" not in goals


def test_the_sdmx_goals_are_judged_against_duckdbs_csv_and_the_refreshs_peak():
    sdmx = {"rows": 1_000_000, "floor": 0.8, "files": 1.6, "first": 4.4, "again": 1.4, "peak_mib": 1_100}
    goals = _by_goal(Run(full_peak_mib={1_000_000: 1_081}, sdmx=sdmx))
    assert goals["SDMX files of 10^6 <= 5x DuckDB's CSV of them (measured on 1,000,000 rows)"] == ("2.0x", "met")
    assert goals["and its peak memory within the refresh's at that size"] == ("1,100 against 1,081 MiB", "missed (19 MiB over)")
    small = _by_goal(Run(sdmx=sdmx | {"rows": 10_000, "files": 5.0}))
    assert small["SDMX files of 10^6 <= 5x DuckDB's CSV of them (measured on 10,000 rows)"][1] == "missed (1.2x over), below 10^6"
