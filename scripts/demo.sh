#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The main job: build a sample tree, sync it with ursync, show what happened,
# change it, sync again, and check the copy against rsync 3.5.0's own.
set -eu
URSYNC=$(realpath "${1:-build/ursync}")
work=$(mktemp -d "${TMPDIR:-/tmp}/ursync-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== sample tree in $work/src"
mkdir -p src/docs/notes src/bin src/empty "src/with space"
printf 'hello, world\n' > src/hello.txt
head -c 3000000 /dev/urandom > src/bin/blob.dat
printf '#!/bin/sh\necho hi\n' > src/bin/run.sh && chmod 755 src/bin/run.sh
printf 'caf\303\251\n' > "src/docs/caf$(printf '\303\251').txt"
printf 'a note\n' > "src/with space/note 1.txt"
ln -s ../hello.txt src/docs/link-to-hello
mkfifo src/docs/pipe
touch -d '2020-01-02 03:04:05.123456789' src/hello.txt

echo "== ursync -a --itemize-changes --stats src/ copy/"
"$URSYNC" -a --itemize-changes --stats src/ copy/

echo "== change one file, delete one, sync again with --delete"
printf 'hello again\n' > src/hello.txt
rm "src/with space/note 1.txt"
"$URSYNC" -ai --delete src/ copy/

echo "== compare with what rsync 3.5.0 makes of the same tree"
rsync -a src/ ref/
if rsync -ainc --delete ref/ copy/ | grep -q .; then
	echo "demo: ursync's copy differs from rsync's:" >&2
	rsync -ainc --delete ref/ copy/ >&2
	exit 1
fi
echo "demo: ursync's copy is identical to rsync's (contents, modes, times, links)"
