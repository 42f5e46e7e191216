# SPDX-License-Identifier: GPL-3.0-or-later
"""--link-dest, --compare-dest, --copy-dest over a remote shell: the client
passes the DIRs to the far side as rsync's client does, and the receiving
side (the far one in a push, the client in a pull) looks in them. Each pair
of programs runs on its own copy of the same tree; exit code, the client's
lines, the destination (with which files share an inode with the reference
directory) and the warnings must be rsync-to-rsync's."""

import hashlib
import os
import subprocess

import pytest

import remote_harness as rh
from test_remote_extra import _norm_err

PAIRS = [("rsync", "ursync"), ("ursync", "rsync"), ("ursync", "ursync")]
KINDS = ["--link-dest", "--compare-dest", "--copy-dest"]
T0, T1 = 1600000000, 1650000000


def write(path, data, mode=0o644, mtime=T0):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    os.utime(path, (mtime, mtime))


def make_snapshot(work):
    """prev/ is the last snapshot of src/; src/ then changed."""
    src = work / "src"
    write(src / "same", b"unchanged\n")
    write(src / "changed", b"old contents\n" * 300)
    write(src / "gone", b"deleted later\n")
    write(src / "exec.sh", b"#!/bin/sh\n", mode=0o755)
    write(src / "d" / "deep", b"deep\n")
    write(src / "d" / "e" / "deeper", b"deeper\n", mtime=T1)
    write(src / "x", b"x group\n")
    os.link(src / "x", src / "d" / "y")
    os.symlink("same", src / "l")
    os.utime(src / "l", (T0, T0), follow_symlinks=False)
    subprocess.run([rh.RSYNC, "-aH", f"{src}/", f"{work}/prev/"], check=True)
    write(src / "changed", b"new contents\n" * 300, mtime=T1)
    write(src / "added", b"added\n", mtime=T1)
    os.unlink(src / "gone")
    os.chmod(work / "prev" / "d" / "deep", 0o600)
    for d in (src / "d" / "e", src / "d", src):
        os.utime(d, (T1, T1))


def state(work):
    """The destination: kind, mode, mtime, contents, and whether the entry
    is prev's inode."""
    out = {}
    top = work / "dst"
    for root, dirs, files in os.walk(top):
        for n in sorted(dirs + files):
            p = os.path.join(root, n)
            rel = os.path.relpath(p, top)
            st = os.lstat(p)
            try:
                pst = os.lstat(os.path.join(work, "prev", rel))
                shared = (pst.st_dev, pst.st_ino) == (st.st_dev, st.st_ino)
            except FileNotFoundError:
                shared = None
            if os.path.islink(p):
                what = "l:" + os.readlink(p)
            elif os.path.isdir(p):
                what = "d"
            else:
                with open(p, "rb") as f:
                    what = "f:" + hashlib.sha256(f.read()).hexdigest()[:16]
            mtime = st.st_mtime_ns if not os.path.isdir(p) else None
            out[rel] = (what, oct(st.st_mode), mtime, st.st_nlink, shared)
    return out


def norm_out(text, work):
    return sorted(line.replace(str(work), "$WD") for line in text.splitlines()
                  if not line.startswith(("sent ", "total size", "Total bytes", "File list")))


def norm_err(text, work):
    return _norm_err(text.replace(str(work), "$WD"))


def run_pair(tmp_path, client, server, direction, opts):
    results = []
    for name, (c, s) in (("ref", ("rsync", "rsync")), ("got", (client, server))):
        work = tmp_path / name
        make_snapshot(work)
        cmd = [rh.PROGS[c], *opts, "-e", rh.FAKESHELL, "--rsync-path=" + rh.PROGS[s]]
        if direction == "push":
            cmd += [f"{work}/src/", f"localhost:{work}/dst/"]
        else:
            cmd += [f"localhost:{work}/src/", f"{work}/dst/"]
        p = subprocess.run(cmd, cwd=work, capture_output=True, timeout=60)
        results.append((p.returncode, norm_out(p.stdout.decode(errors="replace"), work),
                        norm_err(p.stderr.decode(errors="replace"), work), state(work)))
    return results


@pytest.mark.parametrize("opts", [["-ai"], ["-aii"], ["-av"], ["-ai", "--delete"], ["-aic"],
                                  ["-aiH"], ["-ai", "-W"], ["-ain"], ["-a", "--stats"],
                                  ["-ai", "--no-inc-recursive"]],
                         ids=lambda o: " ".join(o))
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("direction", ["push", "pull"])
@pytest.mark.parametrize("client,server", PAIRS, ids=lambda p: p)
def test_snapshot(tmp_path, client, server, direction, kind, opts):
    ref, got = run_pair(tmp_path, client, server, direction, [*opts, f"{kind}=../prev"])
    assert got[0] == ref[0], f"exit {got[0]} vs rsync's {ref[0]}\n{got[2]}"
    assert got[1] == ref[1], "the client's lines differ"
    assert got[2] == ref[2], "warnings and errors differ"
    assert got[3] == ref[3], "the destination differs"


@pytest.mark.parametrize("direction", ["push", "pull"])
@pytest.mark.parametrize("client,server", PAIRS, ids=lambda p: p)
def test_missing_and_several(tmp_path, client, server, direction):
    """A missing DIR is warned of (by the receiving side), the next is used."""
    ref, got = run_pair(tmp_path, client, server, direction,
                        ["-ai", "--link-dest=../nope", "--link-dest=../prev/"])
    assert got == ref
