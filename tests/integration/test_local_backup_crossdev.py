# SPDX-License-Identifier: GPL-3.0-or-later
"""--backup-dir on another file system (tmpfs under /dev/shm, the
destination on the work directory's disk): a backup cannot be a link or a
rename there, so rsync copies a regular file and makes a new symlink, FIFO
or device node. ursync failed each backup with EXDEV (exit 11; rsync's
test suite `backup-crossdev-copy`). Both programs run the same tree into
backup directories of their own on /dev/shm; the destination and the
backups must be the same."""

import os
import shutil
import subprocess
import tempfile
import time

import pytest

import harness
from harness import T0, T1

SHM = "/dev/shm"


def same_fs(a, b):
    return os.stat(a).st_dev == os.stat(b).st_dev


def build(top):
    t = harness.Tree(top)
    t.file("src/changed", "new contents\n", mtime=T1)
    t.file("src/kept", "same\n", mtime=T0)
    t.symlink("src/lnk", "new-target", mtime=T1)
    t.file("dst/changed", "old\n", mtime=T0)
    t.file("dst/kept", "same\n", mtime=T0)
    t.file("dst/deleted", "deleted\n", mtime=T0)
    t.symlink("dst/lnk", "old-target", mtime=T0)
    t.symlink("dst/gone-link", "x", mtime=T0)
    t.dir("dst/sub", mtime=T0)
    t.file("dst/sub/deep-deleted", "deep\n", mtime=T0)
    os.mkfifo(top / "dst" / "fifo")
    os.utime(top / "dst" / "fifo", ns=(T0 * 10**9, T0 * 10**9))
    os.mknod(top / "dst" / "null-dev", 0o20644, os.makedev(1, 3))
    os.utime(top / "dst" / "null-dev", ns=(T0 * 10**9, T0 * 10**9))


@pytest.mark.parametrize("opts", [["-a", "--delete", "-b"], ["-a", "--delete-after", "-b", "-i"],
                                  ["-a", "--inplace", "--delete", "-b"]],
                         ids=lambda o: " ".join(o))
def test_backup_dir_on_another_file_system(tmp_path, opts, io_backend, am_root):
    if same_fs(str(tmp_path), SHM):
        pytest.skip("/dev/shm is on the work directory's file system")
    got = {}
    for prog, binary in (("rsync", harness.RSYNC), ("ursync", harness.URSYNC)):
        work = tmp_path / prog
        work.mkdir()
        build(work)
        bdir = tempfile.mkdtemp(prefix=f"bk-{prog}-", dir=SHM)
        try:
            start = time.time_ns()
            env = harness.base_env({"URSYNC_IO": io_backend} if io_backend != "auto" else {})
            p = subprocess.run([binary, *opts, f"--backup-dir={bdir}/b", "src/", "dst/"],
                               cwd=work, env=env, capture_output=True, timeout=60)
            got[prog] = (p.returncode, sorted(harness.norm_stdout(p.stdout.decode(), str(work))),
                         sorted(harness.norm_stderr(p.stderr.decode(), str(work))),
                         harness.snapshot(work / "dst", start),
                         harness.snapshot(os.path.join(bdir, "b"), start))
        finally:
            shutil.rmtree(bdir, ignore_errors=True)
    r, u = got["rsync"], got["ursync"]
    # the destination's own mtime: rsync 3.5.0 itself leaves it now and
    # then at the time of the run under --delete-after, now and then not
    for snap in (r[3], u[3]):
        snap.pop(".", None)
    assert u[0] == r[0] == 0, u[2]
    assert u[1] == r[1] and u[2] == r[2]
    assert not harness.diff_trees(r[3], u[3]), harness.diff_trees(r[3], u[3])
    assert not harness.diff_trees(r[4], u[4]), harness.diff_trees(r[4], u[4])
    assert "changed" in u[4] and "fifo" in u[4] and "sub/deep-deleted" in u[4]
