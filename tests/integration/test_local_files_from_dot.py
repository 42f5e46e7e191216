# SPDX-License-Identifier: GPL-3.0-or-later
"""A "/./" inside a --files-from line ends the part of the path that is not
sent, as it does on the command line with -R (rsync's test suite
`files-from`: "from/./dir/subdir/foo" lands at dir/subdir/foo). Not yet
like rsync: with -r, a listed directory whose files are listed too (see
docs/engine.md, "Several operands")."""

import pytest

from harness import T0


def tree(t):
    t.file("from/dir/subdir/foo", "foo\n", mtime=T0)
    t.file("from/dir/other", "other\n", mtime=T0)
    t.file("from/top", "top\n", mtime=T0)
    t.file("list", "from/./dir/subdir/foo\nfrom/top\n./from/./dir\nfrom/./dir/other\n")
    t.file("list2", "./from/dir/subdir/./foo\nfrom/./top\n")


@pytest.mark.parametrize("args", [
    ["-ai", "--files-from=list", ".", "dst/"],
    ["-ai", "--no-implied-dirs", "--files-from=list", ".", "dst/"],
    ["-ai", "--files-from=list2", ".", "dst/"],
    ["-ai", "--no-relative", "--files-from=list", ".", "dst/"],
], ids=lambda a: " ".join(a[1:-2]))
def test_dot_dir_in_files_from(rr, args):
    rr.check(args, tree)
