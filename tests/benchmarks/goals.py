"""The speed and memory goals (issue 23) and their verdicts on one benchmark run: pure, so that the verdicts are
tested without running the benchmark.

Each goal is judged only on what the run measured: a goal about 10^7 is "not measured" in a run that stopped at
10^6, never met by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GIB = 1024  # MiB


@dataclass
class Run:
    """What one `bench_refresh` run measured, by number of observations."""

    full_s: dict[int, float] = field(default_factory=dict)
    full_peak_mib: dict[int, float] = field(default_factory=dict)
    incremental_s: dict[int, float] = field(default_factory=dict)
    unchanged_s: dict[int, float] = field(default_factory=dict)
    floor_s: dict[int, float] = field(default_factory=dict)
    bi_p95_ms: dict[int, float] = field(default_factory=dict)
    validation_ratio: float | None = None  # GX's time over the same rules in DuckDB SQL
    validation_rows: int = 0
    big_file_peak_mib: float | None = None  # one 1.3 M-row publication ingested on its own
    sdmx: dict | None = None  # bench_sdmx.measure: rows, floor, files, first, again (s) and peak_mib


def _verdict(ok: bool, miss: str) -> str:
    return "met" if ok else f"missed ({miss})"


def verdicts(run: Run) -> list[tuple[str, str, str]]:
    """(goal, measured, verdict) for every goal."""
    out: list[tuple[str, str, str]] = []
    big, small = 10_000_000, 10_000
    if big in run.full_s:
        seconds, peak = run.full_s[big], run.full_peak_mib[big]
        ok = seconds <= 90 and peak <= 3 * GIB
        out.append(
            (
                "full refresh of 10^7 <= 90 s, peak <= 3 GiB",
                f"{seconds:.1f} s, {peak:,.0f} MiB",
                _verdict(ok, f"{seconds / 90:.1f}x the time" if seconds > 90 else "memory"),
            )
        )
    else:
        out.append(("full refresh of 10^7 <= 90 s, peak <= 3 GiB", "-", "not measured (no 10^7 in this run)"))
    if {100_000, 1_000_000} <= run.full_s.keys() and {100_000, 1_000_000} <= run.floor_s.keys():
        refresh = (run.full_s[1_000_000] - run.full_s[100_000]) / 0.9
        floor = (run.floor_s[1_000_000] - run.floor_s[100_000]) / 0.9
        ratio = refresh / floor if floor > 0 else float("inf")
        out.append(
            (
                "marginal cost per row (10^6 vs 10^5) <= 10x the floor",
                f"{refresh:.1f} s against {floor:.2f} s per 10^6 rows: {ratio:.0f}x",
                _verdict(ratio <= 10, f"{ratio / 10:.1f}x over"),
            )
        )
    else:
        out.append(("marginal cost per row (10^6 vs 10^5) <= 10x the floor", "-", "not measured (needs 10^5 and 10^6)"))
    if run.incremental_s:
        worst = max(run.incremental_s.values())
        shown = " / ".join(f"{s:.1f}" for _, s in sorted(run.incremental_s.items())) + " s"
        out.append(("one new 10,000-row publication <= 8 s at every size", shown, _verdict(worst <= 8, f"worst {worst:.1f} s")))
        if big in run.incremental_s and small in run.incremental_s:
            ratio = run.incremental_s[big] / run.incremental_s[small]
            out.append(("  and at 10^7 within 1.3x of 10^4", f"{ratio:.2f}x", _verdict(ratio <= 1.3, f"{ratio:.2f}x")))
    if run.unchanged_s:
        worst = max(run.unchanged_s.values())
        shown = " / ".join(f"{s:.1f}" for _, s in sorted(run.unchanged_s.items())) + " s"
        out.append(("nothing new <= 5 s at every size", shown, _verdict(worst <= 5, f"worst {worst:.1f} s")))
    if run.validation_ratio is not None:
        label = f"GX <= 3x the same rules in SQL at 10^6 (measured on {run.validation_rows:,} rows)"
        verdict = _verdict(run.validation_ratio <= 3, f"{run.validation_ratio / 3:.1f}x over")
        if run.validation_rows < 1_000_000:
            verdict += ", below 10^6"
        out.append((label, f"{run.validation_ratio:.1f}x", verdict))
    if run.big_file_peak_mib is not None:
        peak = run.big_file_peak_mib
        out.append(
            ("a 1.3 M-row file ingests in <= 1 GiB", f"{peak:,.0f} MiB", _verdict(peak <= GIB, f"{(peak - GIB):,.0f} MiB over"))
        )
    if run.sdmx is not None:
        s, rows = run.sdmx, run.sdmx["rows"]
        ratio = s["files"] / s["floor"]
        label = f"SDMX files of 10^6 <= 5x DuckDB's CSV of them (measured on {rows:,} rows)"
        out.append(
            (
                label,
                f"{ratio:.1f}x",
                _verdict(ratio <= 5, f"{ratio / 5:.1f}x over") + (", below 10^6" if rows < 1_000_000 else ""),
            )
        )
        if rows in run.full_peak_mib:
            refresh = run.full_peak_mib[rows]
            out.append(
                (
                    "  and its peak memory within the refresh's at that size",
                    f"{s['peak_mib']:,.0f} against {refresh:,.0f} MiB",
                    _verdict(s["peak_mib"] <= refresh, f"{s['peak_mib'] - refresh:,.0f} MiB over"),
                )
            )
    if big in run.bi_p95_ms:
        p95 = run.bi_p95_ms[big]
        out.append(("BI p95 < 100 ms at 10^7", f"{p95:.1f} ms", _verdict(p95 < 100, f"{p95:.0f} ms")))
    return out


def table(run: Run) -> str:
    rows = verdicts(run)
    width = max(len(g) for g, _, _ in rows)
    measured = max(len(m) for _, m, _ in rows)
    return "\n".join(f"{g:<{width}} | {m:<{measured}} | {v}" for g, m, v in rows)
