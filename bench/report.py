"""Summaries: medians with min-max over rounds, and ratios to the baseline."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

TARGETS = {
    # endpoint: (baseline it is compared with, minimum ratio of requests/s)
    "GET checkouts (empty)": ("baseline GET", 0.8),
    "POST /auth/refresh": ("baseline POST", 0.20),
    "POST /auth/app/token": ("baseline POST", 0.25),
}


def _spread(values: list[float], digits: int = 0) -> str:
    fmt = f"{{:.{digits}f}}"
    median = fmt.format(statistics.median(values))
    return (
        median
        if len(values) == 1
        else f"{median} ({fmt.format(min(values))}-{fmt.format(max(values))})"
    )


def table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of every endpoint measured in this run."""
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_name[row["endpoint"]].append(row)
    ratios = _ratios(rows)
    lines = [
        f"{'endpoint':30} {'requests/s median (min-max)':>30} {'ratio':>18} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>7} {'cpu ms/req':>10}"
    ]
    for name, measured in by_name.items():
        rps = [m["requests_per_s"] for m in measured]
        ratio = ratios.get(name)
        lines.append(
            f"{name:30} {_spread(rps):>30} {(_spread(ratio, 2) + 'x') if ratio else '':>18} "
            f"{statistics.median(m['p50_ms'] for m in measured):8.1f} "
            f"{statistics.median(m['p99_ms'] for m in measured):8.1f} "
            f"{sum(m['errors'] for m in measured):7.0f} "
            f"{statistics.median(m['cpu_ms_per_request'] for m in measured):10.2f}"
        )
    return "\n".join(lines)


def _ratios(rows: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Per endpoint and round, requests/s over its baseline measured next to it."""
    ratios: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        reference = row.get("compared_with")
        if reference:
            ratios[row["endpoint"]].append(row["requests_per_s"] / reference)
    return ratios


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    """Each target: held or not, by the median ratio."""
    ratios = _ratios(rows)
    out = []
    for name, (_, minimum) in TARGETS.items():
        if name in ratios:
            median = statistics.median(ratios[name])
            verdict = "PASS" if median >= minimum else "MISS"
            out.append(f"{verdict} {name}: {median:.2f}x (target {minimum}x)")
    medians = {
        n: statistics.median(r["requests_per_s"] for r in rows if r["endpoint"] == n)
        for n in {r["endpoint"] for r in rows}
    }
    if "GET bad token (401)" in medians and "GET checkouts (empty)" in medians:
        ratio = medians["GET bad token (401)"] / medians["GET checkouts (empty)"]
        out.append(
            f"{'PASS' if ratio >= 1.0 else 'MISS'} 401 vs protected GET: {ratio:.2f}x (target 1.0x)"
        )
    p99 = [r["p99_ms"] for r in rows if r["endpoint"] == "GET checkouts (empty)"]
    if p99:
        median = statistics.median(p99)
        verdict = "PASS" if median < 50 else "MISS"
        out.append(f"{verdict} p99 of the protected GET: {median:.1f} ms (target < 50 ms)")
    errors = sum(r["errors"] for r in rows if not r["endpoint"].startswith("baseline"))
    out.append(f"{'PASS' if errors == 0 else 'MISS'} errors under load: {errors:.0f}")
    return out
