# SPDX-License-Identifier: GPL-3.0-or-later
"""-b/--backup, --backup-dir, --suffix against rsync 3.5.0: what is kept,
where, with which attributes, and what rsync says about it."""

import pytest

from harness import T0, T1


def old_and_new(t):
    """dst holds older versions, extras and an old backup; src is newer."""
    t.file("src/a", "new a\n", mtime=T1)
    t.file("src/same", "unchanged\n", mtime=T0)
    t.file("src/d/b", "new b\n", mtime=T1)
    t.file("src/d/e/deep", "new deep\n", mtime=T1)
    t.symlink("src/link", "a")
    t.file("src/was-link", "now a file\n", mtime=T1)
    t.dir("dst/d/e", mode=0o750, mtime=T0)
    t.dir("dst/d", mode=0o711, mtime=T0)
    t.file("dst/a", "old a\n", mtime=T0, mode=0o600)
    t.file("dst/a~", "older backup of a\n", mtime=T0)
    t.file("dst/same", "unchanged\n", mtime=T0)
    t.file("dst/d/b", "old b\n", mtime=T0)
    t.file("dst/d/e/deep", "old deep\n", mtime=T0)
    t.file("dst/d/extra", "extra in d\n", mtime=T0)
    t.file("dst/extra", "extra\n", mtime=T0)
    t.file("dst/link", "a file where the link goes\n", mtime=T0)
    t.symlink("dst/was-link", "a")


@pytest.mark.parametrize("opts", [
    ["-ab"],
    ["-abi"],
    ["-ab", "--delete"],
    ["-abi", "--delete-after"],
    ["-ab", "--suffix=.bak"],
    ["-ab", "--suffix=.bak", "--delete"],
    ["-a", "--backup-dir=bk"],
    ["-a", "--backup-dir=bk", "--delete"],
    ["-a", "--backup-dir=bk", "--suffix=.old", "--delete"],
    ["-a", "--backup-dir=nested/deeper/bk", "-i"],
    ["-ab", "--inplace"],
    ["-ab", "--delete", "--delete-excluded"],
    ["-abvv"],
    ["-avv", "--backup-dir=bk", "--delete"],
    ["-abn", "--delete"],
    ["-rb", "--delete"],
])
def test_backups(rr, opts):
    rr.check([*opts, "src/", "dst/"], old_and_new)


def test_backup_dir_exists(rr):
    def setup(t):
        old_and_new(t)
        t.file("dst/bk/a", "an even older a\n", mtime=T0)
    rr.check(["-avv", "--backup-dir=bk", "src/", "dst/"], setup)


def test_backup_dir_is_a_file(rr):
    def setup(t):
        old_and_new(t)
        t.file("dst/bk", "not a directory\n")
    ref, ours = rr.check(["-a", "--backup-dir=bk", "src/", "dst/"], setup)
    assert ref.rc == 1
