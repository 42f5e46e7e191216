# SPDX-License-Identifier: GPL-3.0-or-later
"""Incremental file lists with big directories: a directory of 1000 or
more entries is one list as big as the sender's look-ahead, and the sender
must keep sending lists (or the end of them) while the receiver works on
it, as rsync's does. Before that, ursync sending such a tree hung until
the timeout (rsync 3.5.0's test suite, `hardlinks`). Every pair and
direction against rsync-to-rsync, with a bounded time."""

import os
import subprocess

import pytest

import remote_harness as rh
from test_remote_extra import listing

PAIRS = [("rsync", "ursync"), ("ursync", "rsync"), ("ursync", "ursync")]


def make_tree(top, shape):
    for d, n in shape:
        p = top / d
        p.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            (p / f"f{i:05d}").write_bytes(b"%d\n" % i)


SHAPES = {
    "one-dir-1000": [("sub", 1000)],
    "one-dir-1500": [("sub", 1500)],
    "two-big-dirs": [("a", 1200), ("b/c", 1300), ("d", 3)],
    "many-small-after-big": [("big", 2500)] + [(f"s{i}", 20) for i in range(30)],
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("direction", ["push", "pull"])
@pytest.mark.parametrize("client,server", PAIRS, ids=lambda p: p)
def test_big_directories(tmp_path, client, server, direction, shape):
    results = {}
    for name, (c, s) in (("ref", ("rsync", "rsync")), ("got", (client, server))):
        work = tmp_path / name
        make_tree(work / "src", SHAPES[shape])
        ops = ([f"{work}/src/", f"localhost:{work}/dst/"] if direction == "push"
               else [f"localhost:{work}/src/", f"{work}/dst/"])
        cmd = [rh.URSYNC if c == "ursync" else rh.RSYNC, "-r", "-e", str(rh.FAKESHELL),
               "--rsync-path=" + (rh.URSYNC if s == "ursync" else rh.RSYNC), *ops]
        try:
            p = subprocess.run(cmd, cwd=work, capture_output=True, timeout=60)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            rc = "TIMEOUT"
        results[name] = (rc, listing(work / "dst") if os.path.isdir(work / "dst") else None)
    assert results["got"][0] == results["ref"][0] == 0
    assert results["got"][1] == results["ref"][1]
