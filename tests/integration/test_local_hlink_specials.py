# SPDX-License-Identifier: GPL-3.0-or-later
"""-H with hard-linked devices and FIFOs: the group's first member is made
and the others link to it, where for regular files the last member is
copied (rsync's test suite `devices`: ursync made the last member lead
for every type)."""

import pytest

from harness import T0


def tree(t):
    t.device("src/block3", "b", 42, 73, mtime=T0)
    t.hardlink("src/block3.5", "src/block3")
    t.device("src/char", "c", 41, 67, mtime=T0)
    t.hardlink("src/z-char", "src/char")
    t.hardlink("src/a-char", "src/char")
    t.fifo("src/p3", mtime=T0)
    t.hardlink("src/p3.5", "src/p3")
    t.file("src/f3", "f\n", mtime=T0)
    t.hardlink("src/f3.5", "src/f3")
    t.dir("src", mtime=T0)


@pytest.mark.parametrize("opts", [["-aiH"], ["-aiHvv"], ["-aiH", "--no-inc-recursive"],
                                  ["-niH", "-a"]], ids=lambda o: " ".join(o))
def test_hardlinked_specials(rr, opts, am_root):
    rr.check([*opts, "src/", "dst/"], tree)
