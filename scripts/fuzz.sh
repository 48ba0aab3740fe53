#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan) into build-fuzz and runs each for
# SECONDS (default 30), starting from its seed corpus in tests/fuzz/corpus/<target>/ (copied:
# the repository is not changed). Exits 1 on any finding; its input is kept in
# build-fuzz/findings/<target>/ and printed as a path.
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(respond respond_paths query config zone address resolver_answer etcd_watch)

launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMERIDIAN_FUZZ=ON \
  "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]/#/fuzz_}"

failed=()
for target in "${targets[@]}"; do
  work=build-fuzz/runs/$target
  findings=build-fuzz/findings/$target
  rm -rf "$work" && mkdir -p "$work/corpus" "$findings"
  cp tests/fuzz/corpus/"$target"/* "$work/corpus/"
  log=$work/fuzz.log
  dict=()  # DNS pieces (names, types, option codes) or YAML keys, where the target has them
  [ -f tests/fuzz/"$target".dict ] && dict=(-dict=tests/fuzz/"$target".dict)
  # One process, stopped at the first finding; leaks count (LeakSanitizer), slow inputs too.
  if build-fuzz/fuzz_"$target" "$work/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$findings/" -print_final_stats=1 "${dict[@]}" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz: $target ok: $runs executions in ${seconds}s, corpus $(ls "$work/corpus" | wc -l) inputs"
  else
    echo "fuzz: $target FOUND a problem; input: $(ls "$findings"/* 2>/dev/null | head -1)" >&2
    grep -m1 -A30 -E "ERROR: |runtime error|fuzz finding" "$log" >&2 || tail -40 "$log" >&2
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}" >&2
  exit 1
fi
