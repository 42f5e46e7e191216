#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Install the Debian packages ursync needs to build and test, only those missing.
# (man-db, mandoc, bash-completion and systemd: tests/integration/test_install.py
# renders the man pages, runs the completion and verifies the units. Building
# the Debian package needs dpkg-dev and debhelper as well: docs/install.md.)
set -eu
want="build-essential meson ninja-build pkg-config rsync liburing-dev libzstd-dev
liblz4-dev libxxhash-dev zlib1g-dev libssl-dev libacl1-dev libattr1-dev
libcmocka-dev python3 python3-pytest clang strace openssh-server openssh-client
man-db mandoc bash-completion systemd"
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
# The reference peer must be rsync 3.5.0 (bookworm-security); say so if it is not.
v=$(rsync --version | sed -n '1s/^rsync *version \([0-9.]*\).*/\1/p')
[ "$v" = "3.5.0" ] || echo "deps: warning: rsync is $v, tests compare with 3.5.0" >&2
