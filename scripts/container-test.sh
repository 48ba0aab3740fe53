#!/bin/sh
# container-test.sh: builds the image from the Containerfile with buildah, then starts the
# image's own entrypoint from its file system, as its user, and queries it. Needs root.
#
# This machine reaches Debian's mirror but no container registry, and its kernel refuses the
# rlimits crun sets (podman run fails: "setrlimit RLIMIT_NOFILE: Operation not permitted").
# So the Debian 12 base is made here by debootstrap and imported under the name the
# Containerfile pulls, the build runs with --isolation chroot, and the image's entrypoint runs
# by chroot into its mounted root: its binary and libraries, nothing from this machine.
set -eu
cd "$(dirname "$0")/.."
. scripts/clean-root.sh

if ! podman image exists docker.io/library/debian:12; then
  debian_root
  tar -C "$debian_base" -c . | podman import -q - docker.io/library/debian:12 >/dev/null
  podman tag docker.io/library/debian:12 docker.io/library/debian:12-slim
fi
buildah bud -q --layers --isolation chroot --pull=never --ulimit nofile="$(ulimit -Sn):$(ulimit -Hn)" -t localhost/meridian:test . >/dev/null
echo "container-test: built localhost/meridian:test, $(podman image inspect -f '{{.Size}}' localhost/meridian:test) bytes"

container=$(buildah from -q --pull=never localhost/meridian:test)
root=$(buildah mount "$container")
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  umount "$root/proc" 2>/dev/null || true
  buildah umount "$container" >/dev/null 2>&1 || true
  buildah rm "$container" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Only the runtime: no compiler or headers came over from the build stage.
for built in usr/bin/g++ usr/bin/cmake usr/include/ldns; do
  [ ! -e "$root/$built" ] || { echo "container-test: the image holds /$built" >&2; exit 1; }
done
user=$(podman image inspect -f '{{.Config.User}}' localhost/meridian:test)
[ "${user%%:*}" != 0 ] && [ -n "$user" ] || { echo "container-test: the image runs as root" >&2; exit 1; }

# The token the config names, as a Secret or -v would mount it.
mkdir -p "$root/run/secrets/meridian"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$root/run/secrets/meridian/control-token"
chown -R "$user" "$root/run/secrets/meridian"
mount -t proc proc "$root/proc"
chroot --userspec="$user" "$root" /usr/sbin/meridian check --config /etc/meridian/meridian.yaml
# The entrypoint and command the image runs.
entry=$(podman image inspect -f '{{range .Config.Entrypoint}}{{.}} {{end}}{{range .Config.Cmd}}{{.}} {{end}}' localhost/meridian:test)
chroot --userspec="$user" "$root" $entry >build/container-serve.log 2>&1 &
server=$!

await_answer "$server" build/container-serve.log www.example.com
[ "$answer" = 192.0.2.10 ] || { echo "container-test: www.example.com A answered '$answer'" >&2; cat build/container-serve.log >&2; exit 1; }
ready=$(curl -s -w ' %{http_code}' http://127.0.0.1:8053/readyz | tr -d '\n')
[ "$ready" = "ready 200" ] || { echo "container-test: /readyz answered '$ready'" >&2; exit 1; }
echo "container-test: the image's entrypoint answered www.example.com A $answer, /readyz $ready"
