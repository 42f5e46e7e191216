# SPDX-License-Identifier: GPL-3.0-or-later
"""A second run after the source changed: what gets noticed and how it is
itemized."""

import pytest

from harness import T0, T1


def base(t):
    t.file("src/f", "content\n", mode=0o644, mtime=T0)
    t.file("src/g", "gee\n", mode=0o644, mtime=T0)
    t.dir("src/d", mtime=T0)
    t.file("src/d/h", "aitch\n", mtime=T0)
    t.symlink("src/l", "f")
    t.mtime("src", T1)


def change_same_size_same_mtime(t):
    t.file("src/f", "CONTENT\n", mtime=T0)


def change_mtime(t):
    t.mtime("src/f", T1)


def change_perms(t):
    t.chmod("src/f", 0o600)
    t.chmod("src/d", 0o700)


def change_size(t):
    t.file("src/f", "content, longer\n", mtime=T0)


def change_file_to_dir(t):
    t.remove("src/g")
    t.file("src/g/inside", "now inside a dir\n")


def change_dir_to_file(t):
    t.remove("src/d")
    t.file("src/d", "now a file\n", mtime=T0)


def change_symlink_target(t):
    t.remove("src/l")
    t.symlink("src/l", "g")


def change_file_to_symlink(t):
    t.remove("src/g")
    t.symlink("src/g", "d/h")


def change_dir_mtime(t):
    t.mtime("src/d", T1)


def change_added_and_removed(t):
    t.remove("src/d/h")
    t.file("src/d/new", "new\n")


CHANGES = [change_same_size_same_mtime, change_mtime, change_perms, change_size,
           change_file_to_dir, change_dir_to_file, change_symlink_target, change_file_to_symlink,
           change_dir_mtime, change_added_and_removed]


@pytest.mark.parametrize("opts", [["-ai"], ["-aic"], ["-ai", "--force"], ["-ai", "--delete"],
                                  ["-rlpi"], ["-aiv"]],
                         ids=lambda o: " ".join(o))
@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__[len("change_"):])
def test_second_run(rr, change, opts):
    def setup(t):
        base(t)
        t.rsync("-a", "src/", "dst/")
        change(t)

    rr.check([*opts, "src/", "dst/"], setup)


def test_perms_only_itemize(rr):
    """Only permissions differ: rsync itemizes ".f...p.....", nothing copied."""
    def setup(t):
        base(t)
        t.rsync("-a", "src/", "dst/")
        change_perms(t)

    ref, ours = rr.check(["-ai", "src/", "dst/"], setup)
    assert ".f...p..... f" in ref.out.splitlines()


def test_third_run_is_silent(rr):
    """After a sync with changes, running again does nothing."""
    def setup(t):
        base(t)
        t.rsync("-a", "src/", "dst/")
        for c in (change_mtime, change_perms, change_size, change_file_to_dir,
                  change_dir_to_file, change_symlink_target):
            c(t)
        t.rsync("-a", "--delete", "--force", "src/", "dst/")

    ref, ours = rr.check(["-ai", "--delete", "src/", "dst/"], setup)
    assert ref.out == ""
