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


@pytest.fixture
def open_tmp():
    """A work directory nobody can reach (pytest's tmp_path is root's
    0700), removed afterwards."""
    import shutil
    import tempfile
    d = tempfile.mkdtemp(prefix="ursync-wirebugs-")
    os.chmod(d, 0o755)
    yield d
    for root, dirs, _ in os.walk(d):
        for n in dirs:
            os.chmod(os.path.join(root, n), 0o755)
    shutil.rmtree(d)


def make_locked(work, stale=False):
    """A source with a directory its reader (nobody) cannot open, between
    readable ones; all of it nobody's, so nobody can write the
    destination."""
    src = work / "src"
    for rel, data in (("a/f", b"1\n"), ("locked/inner/g", b"2\n"), ("locked/h", b"3\n"),
                      ("z/k", b"4\n"), ("top", b"5\n")):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    if stale:
        (work / "dst" / "a").mkdir(parents=True)
        (work / "dst" / "a" / "extra").write_bytes(b"only --delete removes me\n")
        (work / "dst" / "extra-top").write_bytes(b"and me\n")
    for p in [*work.rglob("*"), work]:
        os.chown(p, rh.NOBODY, rh.NOBODY, follow_symlinks=False)
        os.utime(p, (1600000000, 1600000000), follow_symlinks=False)
    os.chmod(src / "locked", 0)


@pytest.mark.parametrize("opts", [["-ai"], ["-ai", "--no-inc-recursive"], ["-ai", "--delete"],
                                  ["-ai", "--delete", "--no-inc-recursive"], ["-ai", "--delete-after"],
                                  ["-ai", "--delete-before"]],
                         ids=lambda o: " ".join(o))
@pytest.mark.parametrize("direction", ["push", "pull"])
@pytest.mark.parametrize("client,server", PAIRS, ids=lambda p: p)
def test_unreadable_dir(open_tmp, client, server, direction, opts):
    """Both ends as nobody; the sender cannot open one directory: it is
    reported, the rest is copied, deletions are skipped, exit 23 (ursync's
    wire sender ended the whole list: exit 23 with nothing copied, or 22
    without incremental recursion)."""
    import subprocess
    from pathlib import Path
    results = []
    for name, (c, s) in (("ref", ("rsync", "rsync")), ("got", (client, server))):
        work = Path(open_tmp) / name
        make_locked(work, stale="--delete" in opts)
        cmd = [rh.AS_NOBODY.split()[0], *rh.AS_NOBODY.split()[1:], "--",
               rh.PROGS[c], *opts, "-e", rh.FAKESHELL, "--rsync-path=" + rh.PROGS[s]]
        cmd += ([f"{work}/src/", f"localhost:{work}/dst/"] if direction == "push"
                else [f"localhost:{work}/src/", f"{work}/dst/"])
        p = subprocess.run(cmd, capture_output=True, timeout=30)
        results.append(outcome(p, work))
    assert results[0][0] == 23
    assert results[1] == results[0]


SLOWSHELL = str(rh.HERE / "slowshell")
BIG = bytes((i * 131 + (i >> 10)) % 251 for i in range(3_000_000))
_signal_refs = {}


def interrupted_run(work, client, server, direction, sig, opts):
    """Copy src/ (a small file and a 3 MB one) through slowshell (256 KiB/s),
    and when the big file's temp (or partial) copy has grown past 100 KiB
    send sig to the whole process group, as a terminal does. Returns
    (exit code, stderr, what is left in dst/)."""
    import glob
    import signal
    import subprocess
    import time
    src = work / "src"
    src.mkdir(parents=True)
    (src / "a").write_bytes(b"small\n")
    (src / "big").write_bytes(BIG)
    for p in (src / "a", src / "big"):
        os.chown(p, rh.NOBODY, rh.NOBODY)  # -a as root: the partial copy is nobody's too
        os.utime(p, (1600000000, 1600000000))
    (work / "dst").mkdir()
    cmd = [rh.PROGS[client], "-a", *opts, "-e", SLOWSHELL, "--rsync-path=" + rh.PROGS[server]]
    cmd += ([f"{src}/", f"localhost:{work}/dst/"] if direction == "push"
            else [f"localhost:{src}/", f"{work}/dst/"])
    p = subprocess.Popen(cmd, start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    grown = False
    while not grown and time.monotonic() < deadline and p.poll() is None:
        for f in glob.glob(f"{work}/dst/.big.*"):
            try:
                grown = os.path.getsize(f) > 100_000
            except OSError:
                pass
        time.sleep(0.01)
    assert grown, "the big file's temp copy never grew"
    os.killpg(p.pid, getattr(signal, sig))
    out, err = p.communicate(timeout=20)

    def kind(rel, path, size):
        # the amount that arrived depends on timing: a non-empty prefix of
        # the source is all that is compared
        data = open(path, "rb").read()
        return ("whole" if data == (BIG if rel.endswith("big") else b"small\n")
                else "prefix" if data and BIG.startswith(data) else "other")
    return p.returncode, err.decode(errors="replace"), leftovers(work / "dst", kind)


def leftovers(dst, kind):
    """What an interrupted run left in dst: directories with their modes,
    files as kind(rel, path, size) with mode, owner, group and the mtime
    when it is rsync's 1970 one."""
    left = {}
    for root, dirs, files in os.walk(dst):
        for n in dirs + files:
            path = os.path.join(root, n)
            st = os.lstat(path)
            rel = os.path.relpath(path, dst)
            if os.path.isdir(path):
                left[rel] = ("d", oct(st.st_mode))
            else:
                left[rel] = (kind(rel, path, st.st_size), oct(st.st_mode), st.st_uid, st.st_gid,
                             int(st.st_mtime) if st.st_mtime < 1e9 else "recent")
    return left


@pytest.mark.parametrize("sig,opts", [("SIGINT", []), ("SIGTERM", ["--partial"]),
                                      ("SIGHUP", ["--partial-dir=.pp"]), ("SIGINT", ["-P"])],
                         ids=["SIGINT", "SIGTERM --partial", "SIGHUP --partial-dir", "SIGINT -P"])
@pytest.mark.parametrize("direction", ["push", "pull"])
@pytest.mark.parametrize("client,server", PAIRS, ids=lambda p: p)
def test_signal(tmp_path, client, server, direction, sig, opts):
    """A signal in the middle of a file: exit 20 with rsync's line, the
    temp file removed, or kept as the partial copy (under its name dated
    1970, or in the partial dir) as rsync keeps it. ursync died from the
    signal and left its temp file."""
    key = (direction, sig, tuple(opts))
    if key not in _signal_refs:
        _signal_refs[key] = interrupted_run(tmp_path / "ref", "rsync", "rsync", direction, sig, opts)
    ref = _signal_refs[key]
    got = interrupted_run(tmp_path / "got", client, server, direction, sig, opts)
    assert ref[0] == 20
    assert got[0] == ref[0], got[1]
    assert "received SIGINT, SIGTERM, or SIGHUP (code 20)" in got[1]
    assert got[2] == ref[2]


def timed_run(work, client, server, direction, shell):
    """CLIENT -a --timeout=2 through shell; stderr to a file, since what
    the shell leaves running may hold a pipe open; the process group is
    killed afterwards. Returns (exit code, seconds, stderr)."""
    import signal
    import subprocess
    import time
    (work / "src").mkdir(parents=True)
    (work / "src" / "f").write_bytes(b"data\n")
    ops = ([f"{work}/src/", f"localhost:{work}/dst/"] if direction == "push"
           else [f"localhost:{work}/src/", f"{work}/dst/"])
    with open(work / "err", "w+b") as ef:
        t = time.monotonic()
        p = subprocess.Popen([rh.PROGS[client], "-a", "--timeout=2", "-e", shell,
                              "--rsync-path=" + rh.PROGS[server], *ops],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=ef,
                             start_new_session=True)
        try:
            rc = p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            rc = "TIMEOUT"
        secs = time.monotonic() - t
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        time.sleep(0.2)  # the far side's last words, from a killed group
        ef.seek(0)
        err = [line.replace(str(work), "$WD") for line in _norm_err(ef.read().decode(errors="replace"))]
    return rc, secs, err


@pytest.fixture(scope="module")
def never_shells(tmp_path_factory):
    """hang: a remote shell that never runs the command and never answers;
    stall: fakeshell whose output stops after 200 bytes, the pipe open."""
    d = tmp_path_factory.mktemp("shells")
    (d / "hang").write_text("#!/bin/sh\nexec sleep 60\n")
    (d / "stall").write_text(f"#!/bin/sh\n{rh.FAKESHELL} \"$@\" | {{ head -c 200; exec sleep 60; }}\n")
    for n in ("hang", "stall"):
        os.chmod(d / n, 0o755)
    return d


@pytest.mark.parametrize("shell", ["hang", "stall"])
@pytest.mark.parametrize("direction", ["push", "pull"])
@pytest.mark.parametrize("client,server", PAIRS, ids=lambda p: p)
def test_timeout_no_answer(tmp_path, never_shells, client, server, direction, shell):
    """--timeout=2 against a far side that never answers: rsync's message
    and exit 30 within rsync's time (it does not wait for the remote
    shell; ursync waited for it, here 60 s)."""
    ref = timed_run(tmp_path / "ref", "rsync", "rsync", direction, str(never_shells / shell))
    got = timed_run(tmp_path / "got", client, server, direction, str(never_shells / shell))
    assert ref[0] == 30 and ref[1] < 6
    assert got[0] == ref[0]
    # rsync wakes each second and counts whole seconds: within a second of it
    assert got[1] < ref[1] + 1.5, f"{got[1]:.1f} s, rsync {ref[1]:.1f} s"
    if shell == "stall":
        # Both ends wait for each other: which server times out and which
        # sees the client go first is a race of whole seconds; the
        # client's own lines must be rsync's.
        role = "[Receiver]" if direction == "pull" else "[sender]"
        ref, got = ([x for x in r[2] if role in x] for r in (ref, got))
        assert got == ref
    else:
        assert got[2] == ref[2]


@pytest.mark.parametrize("case,code", [("missing-shell", 14), ("missing-far-rsync", 127)])
@pytest.mark.parametrize("direction", ["push", "pull"])
def test_missing_shell_or_far_rsync(tmp_path, direction, case, code):
    """A remote shell that cannot be started (rsync's forked child: "Failed
    to exec", code 14) and a far side without rsync (the shell's 127): the
    client's exit takes the child's status when higher, as rsync's
    exit_cleanup() does once the child has ended (rsync, racing its child,
    says 12 when it looks too early; ursync waits for the child, which has
    closed the pipe already). ursync said 12 for both."""
    import subprocess
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f").write_bytes(b"f\n")
    shell = "/nonexistent/ssh" if case == "missing-shell" else rh.FAKESHELL
    ops = (["src/", f"localhost:{tmp_path}/dst/"] if direction == "push"
           else [f"localhost:{tmp_path}/src/", "dst/"])

    def run(prog):
        p = subprocess.run([prog, "-a", "-e", shell, "--rsync-path=/nonexistent/rsync", *ops],
                           cwd=tmp_path, capture_output=True, timeout=30)
        # The client's first write racing the child's end gives either a
        # broken pipe (rsync: "safe_write failed ...", ursync: "write
        # error") or the EOF line, in both programs: that line is left out.
        return p.returncode, [line.replace(str(tmp_path), "$WD")
                              for line in _norm_err(p.stderr.decode(errors="replace"))
                              if "Broken pipe" not in line
                              and "connection unexpectedly closed" not in line]

    refs = [run(rh.RSYNC) for _ in range(8)]
    assert {rc for rc, _ in refs} <= {12, code}
    got = run(rh.URSYNC)
    assert got[0] == code
    # ursync's lines must be those of one of rsync's runs that ended with
    # the code
    same = [r[1] for r in refs if r[0] == code]
    if same:
        assert got[1] in same, (got[1], same)


LOCAL_BIG = 600 * 1024 * 1024


@pytest.fixture(scope="module")
def local_big(tmp_path_factory):
    """A source for the local signal test: big enough (600 MiB) that a
    local copy is still under way when the test sees its temp file."""
    d = tmp_path_factory.mktemp("local-signal")
    (d / "src").mkdir()
    (d / "src" / "a").write_bytes(b"small\n")
    with open(d / "src" / "big", "wb") as f:
        block = bytes(range(256)) * 4096
        for _ in range(LOCAL_BIG // len(block)):
            f.write(block)
    for n in ("a", "big"):
        os.chown(d / "src" / n, rh.NOBODY, rh.NOBODY)
        os.utime(d / "src" / n, (1600000000, 1600000000))
    yield d / "src"
    import shutil
    shutil.rmtree(d)


def local_interrupted(src, work, prog, sig, opts):
    import glob
    import signal
    import subprocess
    import time
    (work / "dst").mkdir(parents=True)
    p = subprocess.Popen([prog, "-a", *opts, f"{src}/", f"{work}/dst/"], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    grown = False
    while not grown and p.poll() is None:
        for f in glob.glob(f"{work}/dst/.big.*"):
            try:
                grown = os.path.getsize(f) > 0
            except OSError:
                pass
    if not grown:
        p.communicate()
        pytest.skip(f"{prog} copied the file before the test saw its temp file")
    os.killpg(p.pid, getattr(signal, sig))
    _, err = p.communicate(timeout=60)
    block = bytes(range(256)) * 4096

    def kind(rel, path, size):
        with open(path, "rb") as f:
            head = f.read(len(block))
        return ("small" if rel == "a" else "whole" if size == LOCAL_BIG
                else "prefix" if size and block.startswith(head[:size]) else "other")
    left = leftovers(work / "dst", kind)
    import shutil
    shutil.rmtree(work)
    return p.returncode, err.decode(errors="replace"), left


@pytest.mark.parametrize("sig,opts", [("SIGINT", []), ("SIGTERM", ["--partial"]),
                                      ("SIGHUP", ["--partial-dir=.pp"])],
                         ids=["SIGINT", "SIGTERM --partial", "SIGHUP --partial-dir"])
def test_signal_local(tmp_path, local_big, sig, opts):
    """The same locally: exit 20, the temp file removed or kept as rsync
    keeps it (skipped if either copy ends before the test sees it)."""
    ref = local_interrupted(local_big, tmp_path / "ref", rh.RSYNC, sig, opts)
    got = local_interrupted(local_big, tmp_path / "got", rh.URSYNC, sig, opts)
    assert ref[0] == 20
    assert got[0] == 20, got[1]
    assert "received SIGINT, SIGTERM, or SIGHUP (code 20)" in got[1]
    assert got[2] == ref[2]
