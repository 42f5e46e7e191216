# SPDX-License-Identifier: GPL-3.0-or-later
"""Directories made under a set-gid parent keep the set-gid bit the kernel
gives them when -p is not asked for, as rsync keeps it (rsync's test suite
`dir-sgid`: ursync's chmod after mkdir cleared it). With -p the source's
mode is applied as it is."""

import os
import subprocess

import pytest

import harness


@pytest.mark.parametrize("opts", [["-r"], ["-rt"], ["-rp"], ["-a"]], ids=lambda o: " ".join(o))
@pytest.mark.parametrize("umask", [0o077, 0o022])
def test_new_dirs_under_setgid_parent(tmp_path, opts, umask, io_backend):
    modes = {}
    for prog, binary in (("rsync", harness.RSYNC), ("ursync", harness.URSYNC)):
        work = tmp_path / prog
        (work / "dir" / "blah").mkdir(parents=True)
        (work / "dir" / "f").write_text("f\n")
        (work / "on").mkdir()
        os.chmod(work / "on", 0o2775)
        env = harness.base_env({"URSYNC_IO": io_backend} if io_backend != "auto" else {})
        p = subprocess.run([binary, *opts, "dir", "on/to/"], cwd=work, env=env,
                           capture_output=True, timeout=60,
                           preexec_fn=lambda: os.umask(umask))
        assert p.returncode == 0, p.stderr
        modes[prog] = {rel: oct(os.lstat(work / "on" / rel).st_mode)
                       for rel in ("to", "to/dir", "to/dir/blah", "to/dir/f")}
    assert modes["ursync"] == modes["rsync"]
