"""Summaries: medians with min-max over rounds, ratios to the reference, issue 13's verdicts."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

# Peers' columns in the verdict table, in order.
PEERS = ("DRF + simplejwt", "DRF, 1-iteration hasher")
# label, jpay-server's endpoint, the peers' endpoints, minimum ratio on SQLite and on PostgreSQL.
TARGETS: list[tuple[str, str, dict[str, str], dict[str, float]]] = [
    (
        "protected GET, empty list",
        "GET checkouts (empty)",
        {PEERS[0]: "DRF GET (empty)"},
        {"sqlite": 0.80, "postgres": 0.60},
    ),
    (
        "protected GET, page of 50",
        "GET checkouts (50 rows)",
        {PEERS[0]: "DRF GET (50 rows)"},
        {"sqlite": 0.30, "postgres": 0.25},
    ),
    (
        "POST /auth/app/token",
        "POST /auth/app/token",
        {
            PEERS[0]: "DRF token (default hasher, 4 conns)",
            PEERS[1]: "DRF token (1-iteration hasher)",
        },
        {"sqlite": 0.35, "postgres": 0.30},
    ),
    (
        "POST /auth/refresh",
        "POST /auth/refresh",
        {PEERS[0]: "DRF POST /auth/refresh"},
        {"sqlite": 0.20, "postgres": 0.12},
    ),
]
# p99 of the protected GET (empty list) over the reference GET's p99 measured beside it.
P99 = ("GET checkouts (empty)", {PEERS[0]: "DRF GET (empty)"}, {"sqlite": 2.0, "postgres": 3.0})


def _spread(values: list[float], digits: int = 0) -> str:
    fmt = f"{{:.{digits}f}}"
    median = fmt.format(statistics.median(values))
    return (
        median
        if len(values) == 1
        else f"{median} ({fmt.format(min(values))}-{fmt.format(max(values))})"
    )


def table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of every load measured in this run."""
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_name[row["endpoint"]].append(row)
    ratios, p99s = _ratios(rows), _ratios(rows, "p99_ms", "compared_p99_ms")
    services = sorted({k for row in rows for k in row if k.endswith("_cores")})
    lines = [
        f"{'load':36} {'requests/s median (min-max)':>28} {'ratio to reference':>19} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'p99 ratio':>9} {'errors':>7} {'cpu ms/req':>10}"
        + "".join(f" {name.removesuffix('_cores') + ' cores':>14}" for name in services)
    ]
    for name, measured in by_name.items():
        ratio, p99 = ratios.get(name), p99s.get(name)
        lines.append(
            f"{name:36} {_spread([m['requests_per_s'] for m in measured]):>28} "
            f"{(_spread(ratio, 2) + 'x') if ratio else '':>19} "
            f"{statistics.median(m['p50_ms'] for m in measured):8.1f} "
            f"{statistics.median(m['p99_ms'] for m in measured):8.1f} "
            f"{(f'{statistics.median(p99):.2f}x') if p99 else '':>9} "
            f"{sum(m['errors'] for m in measured):7.0f} "
            f"{statistics.median(m['cpu_ms_per_request'] for m in measured):10.2f}"
            + "".join(
                f" {statistics.median(m.get(s, 0.0) for m in measured):14.2f}" for s in services
            )
        )
    return "\n".join(lines)


def _ratios(
    rows: list[dict[str, Any]], field: str = "requests_per_s", reference: str = "compared_with"
) -> dict[str, list[float]]:
    """Per load and round, its figure over the reference's measured just before it."""
    ratios: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if row.get(reference):
            ratios[row["endpoint"]].append(row[field] / row[reference])
    return ratios


def _x(ratio: float) -> str:
    """A ratio, with more decimals when small (the peer's default-hasher token is ~0.0001x)."""
    return f"{ratio:.{2 if ratio >= 0.1 else 3 if ratio >= 0.01 else 4}f}x"


def _median(values: list[float] | None) -> str:
    return _x(statistics.median(values)) if values else "-"


def verdicts(rows: list[dict[str, Any]], db: str) -> str:
    """Issue 13's targets, PASS or MISS by the median ratio, with the peers' ratios beside."""
    ratios, p99s = _ratios(rows), _ratios(rows, "p99_ms", "compared_p99_ms")
    connections = rows[0]["connections"] if rows else 64
    header = (
        f"{'target (' + db + ')':36} {'needs':>7} {'jpay-server':>12} {'verdict':>8}"
        + "".join(f" {peer:>24}" for peer in PEERS)
    )
    lines = [header]
    for label, ours, peers, minimum in TARGETS:
        if ours not in ratios:
            continue
        median = statistics.median(ratios[ours])
        lines.append(
            f"{label:36} {'>=' + format(minimum[db], '.2f') + 'x':>7} {_x(median):>12} "
            f"{'PASS' if median >= minimum[db] else 'MISS':>8}"
            + "".join(f" {_median(ratios.get(peers.get(peer, ''))):>24}" for peer in PEERS)
        )
    ours, peers, maximum = P99
    if ours in p99s:
        median = statistics.median(p99s[ours])
        lines.append(
            f"{'p99 at ' + str(connections) + ' conns, GET (x reference)':36} "
            f"{'<=' + format(maximum[db], '.1f') + 'x':>7} {_x(median):>12} "
            f"{'PASS' if median <= maximum[db] else 'MISS':>8}"
            + "".join(f" {_median(p99s.get(peers.get(peer, ''))):>24}" for peer in PEERS)
        )
    errors = sum(r["errors"] for r in rows if not r["endpoint"].startswith(("reference", "DRF")))
    lines.append(
        f"{'errors under load (jpay-server)':36} {'0':>7} {errors:12.0f} "
        f"{'PASS' if errors == 0 else 'MISS':>8}"
    )
    return "\n".join(lines)
