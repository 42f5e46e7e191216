#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A fake remote shell for capturing rsync's wire bytes: rsync runs it as
# "capture.sh [-l user] HOST rsync --server ...". The host is dropped, the
# command runs locally, and both directions are copied to files in
# $UR_CAPTURE_DIR (c2s = what the client sent, s2c = what the server sent).
while [ $# -gt 0 ]; do
	case "$1" in
	-l) shift 2 ;;
	-*) shift ;;
	*) break ;;
	esac
done
shift # the host
dir=${UR_CAPTURE_DIR:?set UR_CAPTURE_DIR}
# UR_CAPTURE_NO_V=1 strips 'v' from the client's -e letters, so the server
# answers as to an older client: byte-form xflags, no negotiation strings.
if [ -n "$UR_CAPTURE_NO_V" ]; then
	args=()
	for a in "$@"; do
		case "$a" in
		-*e.*) a="${a%%e.*}e.$(printf '%s' "${a#*e.}" | tr -d v)" ;;
		esac
		args+=("$a")
	done
	set -- "${args[@]}"
fi
mkdir -p "$dir"
printf '%s\n' "$*" >"$dir/cmd"
# The input tee runs as a process substitution so the shell does not wait
# for it: rsync's client keeps its end open until the shell exits.
"$@" < <(tee "$dir/c2s") | tee "$dir/s2c"
