# SPDX-License-Identifier: GPL-3.0-or-later
"""The engine on fastio (docs/fastio.md "The engine on io/"): what the
batching and the two helper threads (the walker listing source directories
ahead, the finisher closing and renaming files) must not change. Each
scenario is compared with rsync 3.5.0 on the POSIX backend, on auto and
with every op on the io_uring ring."""


import pytest

from harness import all_backends_fixture, NOBODY, NOGROUP, T0, T1, temp_leftovers


io_backend = all_backends_fixture()


def wide_tree(t):
    """Enough directories and files that the walker runs ahead and the
    finisher batches; some directories are excluded or empty."""
    for d in range(12):
        t.dir(f"src/d{d:02d}", mtime=T0)
        for f in range(d * 3):
            t.file(f"src/d{d:02d}/f{f:02d}", f"{d} {f}\n" * (f + 1), mtime=T0 + f)
        t.dir(f"src/d{d:02d}/sub", mtime=T1)
        t.file(f"src/d{d:02d}/sub/leaf", "leaf\n", mtime=T1)
    t.dir("src/skip/deep", mtime=T0)
    t.file("src/skip/deep/x", "x\n")
    t.dir("dst")


@pytest.mark.parametrize("opts", [["-a", "--fsync"], ["-av", "--fsync", "--inplace"],
                                  ["-a", "--fsync", "--temp-dir=tmp"]],
                         ids=lambda o: " ".join(o))
def test_fsync(rr, opts):
    # --fsync: each file is synced before its rename (on the ring, part of
    # the fsync -> close -> rename chain); the result is rsync's.
    def setup(t):
        wide_tree(t)
        t.dir("dst/tmp")

    _, ours = rr.check([*opts, "src/", "dst/"], setup)
    assert not temp_leftovers(ours)


@pytest.mark.parametrize("opts", [["-a"], ["-ai"], ["-av", "--exclude=skip", "--exclude=sub/"],
                                  ["-a", "--delete"], ["-ai", "--stats"], ["-a", "-n", "-i"]],
                         ids=lambda o: " ".join(o))
def test_wide_tree(rr, opts):
    _, ours = rr.check([*opts, "src/", "dst/"], wide_tree, stdout="exact")
    assert not temp_leftovers(ours)


def test_wide_tree_rerun_with_changes(rr):
    # the destination scan (one batch of lstats per directory) decides what
    # changed; a type change and a missing directory are among them
    def setup(t):
        wide_tree(t)
        t.rsync("-a", "src/", "dst/")
        t.file("src/d03/f01", "changed\n", mtime=T1)
        t.remove("dst/d05/sub")
        t.file("dst/d05/sub", "a file where a dir was\n")
        t.remove("dst/d07")

    rr.check(["-ai", "--delete", "src/", "dst/"], setup, stdout="exact")


def test_unreadable_dirs_as_nobody(rr, am_root):
    # the walker's listing failures are reported by the engine, in place
    def setup(t):
        t.chown(".", NOBODY, NOGROUP)
        t.dir("src", uid=NOBODY, gid=NOGROUP)
        for d in range(6):
            t.dir(f"src/d{d}", uid=NOBODY, gid=NOGROUP)
            t.file(f"src/d{d}/f", f"{d}\n", uid=NOBODY, gid=NOGROUP, mtime=T0)
        t.dir("src/d2/locked", mode=0o700, uid=0, gid=0)
        t.file("src/d2/locked/hidden", "hidden\n")
        t.dir("dst", uid=NOBODY, gid=NOGROUP)

    ref, _ = rr.check(["-a", "src/", "dst/"], setup, user=(NOBODY, NOGROUP))
    assert ref.rc == 23
