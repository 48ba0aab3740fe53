# await-answer.sh, sourced by install-test.sh and container-test.sh:
#   await_answer PID LOG NAME  sets $answer to what 127.0.0.1:5300 answers for NAME A, waiting
# for the answer itself (the server's readiness) for at most 10 s; if the server PID exits
# first, prints its LOG and exits 1.
await_answer() {
  answer=""
  for _ in $(seq 100); do
    # dig +short prints ";; no servers could be reached" on stdout while nothing listens.
    answer=$(dig +short +time=1 +tries=1 -p 5300 @127.0.0.1 "$3" A 2>/dev/null | grep -v '^;;' || true)
    [ -n "$answer" ] && return 0
    kill -0 "$1" 2>/dev/null || { cat "$2" >&2; exit 1; }
    sleep 0.1
  done
}
