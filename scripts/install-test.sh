#!/bin/sh
# install-test.sh: installs build/package/meridian_*.deb (scripts/package.sh) in a clean Debian 12
# root made by debootstrap, then runs the installed unit's ExecStartPre and ExecStart there as an
# unprivileged user, as systemd would, and queries the server it started. Needs root.
set -eu
cd "$(dirname "$0")/.."
. scripts/clean-root.sh
deb=$(ls build/package/meridian_*.deb)
root=build/install-root

# A fresh copy of the base each run: nothing from an earlier run is left in it.
debian_root
umount "$root/proc" 2>/dev/null || true  # left mounted by a run that was killed
rm -rf "$root"
cp -a "$debian_base" "$root"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  umount "$root/proc" 2>/dev/null || true
}
trap cleanup EXIT
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/meridian.deb"
chroot "$root" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /tmp/meridian.deb' >/dev/null
echo "install-test: installed $(chroot "$root" dpkg-query -W -f='${Package} ${Version}' meridian)"

# The unit's own commands, read from the installed unit, run as its (here: a system) user.
unit="$root/lib/systemd/system/meridian.service"
pre=$(sed -n 's/^ExecStartPre=//p' "$unit")
start=$(sed -n 's/^ExecStart=//p' "$unit")
chroot "$root" useradd --system --no-create-home meridian
mkdir -p "$root/var/lib/meridian"  # StateDirectory=meridian
chroot "$root" chown meridian: /var/lib/meridian
chroot --userspec=meridian:meridian "$root" $pre
chroot --userspec=meridian:meridian "$root" $start >build/install-serve.log 2>&1 &
server=$!

# The packaged config answers the example zone on 127.0.0.1:5300; the chroot shares our network.
await_answer "$server" build/install-serve.log ns1.example.com
expected=$(sed -n 's/^ns1[[:space:]]\+IN[[:space:]]\+A[[:space:]]\+//p' "$root/etc/meridian/zones/example.com.zone")
if [ -z "$answer" ] || [ "$answer" != "$expected" ]; then
  echo "install-test: ns1.example.com A answered '$answer', the zone says '$expected'" >&2
  cat build/install-serve.log >&2
  exit 1
fi
echo "install-test: the installed server answered ns1.example.com A $answer"
