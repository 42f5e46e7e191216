#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The version of this source tree, for --version and the Debian package:
# meson.build's release number alone outside git; from git, git describe:
# a tag vX.Y.Z gives X.Y.Z, commits since it add +gitN.gHASH (so versions
# sort upwards, as dpkg wants); with no tag yet, the release number of
# meson.build plus +gitN.gHASH with N the commits in the history.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
base=$(sed -n "s/^  version: '\([^']*\)',.*/\1/p" "$root/meson.build")
[ -n "$base" ] || { echo "version.sh: no version in meson.build" >&2; exit 1; }
if ! git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
	echo "$base"
elif d=$(git -C "$root" describe --tags --match 'v[0-9]*' 2>/dev/null); then
	echo "$d" | sed 's/^v//; s/-\([0-9]*\)-g\([0-9a-f]*\)$/+git\1.g\2/'
else
	n=$(git -C "$root" rev-list --count HEAD)
	h=$(git -C "$root" describe --always --abbrev=7)
	echo "$base+git$n.g$h"
fi
