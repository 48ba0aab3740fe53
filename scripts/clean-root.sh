# clean-root.sh, sourced by install-test.sh and container-test.sh (both need root).
#
#   debian_root  makes build/debian-bookworm, a minbase Debian 12 made by debootstrap, once;
#                each test copies it or imports it, so none changes it.
#   await_answer PID LOG NAME  sets $answer to what 127.0.0.1:5300 answers for NAME A, waiting
#                for the answer itself (the server's readiness) for at most 10 s; if the
#                server PID exits first, prints its LOG and exits 1.
debian_base=build/debian-bookworm

debian_root() {
  [ -x "$debian_base/usr/bin/apt-get" ] && return 0
  rm -rf "$debian_base"
  debootstrap --variant=minbase bookworm "$debian_base" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" \
    >build/debian-bookworm.log 2>&1 || { tail -20 build/debian-bookworm.log >&2; exit 1; }
}

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
