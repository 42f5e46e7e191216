# SPDX-License-Identifier: GPL-3.0-or-later
"""Remote-shell cells for bugs seen in real runs (issue 16): followed
symlinks on the sending side, sha1 as the checksum, an unreadable
directory, signals, --timeout and a missing shell or far rsync. Each pair
of programs is compared with rsync-to-rsync in the same position."""

import os

import pytest

import remote_harness as rh
from test_remote_extra import PAIRS, _norm_err, listing, run_both


def make_links(work):
    """Symlinks to follow: to a file, to a directory, one leaving the tree
    (unsafe), an absolute one, and a dangling one."""
    src = work / "src"
    (src / "realdir").mkdir(parents=True)
    (work / "outside").write_bytes(b"outside the tree\n")
    (src / "f").write_bytes(b"a file\n" * 1000)
    (src / "realdir" / "in").write_bytes(b"in the directory\n")
    os.symlink("f", src / "lf")
    os.symlink("realdir", src / "ldir")
    os.symlink("../outside", src / "unsafe")
    os.symlink(str(work / "outside"), src / "abs")
    for p in [*src.rglob("*"), src]:
        os.utime(p, (1600000000, 1600000000), follow_symlinks=False)


def outcome(p, work):
    err = [line.replace(str(work), "$WD") for line in _norm_err(p.stderr.decode(errors="replace"))]
    out = sorted(line.replace(str(work), "$WD") for line in p.stdout.decode(errors="replace").splitlines()
                 if not line.startswith(("sent ", "total size")))
    return p.returncode, out, err, listing(work / "dst")


@pytest.mark.parametrize("opts", [["-L"], ["-k"], ["--copy-unsafe-links"], ["-L", "-c"]],
                         ids=lambda o: " ".join(o))
@pytest.mark.parametrize("direction", ["push", "pull"])
@pytest.mark.parametrize("client,server", PAIRS, ids=lambda p: p)
def test_followed_links(tmp_path, client, server, direction, opts):
    """A file listed through a followed link is sent (ursync's wire sender
    opened it with O_NOFOLLOW: ELOOP, exit 23)."""
    results = [outcome(p, work) for p, work in
               run_both(tmp_path, client, server, direction, ["-ri", *opts], make_links)]
    assert results[0][0] == 0
    assert results[1] == results[0]
