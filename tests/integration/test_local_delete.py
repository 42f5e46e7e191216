# SPDX-License-Identifier: GPL-3.0-or-later
"""Deletion: --delete and its timings, --max-delete, --delete-excluded,
--force, and type changes in the destination."""

import pytest

from harness import T0, T1


def delete_tree(t):
    t.file("src/keep", "keep\n", mtime=T0)
    t.file("src/sub/keep2", "keep2\n", mtime=T0)
    t.file("src/changed", "new content\n", mtime=T1)
    t.file("src/excluded.tmp", "excluded in src\n")
    t.rsync("-a", "src/", "dst/")
    t.file("dst/changed", "old\n", mtime=T0)
    t.file("dst/extra1", "x\n")
    t.file("dst/extra2", "y\n")
    t.file("dst/stale.tmp", "excluded, only in dst\n")
    t.file("dst/sub/extra3", "z\n")
    t.dir("dst/extradir/deeper/deepest")
    t.file("dst/extradir/deeper/f", "f\n")
    t.symlink("dst/extralink", "keep")
    t.dir("dst/emptyextra")


DELETE_OPTS = [
    ["--delete"], ["--del"], ["--delete-before"], ["--delete-during"], ["--delete-after"],
    ["--delete-delay"], ["--delete", "-v"], ["--delete-after", "-v"], ["--delete", "-n"],
    ["--delete", "--exclude=*.tmp"], ["--delete", "--exclude=*.tmp", "--delete-excluded"],
    ["--delete-excluded", "--exclude=*.tmp"], ["--delete", "--max-delete=1"],
    ["--delete", "--max-delete=0"], ["--delete", "--max-delete=100"],
    ["--delete-after", "--max-delete=2", "-v"], ["--delete", "--stats"],
    ["--delete", "--existing"], ["--delete", "--ignore-existing"], ["--delete", "--force"],
    ["--delete", "--backup"], ["--delete", "--backup", "--suffix=.bak"],
    ["--delete", "--backup-dir=bk"],
]


@pytest.mark.parametrize("opts", DELETE_OPTS, ids=lambda o: " ".join(o))
def test_delete(rr, opts):
    ref, _ = rr.check(["-ai", *opts, "src/", "dst/"], delete_tree)
    if "--max-delete=1" in opts:
        assert ref.rc == 25


@pytest.mark.parametrize("opts", [["-d", "--delete"], ["--delete"], ["-d", "--delete", "-v"]],
                         ids=lambda o: " ".join(o))
def test_delete_without_recursion(rr, opts):
    rr.check(["-ti", *opts, "src/", "dst/"], delete_tree)


def test_delete_named_file_source(rr):
    rr.check(["-ai", "--delete", "src/keep", "dst/"], delete_tree)


def type_change_tree(t):
    """What is a file in src is a dir in dst and the other way round."""
    t.file("src/was-dir", "now a file\n", mtime=T0)
    t.file("src/was-empty-dir", "now a file too\n", mtime=T0)
    t.dir("src/was-file")
    t.file("src/was-file/inside", "inside\n", mtime=T0)
    t.symlink("src/was-file-now-link", "was-dir")
    t.file("src/was-link", "file now\n", mtime=T0)
    t.dir("src/was-link-now-dir")
    t.dir("dst/was-dir/sub")
    t.file("dst/was-dir/sub/f", "f\n")
    t.file("dst/was-dir/g", "g\n")
    t.dir("dst/was-empty-dir")
    t.file("dst/was-file", "a file in dst\n")
    t.file("dst/was-file-now-link", "file in dst\n")
    t.symlink("dst/was-link", "was-file")
    t.symlink("dst/was-link-now-dir", "nowhere")


@pytest.mark.parametrize("opts", [[], ["--force"], ["--delete"], ["--delete", "--force"],
                                  ["--delete-after"], ["-v"], ["--force", "-n"]],
                         ids=lambda o: " ".join(o) or "plain")
def test_type_changes(rr, opts):
    rr.check(["-ai", *opts, "src/", "dst/"], type_change_tree)


def test_delete_with_unsafe_dest_symlink_dir(rr):
    """A symlinked dir in dst that is extra must be removed as a link,
    never followed into its target."""
    def setup(t):
        t.file("src/a", "a\n")
        t.dir("elsewhere")
        t.file("elsewhere/precious", "must survive\n")
        t.dir("dst")
        t.symlink("dst/linkdir", "../elsewhere")

    rr.check(["-ai", "--delete", "src/", "dst/"], setup)
