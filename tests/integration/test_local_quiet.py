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
