"""Each drill: break one part of the deployment under the load, measure, check the promise.

A drill returns the lines it measured, or raises DrillFailed (carrying them) when a promise
does not hold. Every wait is bounded; every failure it causes is undone before it returns.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from drills import deployment as dep
from drills.deployment import API, API_HOSTS, CLIENT2, HOOKS, LB, LB_PORT_FORM, RUN, Stopwatch
from drills.load import RETRYABLE, App, Load

__all__ = ["CLIENT2", "DRILL_SECONDS", "WARM_UP", "DrillFailed", "Stage"]

WARM_UP = 4.0
DRILL_SECONDS = 120.0
DB_CUT_503_LIMIT = 5.0  # the promise: an API host cut off from PostgreSQL answers 503
STALENESS = 3.0  # JPAY_ACCESS_STATE_MAX_STALENESS in drills.sh
TOKEN_PER_KEY = 20  # JPAY_RATE_LIMIT_TOKEN_PER_KEY in drills.sh (20/hour: a burst of 20)
# Logins the probe has in flight at once may each pass the limiter's check before the first
# failure counts (the key's limit is checked before the secret, counted after it).
OVERSHOOT = 4
API_PROCESSES = 4  # two hosts, two workers each
WEBHOOK_TIMEOUT = 2.0  # JPAY_WEBHOOK_TIMEOUT in drills.sh
DRIP_SECONDS = 30.0  # how long the receiver takes to drip one answer (receiver.DRIP_BYTES)
CLOCK_SKEW = 3.0  # api2 runs this far ahead (drills.sh), inside JPAY_TOKEN_LEEWAY (5 s)


class DrillFailed(Exception):
    """A promise did not hold; `figures` says what was measured up to then."""

    def __init__(self, message: str, figures: list[str]) -> None:
        super().__init__(message)
        self.figures = figures


def check(condition: bool, message: str, figures: list[str]) -> None:
    """Raise DrillFailed with the figures so far unless `condition` holds."""
    if not condition:
        raise DrillFailed(message, figures)


@dataclass
class Stage:
    """What every drill shares: the apps and the load running through the load balancer."""

    apps: dict[str, App]
    load: Load


async def login(base: str, app: App) -> dict[str, Any]:
    """A token pair for `app` from `base` (the load balancer or one API host)."""
    async with httpx.AsyncClient(timeout=20) as http:
        body = {"app_key": app.app_key, "app_secret": app.app_secret}
        for _ in range(20):
            response = await http.post(f"{base}{API}/auth/app/token", json=body)
            if response.status_code == 200:
                pair: dict[str, Any] = response.json()
                return pair
            await asyncio.sleep(0.5)
    raise DrillFailed(f"no token from {base}: {response.status_code} {response.text}", [])


def claims(token: str) -> dict[str, Any]:
    """A JWT's payload, unverified (the drill reads iat and jti; the server verifies)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def no_500s(load: Load, figures: list[str], since: float = 0.0) -> None:
    """No request of the load got a 500 (since a drill began, or ever)."""
    errors = [s for s in load.server_errors() if s.t >= since]
    check(not errors, f"the load got {len(errors)} server errors: {errors[:5]}", figures)


def tally(counter: Counter[str]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counter.items())) or "none"


# --- Allowlists see real client addresses through the proxy -------------------------------


async def allowlist_through_proxy(stage: Stage) -> list[str]:
    """An app allowlisted for client2 works from client2 only, through HAProxy."""
    return await allowlist(stage, LB, "X-Forwarded-For: ip")


async def allowlist_port_form(stage: Stage) -> list[str]:
    """The same through a proxy that writes X-Forwarded-For as ip:port."""
    return await allowlist(stage, LB_PORT_FORM, "X-Forwarded-For: ip:port")


async def allowlist(stage: Stage, base: str, how: str) -> list[str]:
    """Client2 logs in and calls; client1 tries to log in, and to call with client2's token."""
    app = stage.apps["allow"]
    figures: list[str] = []
    from_client2 = json.loads(
        await dep.in_namespace("client2", *PROBE, "session", base, app.app_key, app.app_secret)
    )
    async with httpx.AsyncClient(base_url=base + API, timeout=20) as http:
        body = {"app_key": app.app_key, "app_secret": app.app_secret}
        token = await http.post("/auth/app/token", json=body)
        auth = {"Authorization": f"Bearer {from_client2['access']}"}
        get = await http.get("/wallets/balance", headers=auth)
    client1 = (answer(token), answer(get))
    figures.append(
        f"through HAProxy ({how}): allowlisted client2 {CLIENT2}: login {from_client2['token']}, "
        f"GET {from_client2['get']}; client1: login {client1[0]}, GET with client2's token "
        f"{client1[1]}"
    )
    allowed = (from_client2["token"], from_client2["get"]) == ("200", "200")
    check(allowed, "the allowlisted client was refused", figures)
    # The token endpoint answers a caller outside the allowlist as it answers a wrong secret
    # (issue 10 defect 8), so a leaked secret is not confirmed; a token is refused by name.
    check(
        client1[0] in ("401 invalid_credentials", "403 ip_not_allowed"),
        "client1 got a token",
        figures,
    )
    check(client1[1] == "403 ip_not_allowed", "client1 used client2's token", figures)
    return figures


PROBE = (str(dep.ROOT / ".venv/bin/python"), "-m", "drills.probe")


def answer(response: httpx.Response) -> str:
    """'200', or '403 ip_not_allowed': the status and, for an error, its code."""
    code = response.json().get("code", "") if response.status_code >= 400 else ""
    return f"{response.status_code} {code}".strip()


async def probe_tokens(base: str, app: App, count: int, *, wrong: bool = False) -> Counter[str]:
    """COUNT logins from the second client host (with a wrong secret), tallied by answer."""
    secret = "-" if wrong else app.app_secret
    out = await dep.in_namespace("client2", *PROBE, "logins", base, app.app_key, secret, str(count))
    return Counter(json.loads(out))


# --- An API host loses PostgreSQL -----------------------------------------------------------


async def api_host_cut_from_postgres(stage: Stage) -> list[str]:
    """api1 cut off from PostgreSQL: 503 within 5 s, out of the LB, back by itself, no 500."""
    figures: list[str] = []
    pair = await login(LB, stage.apps["ops"])
    auth = {"Authorization": f"Bearer {pair['access']}"}
    answers: list[tuple[float, float, int]] = []  # (sent, answered, status) since the cut
    lb_down = lb_up = back = None
    async with httpx.AsyncClient(base_url=API_HOSTS["api1"] + API, timeout=8) as http:

        async def probe(clock: Stopwatch) -> None:
            sent = clock()
            try:
                status = (await http.get("/wallets/balance", headers=auth)).status_code
            except httpx.HTTPError:
                status = 0
            answers.append((sent, clock(), status))

        cut_at = time.monotonic()
        await dep.sh("cut_db", "api1")
        clock = Stopwatch(cut_at)
        probes: list[asyncio.Task[None]] = []
        while clock() < 25 and (lb_down is None or not any(s == 503 for _, _, s in answers)):
            probes.append(asyncio.create_task(probe(clock)))
            if lb_down is None and (await dep.lb_servers()).get("api1", "").startswith("DOWN"):
                lb_down = clock()
            await asyncio.sleep(0.25)
        await asyncio.gather(*probes)
        first_503 = min((a for _, a, s in answers if s == 503), default=None)
        statuses = Counter(s for _, _, s in answers)
        figures.append(
            f"api1 answered its first 503 {fmt(first_503)} after the cut "
            f"(JPAY_ACCESS_STATE_MAX_STALENESS={STALENESS:g})"
        )
        figures.append(f"HAProxy marked api1 DOWN {fmt(lb_down)} after the cut")
        figures.append(
            f"direct probes during the cut: {tally(Counter(str(s) for s in statuses.elements()))}"
        )
        await asyncio.sleep(2)
        healed = time.monotonic()
        await dep.sh("heal_db", "api1")
        clock = Stopwatch(healed)
        while clock() < 60 and (back is None or lb_up is None):
            if back is None:
                try:
                    if (
                        await http.get("/wallets/balance", headers=auth, timeout=2)
                    ).status_code == 200:
                        back = clock()
                except httpx.HTTPError:
                    pass
            if lb_up is None and (await dep.lb_servers()).get("api1") == "UP":
                lb_up = clock()
            await asyncio.sleep(0.2)
    window = stage.load.between(cut_at, time.monotonic())
    figures.append(
        f"after the link returned: api1 answered 200 in {fmt(back)}, "
        f"back in HAProxy in {fmt(lb_up)}"
    )
    figures.append(f"load through HAProxy meanwhile: {tally(window)}")
    check(first_503 is not None and first_503 <= DB_CUT_503_LIMIT, "no 503 within 5 s", figures)
    check(lb_down is not None, "HAProxy never took api1 out", figures)
    check(back is not None and lb_up is not None, "api1 did not come back by itself", figures)
    no_500s(stage.load, figures, cut_at)
    return figures


def fmt(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.1f} s"


# --- PostgreSQL restarts --------------------------------------------------------------------


async def postgres_restart(stage: Stage) -> list[str]:
    """PostgreSQL restarted mid-load: clean failures, then service without restarting anything."""
    figures: list[str] = []
    began = time.monotonic()
    await dep.sh("restart_postgres")
    restarted = time.monotonic()
    figures.append(f"pg_ctl restart -m fast took {restarted - began:.1f} s")
    clock = Stopwatch(restarted)
    ok_at = None
    # Recovered: every kind of request the load makes answers again (token, refresh, GET, POST).
    while clock() < 60:
        recent = [s for s in stage.load.samples if s.t > restarted + (clock() - 2)]
        if recent and all(s.status not in RETRYABLE for s in recent):
            ok_at = clock() - 2
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(1)
    window = stage.load.between(began, time.monotonic())
    failed = sum(n for k, n in window.items() if int(k.split()[0]) in RETRYABLE)
    which = Counter(
        f"{x.op} {x.status}" for x in stage.load.samples if x.t >= began and x.status in RETRYABLE
    )
    figures.append(f"load answers from the restart on: {tally(window)}; failed: {tally(which)}")
    figures.append(
        f"{failed} requests failed cleanly (503/502/504/no answer); full service "
        f"{fmt(ok_at)} after PostgreSQL was back, with no process restarted"
    )
    check(ok_at is not None, "the load did not recover within 60 s", figures)
    no_500s(stage.load, figures, began)
    return figures


# --- Redis stops and starts -----------------------------------------------------------------


async def redis_outage(stage: Stage) -> list[str]:
    """Redis stopped: limits degrade to per-process (not off); Redis back: shared again."""
    figures: list[str] = []
    began = time.monotonic()
    burst = 6 * TOKEN_PER_KEY
    shared = await probe_tokens(LB, stage.apps["rl_up"], burst, wrong=True)
    figures.append(f"Redis up, {burst} logins on one app_key: {tally(shared)}")
    warnings_before = limiter_warnings()
    await dep.sh("stop_redis")
    try:
        await asyncio.sleep(0.5)
        degraded = await probe_tokens(LB, stage.apps["rl_down"], burst, wrong=True)
        figures.append(f"Redis down, the same on a fresh app_key: {tally(degraded)}")
        warned = limiter_warnings() - warnings_before
        figures.append(f"rate-limiter warnings logged during the outage: {warned}")
    finally:
        await dep.sh("start_redis")
    back_at = None
    clock = Stopwatch.start()
    recovered: Counter[str] = Counter()
    # The Redis buckets were lost with the restart: rl_up's is empty again, as rl_back's is.
    warnings_before = limiter_warnings()
    for name in ("rl_back", "rl_up", "rl_back2"):
        await asyncio.sleep(3)
        recovered = await probe_tokens(LB, stage.apps[name], burst, wrong=True)
        figures.append(
            f"Redis back, the same on a fresh app_key (probe done {clock():.0f} s after the "
            f"restart): {tally(recovered)}"
        )
        if admitted(recovered) <= TOKEN_PER_KEY + OVERSHOOT:
            back_at = clock()
            break
    figures.append(f"shared limits again {fmt(back_at)} after Redis restarted (probe included)")
    after = limiter_warnings() - warnings_before
    figures.append(f"rate-limiter warnings logged after the restart: {after}")
    check(
        admitted(shared) <= TOKEN_PER_KEY + OVERSHOOT,
        "the shared limit did not hold with Redis up",
        figures,
    )
    check(degraded["429 rate_limited"] > 0, "with Redis down, rate limiting was off", figures)
    check(
        admitted(degraded) <= API_PROCESSES * (TOKEN_PER_KEY + OVERSHOOT),
        "with Redis down, more than one bucket per process was admitted",
        figures,
    )
    check(back_at is not None, "limits were not shared again after Redis came back", figures)
    no_500s(stage.load, figures, began)
    return figures


def admitted(answers: Counter[str]) -> int:
    """Logins the limiter let through to the secret check (wrong secrets: 401, not 429)."""
    return answers["401 invalid_credentials"]


def limiter_warnings() -> int:
    """Lines the API processes logged about the rate limiter (one per outage is the promise)."""
    count = 0
    for name in ("api1", "api2"):
        path = RUN / "logs" / f"{name}.log"
        if path.exists():
            lines = path.read_text(errors="replace").splitlines()
            count += sum("ratelimit" in line or "rate limit" in line.lower() for line in lines)
    return count


# --- An API process dies mid-refresh ---------------------------------------------------------


async def sigkill_mid_refresh(stage: Stage) -> list[str]:
    """SIGKILL an API process mid-refresh: the retry within grace gets the same pair."""
    figures: list[str] = []
    began = time.monotonic()
    pairs = []
    for name in ("kill1", "kill2", "kill3"):
        logins = (login(LB, stage.apps[name]) for _ in range(TOKEN_PER_KEY - 4))
        pairs += await asyncio.gather(*logins)
    refresh = [p["refresh"] for p in pairs]
    kills: list[Kill] = []
    async with httpx.AsyncClient(timeout=20) as http:
        for delay in KILL_DELAYS:
            kills.append(await refresh_burst_and_kill(http, refresh, delay))
            if any(k.committed for k in kills):
                break
        onward = await asyncio.gather(
            *(http.post(f"{LB}{API}/auth/refresh", json={"refresh": r}) for r in refresh)
        )
    lost = sum(k.lost for k in kills)
    committed = sum(k.committed for k in kills)
    same = sum(k.same for k in kills)
    retried = Counter(answer for k in kills for answer in k.retries)
    after = Counter(str(r.status_code) for r in onward)
    figures.append(
        f"{lost} refreshes in flight at api1 got no usable answer (none, or a 502/503) "
        f"around {len(kills)} SIGKILLs, "
        f"{committed} of them rotated before the process died; uvicorn replaced each killed "
        f"process within {fmt(max(k.replaced or 99.0 for k in kills))}"
    )
    figures.append(
        f"retries through HAProxy within {max(k.retried_after for k in kills):.1f} s of the "
        f"kill: {tally(retried)}; of the {committed} rotated before the kill, {same} got exactly "
        "the pair the lost answer carried; each retry repeated at once got the same bytes"
    )
    figures.append(f"all {len(refresh)} families refresh on afterwards: {tally(after)}")
    check(lost > 0, f"no refresh was in flight in {len(kills)} kills", figures)
    check(retried == Counter({"200, same again": lost}), "a retry did not get one pair", figures)
    check(committed > 0, "no refresh had rotated when its process died", figures)
    check(same == committed, "a retry got another pair than the one committed", figures)
    check(after == Counter({"200": len(refresh)}), "a family was revoked or lost", figures)
    no_500s(stage.load, figures, began)
    return figures


# After a burst is sent; one kill per burst, until one catches a committed refresh.
KILL_DELAYS = (0.0, 0.02, 0.05, 0.0, 0.02, 0.05, 0.1, 0.2)


@dataclass
class Kill:
    """One SIGKILL during a burst of refreshes, and what the clients' retries got."""

    lost: int = 0  # refreshes whose answer never came
    committed: int = 0  # of those, rotated in the database before the process died
    same: int = 0  # of those, retries that got exactly the committed pair
    retries: list[str] | None = None
    retried_after: float = 0.0  # seconds from the kill to the last retry's answer
    replaced: float | None = None  # seconds until uvicorn had two workers again


async def refresh_burst_and_kill(http: httpx.AsyncClient, refresh: list[str], delay: float) -> Kill:
    """Refresh every family at api1 at once, SIGKILL one of its processes, retry the lost."""
    victims = dep.uvicorn_workers("api1")
    if len(victims) != 2:
        raise DrillFailed(f"api1 has {len(victims)} worker processes, not 2", [])
    url = f"{API_HOSTS['api1']}{API}/auth/refresh"
    calls = [asyncio.create_task(http.post(url, json={"refresh": r})) for r in refresh]
    await asyncio.sleep(delay)
    await freeze_after_a_commit(victims[0], list(zip(refresh, calls, strict=True)))
    os.kill(victims[0], signal.SIGKILL)
    killed_at = time.monotonic()
    answers = await asyncio.gather(*calls, return_exceptions=True)
    kill = Kill(retries=[])
    lost = []
    for n, answer in enumerate(answers):
        if isinstance(answer, httpx.Response) and answer.status_code == 200:
            refresh[n] = answer.json()["refresh"]
        elif isinstance(answer, httpx.HTTPError) or answer.status_code in RETRYABLE:
            lost.append(n)  # no answer, or one that says to try again: the client retries
        else:
            raise DrillFailed(f"a refresh answered {answer!r}", [])
    kill.lost = len(lost)
    rotated = await dep.sql(
        "SELECT jti, successor_jti FROM refresh_use WHERE jti = ANY($1::text[])",
        [claims(refresh[n])["jti"] for n in lost],
    )
    successors = {row["jti"]: row["successor_jti"] for row in rotated}
    kill.committed = len(successors)

    async def retry(n: int) -> None:  # what a client does when its refresh got no answer
        first = await http.post(f"{LB}{API}/auth/refresh", json={"refresh": refresh[n]})
        again = await http.post(f"{LB}{API}/auth/refresh", json={"refresh": refresh[n]})
        same = first.content == again.content
        assert kill.retries is not None
        kill.retries.append(f"{first.status_code}, {'same' if same else 'different'} again")
        if first.status_code == 200:
            jti = claims(refresh[n])["jti"]
            if jti in successors:
                kill.same += successors[jti] == claims(first.json()["refresh"])["jti"]
            refresh[n] = first.json()["refresh"]

    await asyncio.gather(*(retry(n) for n in lost))
    kill.retried_after = time.monotonic() - killed_at
    kill.replaced = await wait_replaced("api1", victims[0], killed_at)
    return kill


async def freeze_after_a_commit(pid: int, burst: list[tuple[str, asyncio.Task[Any]]]) -> None:
    """Stop the process at a moment when a refresh it is serving has committed, if we can.

    SIGSTOP freezes it; a refresh_use row for a token whose answer has not reached us means
    the rotation committed and the new pair is still inside the process (or on its way).
    The window between a commit and its answers is a few milliseconds, so the process is
    sampled every 5 ms until the burst is answered, frozen for at most about STALENESS / 2
    in all; the caller kills the process either way.
    """
    frozen = 0.0  # kept well under the staleness limit, or the process would answer 503
    while frozen < STALENESS / 2:
        jtis = [claims(token)["jti"] for token, call in burst if not call.done()]
        if not jtis:
            return
        stopped = time.monotonic()
        os.kill(pid, signal.SIGSTOP)
        if await dep.sql("SELECT 1 FROM refresh_use WHERE jti = ANY($1::text[])", jtis):
            return
        os.kill(pid, signal.SIGCONT)
        frozen += time.monotonic() - stopped
        await asyncio.sleep(0.005)


async def wait_replaced(host: str, dead: int, since: float) -> float | None:
    while time.monotonic() - since < 30:
        workers = dep.uvicorn_workers(host)
        if len(workers) == 2 and dead not in workers:
            return time.monotonic() - since
        await asyncio.sleep(0.1)
    return None


# --- Webhooks: a worker dies mid-delivery; a receiver drips ----------------------------------


def received() -> list[dict[str, Any]]:
    path = RUN / "hooks.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def collect(
    http: httpx.AsyncClient, app: App, auth: dict[str, str], path: str, ref: str
) -> str:
    body = {
        "payfrom": "+254712345678",
        "amount": "3.00",
        "ref_no": ref,
        "callback_url": f"{HOOKS}{path}",
        "app_code": app.app_code,
    }
    headers = {**auth, "Idempotency-Key": ref}
    for _ in range(10):  # as a client does: retry what says "try again", under the same key
        response = await http.post(
            f"{LB}{API}/payments/collections/checkouts/initiate", json=body, headers=headers
        )
        if response.status_code not in RETRYABLE:
            break
        await asyncio.sleep(0.5)
    if response.status_code != 200:
        raise DrillFailed(f"collection refused: {response.status_code} {response.text}", [])
    return str(response.json()["id"])


async def delivered(app: App, want: int, limit: float) -> list[Any]:
    """Wait until `want` events of the app are delivered; return every event row."""
    deadline = time.monotonic() + limit
    while True:
        rows = await dep.sql(
            "SELECT id, status, created_at, attempts FROM webhook_event WHERE app_code = $1",
            app.app_code,
        )
        if sum(r["status"] == "delivered" for r in rows) >= want or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.5)


def verified_ids(app: App, path_prefix: str) -> list[str]:
    """The webhook-id of every request the receiver got on the prefix, each signature checked."""
    verifier = Webhook(app.webhook_secret)
    ids = []
    for request in received():
        if request["path"].startswith(path_prefix):
            verifier.verify(request["body"], request["headers"])
            ids.append(request["headers"]["webhook-id"])
    return ids


async def worker_killed_mid_delivery(stage: Stage) -> list[str]:
    """SIGKILL the worker mid-delivery: every webhook arrives, repeats only under the same id."""
    figures: list[str] = []
    app = stage.apps["hold"]
    pair = await login(LB, app)
    auth = {"Authorization": f"Bearer {pair['access']}"}
    async with httpx.AsyncClient(timeout=20) as http:
        made = [await collect(http, app, auth, "/hold/hold", f"HOLD-{n}") for n in range(8)]
    clock = Stopwatch.start()
    while clock() < 30 and not any(r["path"].startswith("/hold/") for r in received()):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    check(clock() < 30, "no hold webhook was ever attempted", figures)
    await dep.sh("kill_worker")
    killed = time.monotonic()
    figures.append(f"worker SIGKILLed {clock():.1f} s into the deliveries, while one was in flight")
    await asyncio.sleep(1)
    await dep.sh("start_worker")  # what its supervisor (systemd, Kubernetes) does
    rows = await delivered(app, len(made), 60)
    done = time.monotonic() - killed
    ids = verified_ids(app, "/hold/")
    repeats = len(ids) - len(set(ids))
    figures.append(
        f"{sum(r['status'] == 'delivered' for r in rows)} of {len(made)} events delivered "
        f"{done:.1f} s after the kill; {len(ids)} verified requests, {len(set(ids))} distinct "
        f"webhook-ids ({repeats} repeats, each under its event's id)"
    )
    check(len(rows) == len(made), f"{len(rows)} events for {len(made)} collections", figures)
    check(all(r["status"] == "delivered" for r in rows), "an event was not delivered", figures)
    check(set(ids) == {r["id"] for r in rows}, "the receiver did not get every event", figures)
    return figures


async def dripping_receiver(stage: Stage) -> list[str]:
    """A receiver dripping one byte a second: attempts end on time, others keep their latency."""
    figures: list[str] = []
    slow, app = stage.apps["drip"], stage.apps["ops"]
    slow_auth = {"Authorization": f"Bearer {(await login(LB, slow))['access']}"}
    auth = {"Authorization": f"Bearer {(await login(LB, app))['access']}"}
    async with httpx.AsyncClient(timeout=20) as http:
        dripping = [
            await collect(http, slow, slow_auth, "/drip/slow", f"DRIP-{n}") for n in range(6)
        ]
        await asyncio.sleep(2)  # the drips have started
        fast = [await collect(http, app, auth, "/fast/ops", f"FAST-{n}") for n in range(10)]
    fast_rows = await delivered(app, len(fast), 45)
    slow_rows = await delivered(slow, len(dripping), 45)
    arrivals = {}
    for request in received():
        if request["path"].startswith("/fast/ops"):
            arrivals.setdefault(request["headers"]["webhook-id"], request["t"])
    latencies = sorted(
        arrivals[r["id"]] - r["created_at"].timestamp() for r in fast_rows if r["id"] in arrivals
    )
    attempts = await dep.sql(
        "SELECT d.duration_ms FROM webhook_delivery d JOIN webhook_event e ON e.id = d.event_id "
        "WHERE e.app_code = $1 AND d.attempt = 1",
        slow.app_code,
    )
    longest = max((a["duration_ms"] or 0 for a in attempts), default=0) / 1000
    ids = verified_ids(slow, "/drip/")
    figures.append(
        f"first attempts at the dripping receiver ended after at most {longest:.1f} s "
        "(JPAY_WEBHOOK_TIMEOUT=2)"
    )
    figures.append(
        f"{sum(r['status'] == 'delivered' for r in slow_rows)} of {len(dripping)} dripped "
        "events delivered; "
        f"{len(ids)} requests, {len(set(ids))} distinct ids"
    )
    if latencies:
        figures.append(
            f"another merchant's webhooks meanwhile: {len(latencies)} of {len(fast)} arrived, "
            f"median {statistics.median(latencies):.1f} s, "
            f"max {latencies[-1]:.1f} s after the event"
        )
    # The receiver drips for 30 s: an attempt that outlives the 2 s deadline by more than
    # scheduling noise on a busy machine was not cut off.
    check(longest <= WEBHOOK_TIMEOUT + 2, "an attempt outlived the webhook deadline", figures)
    check(
        all(r["status"] == "delivered" for r in slow_rows) and len(slow_rows) == len(dripping),
        "a dripped event was not delivered",
        figures,
    )
    check(
        # Blocked behind the drips, they would wait for a whole 30 s drip or more.
        len(latencies) == len(fast) and latencies[-1] <= DRIP_SECONDS / 2,
        "the other merchant's webhooks waited on the slow one",
        figures,
    )
    return figures


# --- Clocks 3 s apart -------------------------------------------------------------------------


async def clock_skew(stage: Stage) -> list[str]:
    """api2's clock runs 3 s ahead: tokens minted on either host verify and refresh on the other."""
    figures: list[str] = []
    app = stage.apps["clock"]
    ahead, bounds = [], []
    for _ in range(4):
        sent = time.time()
        ahead.append(await login(API_HOSTS["api2"], app))
        # iat is whole seconds of api2's clock, stamped between sending and receiving.
        iat = claims(ahead[-1]["access"])["iat"]
        bounds.append((iat - time.time(), iat + 1 - sent))
    behind = [await login(API_HOSTS["api1"], app) for _ in range(4)]
    low, high = max(b[0] for b in bounds), min(b[1] for b in bounds)
    figures.append(f"api2's clock, read off the iat of its tokens: {low:+.1f} to {high:+.1f} s")
    statuses: Counter[str] = Counter()
    async with httpx.AsyncClient(timeout=20) as http:
        for pairs, other in ((ahead, "api1"), (behind, "api2")):
            for pair in pairs:
                got = await http.get(
                    f"{API_HOSTS[other]}{API}/wallets/balance",
                    headers={"Authorization": f"Bearer {pair['access']}"},
                )
                statuses[f"verify on {other}: {got.status_code}"] += 1
                turned = await http.post(
                    f"{API_HOSTS[other]}{API}/auth/refresh", json={"refresh": pair["refresh"]}
                )
                statuses[f"refresh on {other}: {turned.status_code}"] += 1
    figures.append(tally(statuses))
    check(low - 0.5 <= CLOCK_SKEW <= high + 0.5 and low > 1, "api2 is not 3 s ahead", figures)
    check(all(k.endswith(": 200") for k in statuses), "a token failed on the other host", figures)
    return figures


# --- After the load: the books ----------------------------------------------------------------


# Each payment of the load's app, with how many ledger entries of each kind name it.
PAYMENT_ENTRIES = """
SELECT p.id, p.kind, p.status,
  (SELECT count(*) FROM ledger_entry e WHERE e.reference = p.id AND e.type = 'payout') AS debits,
  (SELECT count(*) FROM ledger_entry e
    WHERE e.reference = p.id AND e.type = 'payout_reversal') AS reversals,
  (SELECT count(*) FROM ledger_entry e
    WHERE e.reference = p.id AND e.type = 'collection') AS credits
FROM payment p WHERE p.app_code = $1
"""


async def invariants(stage: Stage) -> list[str]:
    """Every ledger balances, no payout debited twice, no acknowledged collection lost."""
    figures: list[str] = []
    load = stage.load
    clock = Stopwatch.start()
    while clock() < 45:
        open_rows = await dep.sql(
            "SELECT count(*) AS n FROM payment WHERE status IN ('pending', 'processing')"
        )
        if open_rows[0]["n"] == 0:
            break
        await asyncio.sleep(0.5)
    unbalanced = await dep.sql(
        "SELECT w.merchant_id, w.kind, w.balance_cents, coalesce(sum(e.amount_cents), 0) AS total "
        "FROM wallet w LEFT JOIN ledger_entry e "
        "ON e.merchant_id = w.merchant_id AND e.wallet = w.kind "
        "GROUP BY w.merchant_id, w.kind, w.balance_cents "
        "HAVING w.balance_cents <> coalesce(sum(e.amount_cents), 0)"
    )
    twice = await dep.sql(
        "SELECT reference, type, count(*) FROM ledger_entry "
        "WHERE type IN ('payout', 'payout_reversal', 'collection') "
        "GROUP BY reference, type HAVING count(*) > 1"
    )
    payments = await dep.sql(PAYMENT_ENTRIES, load.app.app_code)
    by_id = {p["id"]: p for p in payments}
    lost = load.collections - by_id.keys()
    wrong = [
        p["id"]
        for p in payments
        if (
            p["kind"] == "payout"
            and (p["debits"] != 1 or p["reversals"] != (p["status"] == "failed"))
        )
        or (p["kind"] == "collection" and p["credits"] != (p["status"] == "completed"))
    ]
    unsettled = [p["id"] for p in payments if p["status"] in ("pending", "processing")]
    statuses = Counter(f"{s.status} {s.code}".strip() for s in load.samples)
    figures.append(f"the load: {len(load.samples)} requests, by status {tally(statuses)}")
    figures.append(
        f"{len(load.collections)} collections and {len(load.payouts)} payouts acknowledged; "
        f"{len(payments)} payments of the load's app in the database, {len(unsettled)} unsettled"
    )
    figures.append(
        f"wallets whose balance is not the sum of their ledger: {len(unbalanced)}; entries "
        f"written twice for one payment: {len(twice)}; payments whose entries do not match "
        f"their outcome: {len(wrong)}; acknowledged collections missing: {len(lost)}"
    )
    check(not unbalanced, f"unbalanced wallets: {unbalanced}", figures)
    check(not twice and not wrong, f"double or missing entries: {twice[:5]} {wrong[:5]}", figures)
    check(not lost, f"lost collections: {sorted(lost)[:5]}", figures)
    check(not unsettled, f"payments never settled: {unsettled[:5]}", figures)
    no_500s(load, figures)
    return figures
