#!/usr/bin/env bash
# Three Meridian replicas that share probe verdicts and overrides through one etcd, with two fake
# clusters to route to, all on loopback, in the foreground until Ctrl-C (README.md, "Running
# several replicas").
#   --seconds N            stop by itself after N seconds
#   MERIDIAN_SKIP_BUILD=1  skip setup.sh and the build; MERIDIAN_BINARY: the binary to run
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=""
if (($# == 2)) && [ "$1" = --seconds ] && [[ $2 =~ ^[0-9]+$ ]]; then
  seconds=$2
elif (($#)); then
  echo "usage: $0 [--seconds N]" >&2
  exit 1
fi

if [ "${MERIDIAN_SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/setup.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build -j"$(nproc)" --target meridian
fi
binary=${MERIDIAN_BINARY:-$root/build/meridian}
etcd_binary=$(command -v etcd || echo /usr/bin/etcd)
for tool in "$binary" "$etcd_binary" python3 curl; do
  command -v "$tool" >/dev/null || { echo "run-replicas: $tool not found (run scripts/setup.sh)" >&2; exit 1; }
done

# Fixed ports, so that the commands printed below can be copied; every one is checked first.
etcd_url=http://127.0.0.1:23790
etcd_peer=http://127.0.0.1:23800
sites=(westeurope northeurope eastus)
dns_ports=(5311 5312 5313)
control_ports=(8061 8062 8063)
probe_sources=(127.0.0.21 127.0.0.22 127.0.0.23)
backend_names=(primary secondary)
backend_addresses=(127.0.0.11 127.0.0.12)
backend_port=8080  # the profile's monitor port

listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
for address_port in 127.0.0.1:23790 127.0.0.1:23800 127.0.0.11:$backend_port 127.0.0.12:$backend_port \
  "${dns_ports[@]/#/127.0.0.1:}" "${control_ports[@]/#/127.0.0.1:}"; do
  if listening "${address_port%:*}" "${address_port##*:}"; then
    echo "run-replicas: $address_port is in use (another run?): stop what listens there first" >&2
    exit 1
  fi
done

dir=$(mktemp -d -t meridian-replicas.XXXXXX)
pids=()   # every process started here, in order: etcd, the backends, the replicas
names=()
sleeper=""

# Still ours: running, and a child of this shell (bash reaps its children as they exit, so a
# PID that died here can only come back as someone else's process).
ours() {
  local stat fields
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  read -r -a fields <<<"${stat##*) }"  # after the command name: state, then the parent's PID
  [ "${fields[1]}" = "$$" ]
}

# SIGTERM to each PID that is still ours, then waits for them all (SIGKILL after 5 s).
stop() {
  local pid deadline=$((SECONDS + 5))
  for pid in "$@"; do
    if ours "$pid"; then
      kill -CONT "$pid" 2>/dev/null || true  # an etcd paused with kill -STOP cannot act on TERM
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for pid in "$@"; do
    while ours "$pid" && ((SECONDS < deadline)); do sleep 0.05; done
    if ours "$pid"; then
      echo "run-replicas: PID $pid did not stop within 5 s: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}

cleanup() {
  trap '' INT TERM
  # The replicas first, so that each revokes its lease while etcd is still there.
  stop "${pids[@]:3}" ${sleeper:-}
  stop "${pids[@]:0:3}"
  rm -rf "$dir"
  echo "run-replicas: stopped ${names[*]:-nothing}; removed $dir"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

started() {  # NAME PID
  names+=("$1")
  pids+=("$2")
}

# Fails the start with what a process that died had to say.
check_alive() {
  local i
  for i in "${!pids[@]}"; do
    ours "${pids[$i]}" && continue
    echo "run-replicas: ${names[$i]} (PID ${pids[$i]}) exited before the replicas were ready" >&2
    [ -f "$dir/${names[$i]}.log" ] && tail -n 20 "$dir/${names[$i]}.log" >&2
    exit 1
  done
}

# Polls CONDITION every 100 ms until it holds; fails the start after LIMIT seconds, or as soon as
# a process started here has died.
wait_for() {  # LIMIT WHAT CONDITION...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    check_alive
    if ((SECONDS >= deadline)); then
      echo "run-replicas: $what: not within the deadline" >&2
      exit 1
    fi
    sleep 0.1
  done
}

# etcd reads flags from ETCD_* variables too: none of the caller's.
for name in $(compgen -e); do [[ $name == ETCD* ]] && unset "$name"; done
"$etcd_binary" --name replicas --data-dir "$dir/etcd" \
  --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
  --listen-peer-urls "$etcd_peer" --initial-advertise-peer-urls "$etcd_peer" \
  --initial-cluster "replicas=$etcd_peer" --initial-cluster-state new --logger zap \
  >"$dir/etcd.log" 2>&1 &
started etcd $!
echo "run-replicas: etcd pid=$! client=$etcd_url data=$dir/etcd"

for i in 0 1; do
  python3 examples/replicas/backend.py "${backend_addresses[$i]}" "$backend_port" >"$dir/${backend_names[$i]}.log" 2>&1 &
  started "${backend_names[$i]}" $!
  echo "run-replicas: backend ${backend_names[$i]} pid=$! http://${backend_addresses[$i]}:$backend_port/"
done

etcd_healthy() { curl -s --noproxy '*' --max-time 1 "$etcd_url/health" 2>/dev/null | grep -q '"health":"true"'; }
backends_up() { listening 127.0.0.11 "$backend_port" && listening 127.0.0.12 "$backend_port"; }
wait_for 20 "etcd healthy at $etcd_url" etcd_healthy
wait_for 10 "backends listening" backends_up

# Each replica's log on stderr, every line led by its site.
prefix() { while IFS= read -r line; do printf '%s: %s\n' "$1" "$line" >&2; done; }
allow_root=()
[ "$(id -u)" -ne 0 ] || allow_root=(--allow-root)  # as scripts/run-example.sh
for i in 0 1 2; do
  site=${sites[$i]}
  sed -e "s|@SITE@|$site|g" -e "s|@DNS_PORT@|${dns_ports[$i]}|g" -e "s|@CONTROL_PORT@|${control_ports[$i]}|g" \
    -e "s|@STATE_FILE@|$dir/$site-state.json|g" -e "s|@PROBE_SOURCE@|${probe_sources[$i]}|g" \
    -e "s|@ZONE_FILE@|$root/examples/zones/example.com.zone|g" -e "s|@ETCD@|$etcd_url|g" \
    examples/replicas/replica.yaml.in >"$dir/$site.yaml"
  "$binary" serve --config "$dir/$site.yaml" "${allow_root[@]}" 2> >(prefix "$site") &
  started "$site" $!
  echo "run-replicas: replica $site pid=$! dns=127.0.0.1:${dns_ports[$i]}" \
    "control=http://127.0.0.1:${control_ports[$i]}/ probes-from=${probe_sources[$i]} config=$dir/$site.yaml"
done

# Ready: the replica answers, is connected to etcd, sees the three sites, and counts the three
# sites' verdicts on every endpoint.
agrees() {
  curl -s --noproxy '*' --max-time 1 "http://127.0.0.1:$1/v1/status" 2>/dev/null | python3 -c '
import json, sys
status = json.load(sys.stdin)
replication = status.get("replication") or {}
endpoints = [e for p in status["profiles"] for e in p["endpoints"]]
sys.exit(0 if status["ready"] and replication.get("connected") and len(replication.get("live_sites", [])) == 3
         and all((e.get("combined") or {}).get("live") == 3 for e in endpoints) else 1)' 2>/dev/null
}
all_agree() { agrees 8061 && agrees 8062 && agrees 8063; }
wait_for 30 "three replicas connected to etcd, each counting three sites" all_agree

etcd_pid=${pids[0]}
eastus_pid=${pids[5]}
cat <<EOF
run-replicas: ready: westeurope, northeurope and eastus connected to etcd, 3 live sites
Try, in another terminal (the replicas' logs show here, each line led by its site):
  for p in 5311 5312 5313; do dig @127.0.0.1 -p \$p app.example.com +short; done
      all three answer 127.0.0.11, the primary
  curl -s -d '' http://127.0.0.1:8061/v1/profiles/app/endpoints/primary/drain
      drained through westeurope: all three now answer 127.0.0.12 (the others log "through etcd")
  curl -s -d '' http://127.0.0.1:8063/v1/profiles/app/endpoints/primary/enable
      lifted through eastus: all three back on the primary
  curl -s -d '' http://127.0.0.11:8080/fail/127.0.0.21
      the primary fails westeurope's probes only: westeurope sees it Degraded, but the
      majority says Online, so every replica keeps answering it
  curl -s http://127.0.0.1:8061/metrics | grep meridian_endpoint_sites
      the votes: primary Online 2, Degraded 1
  curl -s -d '' http://127.0.0.11:8080/fail/127.0.0.22
      now two sites of three: all three move to 127.0.0.12 (heal/127.0.0.21 and heal/127.0.0.22 undo)
  curl -s http://127.0.0.1:8062/v1/status
      "replication" (connected, live_sites) and, per endpoint, "sites" and "combined"
  kill -STOP $etcd_pid; kill -CONT $etcd_pid
      etcd stops answering, then comes back: the replicas log it once, keep answering, and
      reconnect; meanwhile meridian_replication_etcd_connected is 0 on /metrics
  kill $eastus_pid
      eastus leaves: the others log "site eastus left"; their votes count two sites
Ctrl-C stops everything and removes $dir.
EOF

# In the foreground until a signal (or --seconds): wait returns at once when one is trapped.
sleep "${seconds:-infinity}" &
sleeper=$!
wait $sleeper
