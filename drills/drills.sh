#!/usr/bin/env bash
# Failure drills: the README's scale-out deployment, built on one machine, then broken on purpose.
#
#   sudo drills/drills.sh run      # build it, run every drill (python -m drills), tear it down
#   sudo drills/drills.sh up       # only build it (then `down` to remove it)
#
# Every host is a network namespace on one bridge (10.77.0.0/24, nothing else is ever a target):
#
#   jpd-lb      10.77.0.2   HAProxy: :80 appends X-Forwarded-For "ip", :81 writes "ip:port"
#   jpd-api1    10.77.0.11  jpay-server serve --workers 2
#   jpd-api2    10.77.0.12  jpay-server serve --workers 2, its clock 3 s ahead (libfaketime)
#   jpd-worker  10.77.0.21  jpay-server worker (sandbox network, webhooks); the operator's CLI
#   jpd-pg      10.77.0.31  PostgreSQL, its own cluster in $RUN/pg (never the machine's)
#   jpd-redis   10.77.0.32  redis-server, its own (never the machine's)
#   jpd-hooks   10.77.0.41  the merchants' webhook receivers (drills/receiver.py)
#   jpd-client1 10.77.0.101 the load and the drills (python -m drills)
#   jpd-client2 10.77.0.102 a second client address, for allowlists and rate limits
#
# The subcommands after `up` are the failures, one line each: the driver calls them.
# Needs root, iproute2, iptables, haproxy, libfaketime and PostgreSQL's binaries (CI installs them).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
RUN="${JPAY_DRILLS_DIR:-/tmp/jpay-drills}"
PY="$ROOT/.venv/bin/python"
NET=10.77.0
HOSTS=(lb api1 api2 worker pg redis hooks client1 client2)
declare -A ADDR=(
  [lb]=$NET.2 [api1]=$NET.11 [api2]=$NET.12 [worker]=$NET.21 [pg]=$NET.31 [redis]=$NET.32
  [hooks]=$NET.41 [client1]=$NET.101 [client2]=$NET.102
)
PGBIN="$(dirname "$(readlink -f "$(command -v pg_ctl || echo /usr/lib/postgresql/15/bin/pg_ctl)")")"
FAKETIME_LIB="$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n 1 || true)"
CLOCK_SKEW="+3s"  # api2's clock, against everyone else's; JPAY_TOKEN_LEEWAY is 5 s

in_ns() { local host=$1; shift; ip netns exec "jpd-$host" "$@"; }
log() { printf '[drills %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# The settings every jpay process of this deployment shares, as the README's section sets them.
write_env() {
  cat >"$RUN/jpay.env" <<EOF
JPAY_ENV=development
JPAY_SECRET_KEY=drills-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
JPAY_DATABASE_URL=postgresql+asyncpg://jpay@${ADDR[pg]}:5432/jpay
JPAY_REDIS_URL=redis://${ADDR[redis]}:6379/0
JPAY_TRUSTED_PROXIES=${ADDR[lb]}/32
JPAY_WORKER_IN_PROCESS=false
JPAY_VAR_DIR=$RUN/var
JPAY_LOG_FORMAT=json
JPAY_ACCESS_STATE_MAX_STALENESS=3
JPAY_RATE_LIMIT_TOKEN_PER_IP=6000/minute
JPAY_RATE_LIMIT_REFRESH_PER_IP=6000/minute
JPAY_RATE_LIMIT_TOKEN_PER_KEY=20/hour
JPAY_SANDBOX_STEP_DELAY=0.5
JPAY_WORKER_POLL_INTERVAL=0.2
JPAY_WEBHOOK_TIMEOUT=2
JPAY_WEBHOOK_RETRY_SCHEDULE=0,0.5,1,2,4,8
EOF
}

with_env() {  # with_env HOST CMD...: CMD on HOST with the deployment's settings
  local host=$1; shift
  # shellcheck disable=SC2046 # one VAR=value word per line of the file
  in_ns "$host" env $(cat "$RUN/jpay.env") "$@"
}
jpay() { local host=$1; shift; with_env "$host" "$ROOT/.venv/bin/jpay-server" "$@"; }

network_up() {
  ip netns add jpd-net
  in_ns net ip link add br0 type bridge
  in_ns net ip link set br0 up
  for host in "${HOSTS[@]}"; do
    ip netns add "jpd-$host"
    in_ns net ip link add "v-$host" type veth peer name eth0 netns "jpd-$host"
    in_ns net ip link set "v-$host" master br0 up
    in_ns "$host" ip addr add "${ADDR[$host]}/24" dev eth0
    in_ns "$host" ip link set eth0 up
    in_ns "$host" ip link set lo up
  done
}

postgres_up() {
  install -d -o postgres -m 0700 "$RUN/pg" "$RUN/pgsock"
  runuser -u postgres -- "$PGBIN/initdb" -D "$RUN/pg/data" -U postgres --auth=trust \
    --no-sync >"$RUN/logs/initdb.log"
  echo "host all all $NET.0/24 trust" >>"$RUN/pg/data/pg_hba.conf"
  postgres_start
  in_ns pg runuser -u postgres -- "$PGBIN/psql" -h "$RUN/pgsock" -U postgres -qc \
    "CREATE ROLE jpay LOGIN" -c "CREATE DATABASE jpay OWNER jpay"
}

postgres_start() {
  in_ns pg runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUN/pg/data" -l "$RUN/pg/postgres.log" \
    -o "-c listen_addresses=${ADDR[pg]} -k $RUN/pgsock -c fsync=off -c max_connections=200" \
    -w -t 30 start >/dev/null
}

redis_start() {
  in_ns redis redis-server --bind "${ADDR[redis]}" --port 6379 --protected-mode no \
    --save '' --appendonly no \
    --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$RUN/logs/redis.log"
}

haproxy_up() {
  cat >"$RUN/haproxy.cfg" <<EOF
global
  maxconn 4000
  stats socket $RUN/haproxy.sock mode 600 level admin
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 15s
  timeout check 2s
frontend api
  bind ${ADDR[lb]}:80
  option forwardfor
  default_backend api
frontend api_port_form
  # As some cloud load balancers do: X-Forwarded-For hops written as "ip:port".
  bind ${ADDR[lb]}:81
  http-request set-header X-Forwarded-For %[src]:%[src_port]
  default_backend api
backend api
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 1s fall 2 rise 2
  server api1 ${ADDR[api1]}:8000 check
  server api2 ${ADDR[api2]}:8000 check
EOF
  in_ns lb haproxy -f "$RUN/haproxy.cfg" -D -p "$RUN/haproxy.pid"
}

spawn() {  # spawn HOST NAME CMD...: start CMD on HOST in the background, its pid in $RUN/NAME.pid
  local host=$1 name=$2; shift 2
  # exec: the recorded pid is the process itself, not a subshell around it.
  # shellcheck disable=SC2046 # one VAR=value word per line of the file
  ( exec ip netns exec "jpd-$host" env $(cat "$RUN/jpay.env") "$@" ) >>"$RUN/logs/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
  disown  # its end (a drill's SIGKILL, or `down`) is not this script's to report
}

api_start() {  # api_start HOST: two uvicorn workers; api2 runs 3 s ahead of the others
  local host=$1 pre=()
  if [[ $host == api2 ]]; then
    pre=(env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="$CLOCK_SKEW" FAKETIME_DONT_FAKE_MONOTONIC=1)
  fi
  spawn "$host" "$host" "${pre[@]}" "$ROOT/.venv/bin/jpay-server" serve \
    --host "${ADDR[$host]}" --port 8000 --workers 2
}

worker_start() { spawn worker worker "$ROOT/.venv/bin/jpay-server" worker; }

hooks_start() {
  spawn hooks hooks "$PY" -m drills.receiver --host "${ADDR[hooks]}" --port 9000 \
    --record "$RUN/hooks.jsonl"
}

wait_http() {  # wait_http HOST URL: until it answers 200, at most 60 s
  for _ in $(seq 1 120); do
    if in_ns client1 curl -sf -o /dev/null --max-time 1 "$2"; then return 0; fi
    sleep 0.5
  done
  log "$1 did not become ready: see $RUN/logs/$1.log"; return 1
}

preflight() {  # what this machine lacks, as Debian package names (CI installs them)
  local missing=()
  command -v ip >/dev/null || missing+=(iproute2)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v haproxy >/dev/null || missing+=(haproxy)
  [[ -n $FAKETIME_LIB ]] || missing+=(libfaketime)
  [[ -x $PGBIN/initdb ]] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  echo "${missing[@]}"
}

up() {
  if [[ $(id -u) -ne 0 ]]; then log "needs root (network namespaces)"; exit 2; fi
  local missing; missing=$(preflight)
  if [[ -n $missing ]]; then log "missing: apt-get install $missing"; exit 2; fi
  down
  rm -rf "$RUN"
  mkdir -p "$RUN/logs" "$RUN/var"
  chmod 0755 "$RUN"
  write_env
  # Compiled once here: with PYTHONDONTWRITEBYTECODE set, every process would compile them.
  "$PY" -m compileall -q "$ROOT/server/src" "$ROOT/drills" >/dev/null
  log "network: ${#HOSTS[@]} namespaces on a bridge, $NET.0/24"
  network_up
  log "PostgreSQL ${ADDR[pg]}, Redis ${ADDR[redis]}"
  postgres_up
  redis_start
  jpay worker db upgrade >>"$RUN/logs/migrate.log" 2>&1
  log "API hosts ${ADDR[api1]} ${ADDR[api2]} (2 workers each), worker ${ADDR[worker]}, HAProxy ${ADDR[lb]}"
  api_start api1
  api_start api2
  worker_start
  hooks_start
  wait_http api1 "http://${ADDR[api1]}:8000/readyz"
  wait_http api2 "http://${ADDR[api2]}:8000/readyz"
  haproxy_up
  wait_http lb "http://${ADDR[lb]}/readyz"
  log "deployment up; logs in $RUN/logs"
}

down() {  # every process in our namespaces, then the namespaces (their veths go with them)
  local ns pids
  for ns in $(ip netns list 2>/dev/null | awk '/^jpd-/{print $1}'); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [[ -n $pids ]]; then kill -9 $pids 2>/dev/null || true; fi
  done
  sleep 0.2
  for ns in $(ip netns list 2>/dev/null | awk '/^jpd-/{print $1}'); do
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$RUN/pg" "$RUN/var"  # the logs stay until the next run, for reading
}

run() {
  trap 'down' EXIT
  trap 'exit 130' INT TERM
  up
  local status=0
  # Bounded as a whole too: every drill is, but a run never outlives 15 minutes.
  timeout 900 ip netns exec jpd-client1 env JPAY_DRILLS_DIR="$RUN" "$PY" -m drills "$@" \
    || status=$?
  if [[ $status -ne 0 ]]; then
    log "drills failed; the last lines of each log:"
    for f in "$RUN"/logs/{api1,api2,worker,hooks,redis}.log "$RUN/pg/postgres.log"; do
      [[ -f $f ]] && { echo "== $f"; tail -n 15 "$f"; }
    done
  fi
  return $status
}

# The failures the driver asks for, each as an operator would cause it by hand.
cut_db() { in_ns "$1" iptables -w -A OUTPUT -d "${ADDR[pg]}" -j DROP; }      # link to PG lost
heal_db() { in_ns "$1" iptables -w -D OUTPUT -d "${ADDR[pg]}" -j DROP; }     # link back
restart_postgres() {  # a fast shutdown (every session is cut), then the same start
  in_ns pg runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUN/pg/data" -m fast -w -t 30 stop >/dev/null
  postgres_start
}
stop_redis() { kill -9 "$(cat "$RUN/redis.pid")"; rm -f "$RUN/redis.pid"; }
start_redis() { redis_start; }
kill_worker() { kill -9 "$(cat "$RUN/worker.pid")"; }
start_worker() { worker_start; }
api_workers() { pgrep -P "$(cat "$RUN/$1.pid")" -f 'multiprocessing|jpay' || true; }  # uvicorn's children

cmd=${1:-run}; shift || true
case $cmd in
  run) run "$@" ;;
  preflight | up | down | cut_db | heal_db | restart_postgres | stop_redis | start_redis | kill_worker | \
    start_worker | api_workers | jpay) "$cmd" "$@" ;;
  *) echo "usage: $0 run|up|down|cut_db HOST|heal_db HOST|restart_postgres|stop_redis|start_redis|kill_worker|start_worker|api_workers HOST|jpay HOST ARGS" >&2; exit 2 ;;
esac
