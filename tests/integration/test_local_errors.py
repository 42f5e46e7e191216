# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input: missing sources, permission failures (run as nobody), a full
destination, impossible destinations, conflicting options and garbage
option values. Exit codes and messages must match rsync's, and no
temporary file may be left behind."""

import os
import subprocess

import pytest

from harness import NOBODY, NOGROUP, T0, basic_tree

AS_NOBODY = (NOBODY, NOGROUP)


@pytest.mark.parametrize("args", [
    ["-a", "nonexist", "dst/"],
    ["-a", "nonexist/", "dst/"],
    ["-a", "src/a.txt", "nonexist", "src/one", "dst/"],
    ["-av", "nonexist", "src/", "dst/"],
    ["-a", "--delete", "src/", "nonexist", "dst/"],
    ["-r", "src/nothere/deeper", "dst/"],
], ids=["single", "slash", "among-others", "verbose", "delete", "deep"])
def test_missing_source(rr, args):
    ref, _ = rr.check(args, basic_tree)
    assert ref.rc == 23


def test_dangling_symlink_with_copy_links(rr):
    def setup(t):
        t.file("src/ok", "ok\n")
        t.symlink("src/broken", "nowhere")

    ref, _ = rr.check(["-aL", "src/", "dst/"], setup)
    assert ref.rc == 23


def nobody_tree(t):
    """A tree nobody can mostly use, with one file and one dir only root can read."""
    t.chown(".", NOBODY, NOGROUP)
    t.dir("src", uid=NOBODY, gid=NOGROUP)
    t.file("src/ok", "readable\n", uid=NOBODY, gid=NOGROUP, mtime=T0)
    t.file("src/secret", "root only\n", mode=0o600, uid=0, gid=0, mtime=T0)
    t.dir("src/sub", uid=NOBODY, gid=NOGROUP)
    t.file("src/sub/fine", "fine\n", uid=NOBODY, gid=NOGROUP)
    t.dir("src/locked", mode=0o700, uid=0, gid=0)
    t.file("src/locked/hidden", "hidden\n")
    t.dir("dst", uid=NOBODY, gid=NOGROUP)
    t.file("dst/extra", "extra in dst\n", uid=NOBODY, gid=NOGROUP)


@pytest.mark.parametrize("opts", [["-a"], ["-ai"], ["-av"], ["-a", "--delete"], ["-r"],
                                  ["-a", "--ignore-errors", "--delete"]],
                         ids=lambda o: " ".join(o))
def test_unreadable_source_as_nobody(rr, am_root, opts):
    ref, _ = rr.check([*opts, "src/", "dst/"], nobody_tree, user=AS_NOBODY)
    assert ref.rc == 23 and "Permission denied (13)" in ref.err


def unwritable_dest_tree(t):
    t.chown(".", NOBODY, NOGROUP)
    t.dir("src", uid=NOBODY, gid=NOGROUP)
    t.file("src/a", "a\n", uid=NOBODY, gid=NOGROUP)
    t.file("src/sub/b", "b\n")
    t.file("src/open/c", "c\n")
    t.file("src/big", size=100_000)
    t.dir("dst", mode=0o755, uid=0, gid=0)
    t.dir("dst/open", uid=NOBODY, gid=NOGROUP)
    t.file("dst/a", "old a owned by root\n", uid=0, gid=0)


@pytest.mark.parametrize("opts", [["-a"], ["-ai"], ["-r", "--inplace"], ["-a", "--delete"]],
                         ids=lambda o: " ".join(o))
def test_unwritable_dest_as_nobody(rr, am_root, opts):
    ref, _ = rr.check([*opts, "src/", "dst/"], unwritable_dest_tree, user=AS_NOBODY)
    assert ref.rc == 23


def test_unwritable_new_dest_parent_as_nobody(rr, am_root):
    def setup(t):
        t.file("src/a", "a\n")
        t.dir("rootonly", mode=0o755)

    rr.check(["-a", "src/", "rootonly/dst/"], setup, user=AS_NOBODY)


def _mount_small_tmpfs(wd, ws):
    dst = os.path.join(wd, "dst")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "ursync-it", dst],
                   check=True)
    ws.mounts.append(dst)


@pytest.mark.parametrize("opts", [["-a"], ["-a", "--inplace"], ["-a", "--partial"]],
                         ids=lambda o: " ".join(o))
def test_destination_full(rr, am_root, opts):
    def setup(t):
        t.file("src/small", "small\n", mtime=T0)
        t.file("src/big", size=1024 * 1024, mtime=T0)
        t.file("src/z-after", "after\n", mtime=T0)
        t.dir("dst")

    # rsync's sender may or may not also die of EPIPE ("write error: Broken
    # pipe (32)") once its receiver has given up, so stderr is compared by
    # class here and the ENOSPC report itself checked line by line.
    ref, ours = rr.check([*opts, "src/", "dst/"], setup, prepare=_mount_small_tmpfs,
                         stderr="class")
    assert ref.rc != 0
    enospc = [x for x in ref.stderr_lines if "(28)" in x or "code 11" in x]
    assert enospc, ref.summary()
    missing = [x for x in enospc if x not in ours.stderr_lines]
    assert not missing, f"ursync did not report {missing}\n{ours.summary()}"


@pytest.mark.parametrize("args", [
    ["-a", "src/a.txt", "src/one", "dstfile"],
    ["-a", "src/", "dstfile"],
    ["-a", "src", "dstfile"],
    ["-a", "src/a.txt", "dstfile"],
    ["-a", "src/a.txt", "dstfile/"],
    ["-a", "src/", "dstfile/sub/"],
    ["-a", "--mkpath", "src/", "dstfile/sub/"],
], ids=["multi", "dir-slash", "dir", "file", "file-slash", "below", "mkpath-below"])
def test_dest_is_regular_file(rr, args):
    def setup(t):
        basic_tree(t)
        t.file("dstfile", "I am a file\n", mtime=T0)

    rr.check(args, setup)


BAD_OPTIONS = [
    ["--delete", "src/", "dst/"],
    ["-a", "--inplace", "--partial-dir=p", "src/", "dst/"],
    ["-a", "--delay-updates", "--inplace", "src/", "dst/"],
    ["-a", "--append", "--whole-file", "src/", "dst/"],
    ["-a", "--max-size=foo", "src/", "dst/"],
    ["-a", "--min-size=1X", "src/", "dst/"],
    ["-a", "--max-size=-5", "src/", "dst/"],
    ["-a", "--chmod=q+x", "src/", "dst/"],
    ["-a", "--chmod=", "src/", "dst/"],
    ["-a", "--modify-window=abc", "src/", "dst/"],
    ["-a", "--max-delete=x", "src/", "dst/"],
    ["-a", "--info=nosuch", "src/", "dst/"],
    ["-a", "--debug=nosuch", "src/", "dst/"],
    ["-a", "--no-such-option", "src/", "dst/"],
    ["-a", "-Z", "src/", "dst/"],
    ["-a", "--timeout=-1", "src/", "dst/"],
    ["-a", "--checksum-choice=nosuch", "src/", "dst/"],
    ["-a", "--compress-choice=nosuch", "-z", "src/", "dst/"],
    ["-a", "--block-size=abc", "src/", "dst/"],
    ["-a", "--files-from=no-such-list", "src/", "dst/"],
    ["-a", "--exclude-from=no-such-file", "src/", "dst/"],
    ["-a", "--usermap=:::", "src/", "dst/"],
    ["-a", "--chown=nosuchuser", "src/", "dst/"],
    ["-a", "--backup-dir=bk", "--suffix=/x", "src/", "dst/"],
    ["-a", "--remove-source-files", "--delete-missing-args", "--ignore-missing-args", "src/",
     "dst/"],
    ["-a", "--compare-dest=cmp", "--link-dest=lnk", "src/", "dst/"],
    ["-a", "src/", "dst/", "extra/operand/"],
    ["-a", "--temp-dir", "src/", "dst/"],
    ["-a", "--out-format", "src/", "dst/"],
    ["-a", "--stop-after=abc", "src/", "dst/"],
    ["-a", "--bwlimit=xyz", "src/", "dst/"],
    ["-a", "-M", "src/", "dst/"],
]


@pytest.mark.parametrize("args", BAD_OPTIONS,
                         ids=lambda a: " ".join(x for x in a if x not in ("-a", "src/", "dst/")))
def test_bad_options(rr, args):
    ref, _ = rr.check(args, basic_tree)


@pytest.mark.parametrize("opt,rc", [("--protocol=99", 2), ("--iconv=no-such-charset", 4)])
def test_errors_rsync_reports_racily(rr, opt, rc):
    """rsync's processes race to report these (and which one says it
    varies from run to run): compare exit code and message class only."""
    ref, _ = rr.check(["-a", opt, "src/", "dst/"], basic_tree, stderr="class")
    assert ref.rc == rc


def test_no_operands_prints_usage(rr):
    ref, ours = rr.run_both(["-a"], None)
    assert (ref.rc, bool(ref.out.strip()), bool(ref.err.strip())) == \
           (ours.rc, bool(ours.out.strip()), bool(ours.err.strip())), ours.summary()


def test_no_args_at_all(rr):
    ref, ours = rr.run_both([], None)
    assert ref.rc == ours.rc, ours.summary()
    assert bool(ref.out.strip()) == bool(ours.out.strip())
