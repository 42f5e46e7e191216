# SPDX-License-Identifier: GPL-3.0-or-later
"""-q silences every informational line, as rsync's rwrite() drops them
when quiet, whatever -v, -i or a listing asks for ("created directory"
and "sending incremental file list" used to get through)."""

import pytest

from harness import T0


def tree(t):
    t.file("src/a", "a\n", mtime=T0)
    t.file("src/sub/b", "b\n", mtime=T0)


@pytest.mark.parametrize("args", [
    ["-aqi", "src/", "new/"], ["-aqv", "src/", "new/"], ["-aqvv", "src/", "new/"],
    ["-aqn", "-i", "src/", "new/"], ["-q", "src/"], ["-qr", "src/"], ["-aq", "--stats", "src/", "new/"],
    ["-aq", "--mkpath", "-v", "src/", "x/y/new/"], ["-aq", "--progress", "src/", "new/"],
], ids=lambda a: " ".join(a))
def test_quiet(rr, args):
    rr.check(args, tree)


def single_files(t):
    tree(t)
    t.file("one", "1\n", mtime=T0)
    t.file("two", "22\n", mtime=T0)


@pytest.mark.parametrize("args", [
    ["-v", "one", "new/"], ["-v", "one", "two", "new/"], ["-dv", "src/", "new/"],
    ["-nv", "--mkpath", "one", "rdir/a/b/c"], ["-ni", "--mkpath", "one", "rdir/dst"],
    ["-ni", "--mkpath", "one", "rdir/sub/"], ["-n", "--mkpath", "-v", "one", "two", "rdir/x/"],
    ["-ani", "--mkpath", "src/", "rdir/x/y/"],
], ids=lambda a: " ".join(a))
def test_banner_and_mkpath_lines(rr, args):
    """'building file list ... done' only when directories go (-r, -d), and
    a dry run with --mkpath says how many directories it would make, as
    rsync does (rsync's test suite `file-to-file-mkpath-dry-run`)."""
    rr.check(args, single_files)
