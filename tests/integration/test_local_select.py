# SPDX-License-Identifier: GPL-3.0-or-later
"""Which files get transferred and how: quick check and its overrides,
size limits, update modes, --inplace/--partial/--temp-dir, -x, -R,
missing-argument handling and --remove-source-files."""

import os
import subprocess

import pytest

from harness import T0, T1

S = 10**9


def quick_tree(t):
    """dst primed from src, then each file made to differ in one way."""
    t.file("src/same", "unchanged\n", mtime=T0)
    t.file("src/same-size-same-time", "AAAA\n", mtime=T0)
    t.file("src/size-changed", "short\n", mtime=T0)
    t.file("src/time-changed", "time\n", mtime=T0)
    t.file("src/dst-newer", "content in src\n", mtime=T0)
    t.file("src/dst-older", "content in src\n", mtime=T1)
    t.file("src/off-by-1s", "window\n", mtime=T0)
    t.file("src/off-by-ns", "nanos\n", mtime=T0)
    t.file("src/off-by-3s", "three\n", mtime=T0)
    t.file("src/small", "x" * 10, mtime=T0)
    t.file("src/medium", size=2048, mtime=T0)
    t.file("src/large", size=1024 * 1024 + 17, mtime=T0)
    t.file("src/only-in-src", "new\n", mtime=T0)
    t.file("src/d/only-in-src-deep", "new deep\n", mtime=T0)
    t.dir("src/newdir")
    t.rsync("-a", "--exclude=only-in-src*", "--exclude=newdir", "src/", "dst/")
    t.file("dst/same-size-same-time", "BBBB\n", mtime=T0)
    t.file("dst/size-changed", "longer than before\n", mtime=T0)
    t.mtime("dst/time-changed", T1)
    t.file("dst/dst-newer", "content in dst\n", mtime=T1)
    t.file("dst/dst-older", "content in dst\n", mtime=T0)
    t.file("dst/off-by-1s", "WINDOW\n", mtime=T0 + S)
    t.file("dst/off-by-ns", "NANOS\n", mtime=T0 + 1)
    t.file("dst/off-by-3s", "THREE\n", mtime=T0 - 3 * S)
    t.file("dst/small", "y" * 10, mtime=T1)
    t.file("dst/medium", size=2048, seed="other", mtime=T1)
    t.file("dst/large", size=1024 * 1024 + 17, seed="other", mtime=T1)
    t.file("dst/only-in-dst", "old\n", mtime=T0)


SELECT_OPTS = [
    [], ["-c"], ["--size-only"], ["-I"], ["--modify-window=1"], ["--modify-window=2"],
    ["--modify-window=-1"], ["-u"], ["--existing"], ["--ignore-existing"],
    ["--existing", "--ignore-existing"], ["--min-size=11"], ["--max-size=10"],
    ["--max-size=1K"], ["--min-size=1.5k", "--max-size=1M"], ["--max-size=2KiB"],
    ["-W"], ["--no-W"], ["--inplace"], ["--partial"], ["--append"], ["--append-verify"],
    ["-c", "--size-only"], ["-u", "-c"], ["--ignore-times", "--size-only"],
    ["--delay-updates"], ["-S"], ["--preallocate"],
]


@pytest.mark.parametrize("opts", SELECT_OPTS, ids=lambda o: " ".join(o) or "default")
def test_quick_check_and_selection(rr, opts):
    rr.check(["-ai", *opts, "src/", "dst/"], quick_tree)


@pytest.mark.parametrize("opts", [[], ["-c"], ["--size-only"], ["--inplace"]],
                         ids=lambda o: " ".join(o) or "default")
def test_selection_with_stats(rr, opts):
    rr.check(["-a", "--stats", *opts, "src/", "dst/"], quick_tree)


def inplace_tree(t):
    """dst/f has a second hard link elsewhere: --inplace changes both."""
    t.file("src/f", "new content of f\n", mtime=T1)
    t.file("src/big", size=300_000, mtime=T1)
    t.file("dst/f", "old content\n", mtime=T0)
    t.file("dst/big", size=300_000, seed="old", mtime=T0)
    t.dir("aliases")
    t.hardlink("aliases/f", "dst/f")
    t.hardlink("aliases/big", "dst/big")


@pytest.mark.parametrize("opts", [[], ["--inplace"], ["--inplace", "--no-W"], ["--partial"],
                                  ["-W"], ["--append"]],
                         ids=lambda o: " ".join(o) or "default")
def test_inplace_vs_rename(rr, opts):
    rr.check(["-ai", *opts, "src/", "dst/"], inplace_tree)


@pytest.mark.parametrize("opts", [["--partial-dir=.part"], ["--partial-dir=/nonexistent-abs"]])
def test_partial_dir(rr, opts):
    def setup(t):
        t.file("src/f", size=70_000)
        t.file("src/g", "g\n")
        t.dir("dst/.part")
        t.file("dst/.part/f", size=30_000)  # a partial from an earlier, interrupted run

    rr.check(["-ai", *opts, "src/", "dst/"], setup)


@pytest.mark.parametrize("tmp", ["tmp", "tmp/", "../tmp-outside", "./tmp/nested"])
def test_temp_dir(rr, tmp):
    """A relative --temp-dir is taken from the destination directory."""
    def setup(t):
        t.file("src/a", "a\n")
        t.file("src/b", size=200_000)
        t.file("src/sub/c", "c\n")
        t.dir("dst/tmp/nested")
        t.dir("tmp-outside")

    rr.check(["-ai", f"--temp-dir={tmp}", "src/", "dst/"], setup)


def test_temp_dir_missing(rr):
    def setup(t):
        t.file("src/a", "a\n")

    rr.check(["-ai", "--temp-dir=no-such-dir", "src/", "dst/"], setup)


def _mount_tmpfs(wd, ws):
    mnt = os.path.join(wd, "src", "mnt")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "ursync-it", mnt], check=True)
    ws.mounts.append(mnt)
    with open(os.path.join(mnt, "on-other-fs"), "w") as f:
        f.write("other fs\n")
    os.makedirs(os.path.join(mnt, "deeper"))
    os.utime(mnt, ns=(T0, T0))


@pytest.mark.parametrize("opts", [["-a"], ["-ax"], ["-axx"], ["-a", "--one-file-system"]],
                         ids=lambda o: " ".join(o))
def test_one_file_system(rr, am_root, opts):
    def setup(t):
        t.file("src/here", "same fs\n")
        t.dir("src/mnt", mtime=T0)
        t.file("src/sub/x", "x\n")

    rr.check([*opts, "-i", "src/", "dst/"], setup, prepare=_mount_tmpfs)


def rel_tree(t):
    t.file("src/sub/deeper/c.txt", "c\n", mtime=T0)
    t.file("src/sub/b.txt", "b\n")
    t.file("src/top.txt", "top\n")
    t.dir("src/sub", mode=0o750, mtime=T1)


@pytest.mark.parametrize("args", [
    ["-aiR", "src/sub/deeper", "dst/"],
    ["-aiR", "src/sub/deeper/c.txt", "src/top.txt", "dst/"],
    ["-aiR", "--no-implied-dirs", "src/sub/deeper/c.txt", "dst/"],
    ["-aiR", "--no-implied-dirs", "src/sub/deeper", "dst/"],
    ["-aiR", "src/./sub/deeper", "dst/"],
    ["-aiR", "src/./sub/b.txt", "src/./top.txt", "dst/"],
    ["-riR", "src/sub", "dst/"],
    ["-aiR", "--no-implied-dirs", "src/./sub/deeper/c.txt", "dst/"],
    ["-aiR", "./src/sub/b.txt", "dst/"],
], ids=lambda a: " ".join(a[1:-1]))
def test_relative(rr, args):
    rr.check(args, rel_tree)


def test_relative_implied_dir_exists_as_symlink(rr):
    def setup(t):
        rel_tree(t)
        t.dir("dst/real")
        t.symlink("dst/src", "real")

    for extra in ([], ["--no-implied-dirs"], ["-K"]):
        rr.check(["-aiR", *extra, "src/sub/b.txt", "dst/"], setup, name="".join(extra) or "plain")


def missing_tree(t):
    t.file("src/a", "a\n")
    t.file("src/b", "b\n")
    t.file("dst/gone", "in dst only\n")
    t.dir("dst/gonedir")
    t.file("dst/gonedir/x", "x\n")


@pytest.mark.parametrize("opts", [[], ["--ignore-missing-args"], ["--delete-missing-args"],
                                  ["--delete-missing-args", "-v"],
                                  ["--ignore-missing-args", "--delete-missing-args"]],
                         ids=lambda o: " ".join(o) or "plain")
def test_missing_args(rr, opts):
    rr.check(["-ai", *opts, "src/a", "src/gone", "src/gonedir", "src/b", "dst/"], missing_tree)


def test_delete_missing_args_needs_dirs(rr):
    rr.check(["-ti", "--delete-missing-args", "src/gone", "dst/"], missing_tree)


def remove_tree(t):
    t.file("src/a", "a\n", mtime=T0)
    t.file("src/uptodate", "same\n", mtime=T0)
    t.file("src/sub/b", "b\n")
    t.dir("src/emptydir")
    t.symlink("src/link", "a")
    t.file("dst/uptodate", "same\n", mtime=T0)


@pytest.mark.parametrize("opts", [["-a"], ["-ai"], ["-av"], ["-an"], ["-a", "--existing"],
                                  ["-r"]],
                         ids=lambda o: " ".join(o))
def test_remove_source_files(rr, opts):
    rr.check([*opts, "--remove-source-files", "src/", "dst/"], remove_tree)


def test_remove_source_files_single_file_and_newer_dest(rr):
    def setup(t):
        remove_tree(t)
        t.file("dst/a", "newer in dst\n", mtime=T1)

    rr.check(["-ai", "-u", "--remove-source-files", "src/a", "src/uptodate", "dst/"], setup)
