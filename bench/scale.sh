#!/usr/bin/env bash
# bench/scale.sh: Meridian with 10, 1,000 and 10,000 profiles of 10 endpoints: start-up time,
# reload time, RSS and QPS at each size; prints a Markdown table.
# Usage: bash bench/scale.sh [--sizes "10 1000 10000"] [--duration S] [--peak-budget S]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

sizes="10 1000 10000"
duration=5
peak_budget=5
inside=""
while [ $# -gt 0 ]; do
  case $1 in
    --sizes) sizes=$2; shift ;;
    --duration) duration=$2; shift ;;
    --peak-budget) peak_budget=$2; shift ;;
    --inside-netns) inside=yes ;;
    -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

if [ -z "$inside" ]; then
  build_tools
  enter_private_netns "$0" --sizes "$sizes" --duration "$duration" --peak-budget "$peak_budget"
fi

geo_db=$(bench_geo_db)
rate=${BENCH_RATE:-100000}
port=15310
make_work_dir scale

now_ms() { echo $(($(date +%s%N) / 1000000)); }

rows=()
first_peak=""
for size in $sizes; do
  dir="$work/p$size"
  python3 "$here/make-scale-config.py" --profiles "$size" --out "$dir" --port "$port" --geo-db "$geo_db"
  log "scale: $size profiles"
  logfile="$dir/meridian.log"
  begin=$(now_ms)
  "${pin[@]}" "$server_core" "$meridian_bin" serve --config "$dir/meridian.yaml" --control 127.0.0.1:0 2>"$logfile" &
  pid=$!
  started_pids+=("$pid")
  if ! wait_log "$logfile" 'server: ready' 120; then
    tail -5 "$logfile" >&2
    die "meridian did not get ready with $size profiles"
  fi
  startup_ms=$(($(now_ms) - begin))
  idle_rss=$(rss_kib "$pid")

  result=$("${pin[@]}" "$loadgen_core" "$build_dir/meridian-loadgen" --server "127.0.0.1:$port" \
             --queries "$dir/queries.txt" --geo-db "$geo_db" --rate "$rate" --duration "$duration" \
             --peak-budget "$peak_budget" --server-pid "$pid" --server-core "$server_core" \
             --self-core "$loadgen_core" --kernel-hz "$kernel_hz" 2>>"$work/loadgen.log" | grep '^result ' || true)
  get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }

  # Reload: SIGHUP, then wait (up to 60 s) for "server: reloaded", which Meridian logs once the
  # new config is in service, with its own timing (ms=). Reported: that figure and the wall time
  # from the signal to the log line.
  reload="no answer in 60 s"
  lines_before=$(wc -l < "$logfile")
  begin=$(now_ms)
  {  # (stderr muted: bash reports a child that a signal ended)
    kill -HUP "$pid" 2>/dev/null || true
    for _ in $(seq 1200); do
      if ! kill -0 "$pid" 2>/dev/null; then
        reload="failed: the server ended"
        break
      fi
      after=$(tail -n +$((lines_before + 1)) "$logfile")
      if grep -q 'reload failed' <<<"$after"; then
        reload="failed: $(grep 'reload failed' <<<"$after" | head -1)"
        break
      fi
      if grep -q 'server: reloaded' <<<"$after"; then
        reload="$(sed -n 's/.*server: reloaded.* ms=\([0-9]*\).*/\1/p' <<<"$after" | head -1) ms ($(($(now_ms) - begin)) ms to the log line)"
        break
      fi
      sleep 0.05
    done
    stop_pid "$pid"
  } 2>/dev/null
  started_pids=()
  peak=$(get peak_qps)
  [ -n "$first_peak" ] || first_peak=${peak:-0}
  versus=$(awk -v p="${peak:-0}" -v f="$first_peak" 'BEGIN { if (f > 0) printf "%.2f×", p / f }')

  rows+=("| $size | $((size * 10)) | $startup_ms ms | $reload | $(awk -v k="$idle_rss" 'BEGIN{printf "%.1f", k/1024}') | $(awk -v k="$(get rss_kib)" 'BEGIN{printf "%.1f", k/1024}') | $(awk -v q="${peak:-0}" 'BEGIN{printf "%.0fk", q/1000}') | $versus | $(printf '%.2f' "$(get user_us_per_q)") | $(printf '%.2f' "$(get total_us_per_q)") | $(get p99_us) | $(($(get wrong) + 0)) |")
done

echo "Scale (Meridian alone; profiles cycle priority/weighted/performance/geographic, 10 endpoints each,"
echo "monitor none; queries spread over every profile with ECS clients from $(basename "$geo_db"); fixed"
echo "window ${rate} q/s for ${duration} s, then a ${peak_budget} s peak search):"
echo
echo "| Profiles | Endpoints | Start-up to \"server: ready\" | Reload | RSS idle MiB | RSS loaded MiB | Peak q/s | Peak vs first size | User µs/q | Total µs/q | p99 µs | Wrong |"
echo "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
