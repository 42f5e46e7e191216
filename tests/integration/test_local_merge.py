# SPDX-License-Identifier: GPL-3.0-or-later
"""Several operands with trees of the same shape merge into one destination
as rsync merges them: directories of the same name are one directory whose
contents come from every operand, and for a name in several operands the
earliest operand's entry wins (rsync 3.5.0's test suite `merge`; ursync
used to copy only the first operand's tree)."""

import pytest

from harness import T0, T1


def three(t):
    t.file("f1/one", "1\n", mtime=T0)
    t.file("f1/sub/x", "x from f1\n", mtime=T0)
    t.file("f2/two", "2\n", mtime=T0 + 1)
    t.file("f2/sub/x", "x from f2, longer\n", mtime=T1)
    t.file("f2/sub/y", "y\n", mtime=T0 + 2)
    t.file("f2/sub/deep/z", "z\n", mtime=T0 + 3)
    t.file("f3/three", "3\n", mtime=T0 + 4)
    t.file("f3/one", "1 from f3\n", mtime=T1)
    t.dir("f3/sub", mode=0o700, mtime=T0 + 5)
    t.symlink("f3/sub2", "sub")
    t.file("f2/sub2/w", "w\n", mtime=T0 + 6)


@pytest.mark.parametrize("args", [
    ["-ai", "f1/", "f2/", "f3/", "dst/"],
    ["-ai", "f3/", "f2/", "f1/", "dst/"],
    ["-ai", "f1/sub", "f2/sub", "f3/sub", "dst/"],
    ["-ai", "f1/", "f2/sub", "dst/"],
    ["-ai", "f2/sub", "f1/", "dst/"],
    ["-ai", "--no-inc-recursive", "f1/", "f2/", "f3/", "dst/"],
    ["-ai", "f1/", "f2/", "f1/", "dst/"],
    ["-ain", "f1/", "f2/", "f3/", "dst/"],
], ids=lambda a: " ".join(a[1:-1]))
def test_merge_operands(rr, args):
    rr.check(args, three)


@pytest.mark.parametrize("args", [
    ["-ai", "--delete", "f1/", "f2/", "dst/"],
    ["-ai", "--delete-after", "f1/sub", "f2/sub", "dst/"],
], ids=lambda a: " ".join(a[1:-1]))
def test_merge_with_delete(rr, args):
    """--delete sees the merged list: nothing another operand sends is
    deleted, only what none of them has."""
    def setup(t):
        three(t)
        t.file("dst/sub/y", "old y\n", mtime=T0)
        t.file("dst/sub/stale", "stale\n", mtime=T0)
        t.file("dst/stale", "stale\n", mtime=T0)
    rr.check(args, setup)
