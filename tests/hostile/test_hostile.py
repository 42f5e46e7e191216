# SPDX-License-Identifier: GPL-3.0-or-later
"""A client against a malicious server (tests/hostile/peer.py).

    URSYNC=build-h4/ursync /usr/bin/python3 -m pytest -q tests/hostile

Every scenario runs with rsync 3.5.0 (the reference: its cell checks that
the table below still describes rsync) and with ursync.  Each run gets a
fresh work directory W holding dst/ (the destination), src/ (for pushes)
and canary/ (outside the destination; the traversal scenarios aim at it,
through $HOSTILE_CANARY).  A run must:

  - finish within WALL seconds (hard limit: the client's process group is
    killed), and, except for the scenarios meant to time out, well before
    the peer gives up on its own (PEER_WAIT);
  - exit with the code in the table, not by a signal, with no sanitizer
    report;
  - say something on stderr that names the problem (a regex per scenario);
  - leave everything in W outside dst/ as it was;
  - leave in dst/ only regular files whose contents are what the peer sent
    for that name (no temp files, nothing from a failed verification).

URSYNC_KEEP=1 keeps the work directories (printed on failure).
"""

import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PEER = HERE / "peer.py"
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import peer  # noqa: E402

RSYNC = shutil.which("rsync") or "rsync"
URSYNC = os.path.abspath(os.environ.get("URSYNC") or str(REPO / "build" / "ursync"))
KEEP = bool(os.environ.get("URSYNC_KEEP"))
WALL = 30  # hard limit per client run, seconds
PEER_WAIT = 20  # how long the peer's "waits" last (env PEER_WAIT)
QUICK = 15  # a client must have noticed the attack by then (non-timeout scenarios)

SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
                       r"ThreadSanitizer|runtime error:|MemorySanitizer")
URSYNC_NO_REMOTE = re.compile(r"remote transfers .* not supported")
EOF_RE = r"connection unexpectedly closed|unexpected end|end of (file|stream)|\bEOF\b|truncat"


@dataclass
class Scn:
    push: bool
    rsync_rc: int  # what rsync 3.5.0 gives (measured)
    ursync_rc: frozenset  # what ursync may give
    says: str  # regex (case-insensitive) stderr must match when the exit code is not 0
    timeout_opt: bool = False  # run the client with --timeout=5
    slow_ok: bool = False  # the scenario may take until --timeout or PEER_WAIT
    note: str = ""
    opts: tuple = ()  # more client options (-z for the compressed scenarios)
    max_rss_mb: int = 0  # if set: the ursync client's peak RSS must stay below this
    redo: bool = False  # the client must have asked for the file a second time


def same(rc):
    return frozenset([rc])


# rsync's stderr gist is in each comment; "[Receiver]" etc. trimmed.
SCENARIOS = {
    # rsync: connection unexpectedly closed (14 bytes received so far)
    #        rsync error: error in rsync protocol data stream (code 12) at io.c(285)
    "truncated_frame": Scn(False, 12, same(12), EOF_RE),
    # rsync: multiplexing overflow 2:16777215 / (code 12) at io.c(1838)
    "huge_frame": Scn(False, 12, same(12), r"overflow|too (long|large|big)|frame|length"),
    # rsync: unexpected tag 50 / (code 12) at io.c(1896)
    "unknown_tag": Scn(False, 12, same(12), r"unexpected tag|unknown (message|tag)|tag 50"),
    # rsync: connection unexpectedly closed (0 bytes received so far) / (code 12)
    "truncated_varint": Scn(False, 12, same(12), EOF_RE),
    # rsync: connection unexpectedly closed (5 bytes received so far) / (code 12)
    "truncated_varint_flist": Scn(False, 12, same(12), EOF_RE),
    # rsync: ABORTING due to unsafe pathname from sender: ../canary/pwned
    #        rsync error: requested action not supported (code 4) at flist.c(1079)
    "dotdot": Scn(False, 4, same(4), r"unsafe|invalid path|\.\./|outside|refus",
                  note="DESIGN.md says 'exit 2 or 23' for refused names; rsync says 4"),
    # rsync: ABORTING due to unsafe pathname from sender: /…/canary/abs-pwned / (code 4)
    "abs_name": Scn(False, 4, same(4), r"unsafe|invalid path|absolute|outside|refus"),
    # rsync: ABORTING due to invalid path from sender: link/walk-pwned
    #        (code 2) at generator.c(1715); dst/link is created first
    "symlink_walk": Scn(False, 2, same(2), r"unsafe|invalid path|symlink|outside|refus"),
    # rsync: ABORTING due to invalid path from sender: link/canary/rel-pwned / (code 2)
    "symlink_walk_rel": Scn(False, 2, same(2), r"unsafe|invalid path|symlink|outside|refus"),
    # rsync: File-list index 100000 not in -1 - 3 (read_ndx_and_attrs) / (code 2) at rsync.c(982)
    "ndx_range": Scn(False, 2, same(2), r"index|ndx|range"),
    # rsync: connection unexpectedly closed (199 bytes received so far) / (code 12)
    "token_huge": Scn(False, 12, same(12), EOF_RE + r"|token|too (long|large)|length"),
    # rsync: Invalid block index 999999 (count=0) / (code 2) at receiver.c(586)
    "token_bad_block": Scn(False, 2, same(2), r"block"),
    # rsync: ERROR: file failed verification -- update discarded. (twice: after the redo too)
    #        (code 23) at main.c(1956); neither file is left in dst
    "bad_checksum": Scn(False, 23, same(23), r"verification|checksum"),
    # rsync: Offset underflow: file-length is negative / (code 4) at flist.c(1349)
    "size_negative": Scn(False, 4, same(4), r"negative|size|length|underflow"),
    # rsync: nothing; exit 0: it trusts the data stream over the list's size and writes
    #        the 12 bytes sent.  ursync may do the same or refuse the size.
    "size_huge": Scn(False, 0, frozenset([0, 2, 12]), r"size|length|large|overflow",
                     note="rsync accepts a 2**62-byte size; refusing it (2/12) is allowed"),
    # rsync: overflow: xflags=0xd8 l1=0 l2=5000 lastname=.
    #        buffer overflow: recv_file_entry (file=flist.c, line=1048)
    #        rsync error: error allocating core memory buffers (code 22) at util2.c(129)
    "long_name": Scn(False, 22, frozenset([22, 2, 12]), r"overflow|too long|name|length",
                     note="rsync's 22 (RERR_MALLOC via overflow_exit) is odd; 2 or 12 allowed"),
    # rsync (--timeout=5): [Receiver] io timeout after 6 seconds -- exiting
    #        rsync error: timeout in data send/receive (code 30) at io.c(248); ~9 s
    "hang": Scn(False, 30, same(30), r"time ?out|timed out", timeout_opt=True, slow_ok=True),
    # rsync: connection unexpectedly closed (0 bytes received so far) / (code 12)
    "exit_after_version": Scn(False, 12, same(12), EOF_RE),
    # rsync: accepts protocol 29 (it supports 20..40) and completes: exit 0, dst/sub made.
    #        ursync refuses agreed versions below 30 (docs/protocol.md): exit 2.
    "version29": Scn(False, 0, same(2), r"protocol|version",
                     note="by design ursync refuses < 30 where rsync accepts"),
    # rsync: protocol version mismatch -- is your shell clean?
    #        (see the rsync manpage for an explanation) / (code 2) at compat.c(625)
    "version999": Scn(False, 2, same(2), r"version|protocol|incompatib"),
    # rsync: peer: simulated failure (the peer's MSG_ERROR), then exits 23 without its own line
    "error_exit23": Scn(False, 23, same(23), r"simulated failure"),
    # rsync: evil\#033[2J\#007\#015text\#000more (escaped, no newline added) followed directly
    #        by "rsync: connection unexpectedly closed (23 bytes received so far)" / (code 12)
    "error_ctrl": Scn(False, 12, same(12), r"evil"),
    # push: "HTTP/1.0 400..." read as compat flags 0x48 (no varint flags, no strings), seed
    #        "TTP/", then the frame header "1.0 " -> rsync: unexpected tag 25 [sender] / (code 12)
    "push_garbage": Scn(True, 12, same(12),
                        r"unexpected tag|unknown (message|tag)|protocol|shell clean|invalid|garbage"),
    # push: connection unexpectedly closed (0 bytes received so far) [sender] / (code 12)
    "push_exit_after_version": Scn(True, 12, same(12), EOF_RE),
    # push: unexpected tag 50 [sender] / (code 12)
    "push_unknown_tag": Scn(True, 12, same(12), r"unexpected tag|unknown (message|tag)|tag 50"),
    # push: peer: simulated failure / exit 23
    "push_error_exit23": Scn(True, 23, same(23), r"simulated failure"),
    # push (--timeout=5), a server that reads everything and never writes: rsync does NOT
    # time out (its keep-alive writes count as I/O); it waits until the peer gives up
    # (PEER_WAIT s) and then says connection unexpectedly closed (0 bytes received) / (code 12).
    # ursync may do the same or time out (30).
    "push_hang": Scn(True, 12, frozenset([12, 30]), r"time ?out|timed out|" + EOF_RE,
                     timeout_opt=True, slow_ok=True,
                     note="rsync ignores --timeout here; a timeout (30) is allowed too"),
    # -z (the peer offers one compression; the client must take it).  The first
    # file's compressed data is 64 bytes of 0xff:
    # rsync: inflate returned -3 (0 bytes) / (code 12) at token.c(668)
    "z_garbage_zlib": Scn(False, 12, same(12), r"inflate|compress|decod|corrupt", opts=("-z",)),
    "z_garbage_zlibx": Scn(False, 12, same(12), r"inflate|compress|decod|corrupt", opts=("-z",)),
    # rsync: ZSTD decomp returned -10 (0 bytes) / (code 12) at token.c(903)
    "z_garbage_zstd": Scn(False, 12, same(12), r"zstd|compress|decod|corrupt", opts=("-z",)),
    # rsync: uncompress failed: -51 / (code 12) at token.c(1047)
    "z_garbage_lz4": Scn(False, 12, same(12), r"lz4|compress|decod|corrupt", opts=("-z",)),
    # A DEFLATED_DATA unit announcing 1000 bytes, 100 sent, then EOF.
    # rsync: connection unexpectedly closed (197 bytes received so far) / (code 12)
    "z_truncated_zlib": Scn(False, 12, same(12), EOF_RE, opts=("-z",)),
    "z_truncated_zstd": Scn(False, 12, same(12), EOF_RE, opts=("-z",)),
    # TOKEN_REL 0 (block 0) with no basis (count 0), then EOF.
    # rsync: Invalid block index 0 (count=0) / (code 2) at receiver.c(586)
    "z_bad_block_zlib": Scn(False, 2, same(2), r"block", opts=("-z",)),
    "z_bad_block_zstd": Scn(False, 2, same(2), r"block", opts=("-z",)),
    "z_bad_block_lz4": Scn(False, 2, same(2), r"block", opts=("-z",)),
    # TOKEN_LONG 0x7ffffff0, no basis.
    # rsync: Invalid block index 2147483632 (count=0) / (code 2)
    "z_long_zstd": Scn(False, 2, same(2), r"block", opts=("-z",)),
    # A delta: dst/big is a 10000-byte basis (15 blocks of 700); TOKENRUN_REL from
    # block 0 for 19 blocks.  rsync: Invalid block index 15 (count=15) / (code 2);
    # dst/big is left as it was.
    "z_run_past_zlib": Scn(False, 2, same(2), r"block", opts=("-z",)),
    "z_run_past_lz4": Scn(False, 2, same(2), r"block", opts=("-z",)),
    # The same delta without -z: the match token -(15 + 1) before anything else.
    # rsync: Invalid block index 15 (count=15) / (code 2) at receiver.c(586)
    "delta_past_basis": Scn(False, 2, same(2), r"block"),
    # The sender echoes a sum head with count -1.
    # rsync: Invalid checksum count -1 [receiver] / (code 2) at io.c(2202)
    "echo_bad_head": Scn(False, 2, same(2), r"count|sum head"),
    # The sender echoes the client's head with 10 more blocks than the basis
    # has and matches block count + 5.  rsync checks blocks against the echoed
    # count only and reads past the basis as zeros: the file fails its check,
    # is redone, exit 0.  ursync refuses a block past the head it sent (exit 2;
    # a match token costs a byte, so rsync's way lets a sender make the
    # receiver write blength zeros per byte, 8 GiB per 3-byte TOKENRUN).
    "delta_echo_bigger": Scn(False, 0, same(2), r"block",
                             note="by design ursync refuses a block past the basis it described"),
    # The whole-file checksum is wrong on the first answer only: the client asks
    # again (rsync's redo phase; its WARNING only shows with -v) and gets it.
    # rsync: exit 0, dst/big as sent.
    "delta_redo": Scn(False, 0, same(0), r".", redo=True),
    # After reading the client's block sums the peer truncates dst/big to 100
    # bytes (in place), then sends matches for the 15 blocks: the patched file
    # cannot match the whole-file sum; the redo (sums of the 100-byte basis) is
    # answered with literal data.  rsync: exit 0, dst/big as sent.
    "delta_basis_shrinks": Scn(False, 0, same(0), r".", redo=True),
    # The same, but the basis is overwritten in place with other bytes.
    "delta_basis_changes": Scn(False, 0, same(0), r".", redo=True),
    # The same three with --progress, which keeps ursync from pipelining
    # requests (its other redo path: the file is asked for again at once).
    "delta_redo_progress": Scn(False, 0, same(0), r".", redo=True, opts=("--progress",)),
    "delta_basis_shrinks_progress": Scn(False, 0, same(0), r".", redo=True,
                                        opts=("--progress",)),
    "delta_basis_changes_progress": Scn(False, 0, same(0), r".", redo=True,
                                        opts=("--progress",)),
    # The basis changes under the client with -z: zlib keeps every matched
    # block in its history, so the client reads the block from its (changed)
    # basis to feed its decompressor.  rsync's map_ptr gives zeros past the
    # new end; the data then decodes wrong, the whole-file check fails and
    # the file is redone.  rsync: exit 0, dst/big as sent.  (ursync used to
    # stop with "the basis changed during the transfer", exit 12.)
    "z_basis_shrinks_zlib": Scn(False, 0, same(0), r".", redo=True, opts=("-z",)),
    "z_basis_changes_zlib": Scn(False, 0, same(0), r".", redo=True, opts=("-z",)),
    "z_basis_shrinks_zlibx": Scn(False, 0, same(0), r".", redo=True, opts=("-z",)),
    # push: the peer (the receiving side's generator) asks for file 1 with an
    # absurd sum head (peer.PUSH_SUM_HEADS).
    # rsync: Invalid checksum count -1 [sender] / (code 2) at io.c(2202)
    "push_sum_count_neg": Scn(True, 2, same(2), r"count"),
    # count 2**31-1: rsync allocates 24 bytes per block before reading any:
    # [sender] exceeded --max-alloc=1073741824 setting (file=sender.c, line=364)
    #        rsync error: error allocating core memory buffers (code 22)
    "push_sum_count_huge": Scn(True, 22, same(22), r"max-alloc|memory|count", max_rss_mb=64),
    # count 20,000,000 (under --max-alloc), 300,000 sums, then EOF.
    # rsync: connection unexpectedly closed / (code 12).  ursync's memory must
    # grow with the sums that came, not with the count.
    "push_sum_count_many": Scn(True, 12, same(12), EOF_RE, max_rss_mb=64),
    # rsync: Invalid zero block length [sender] / (code 2) at io.c(2228)
    "push_sum_blength_zero": Scn(True, 2, same(2), r"block length"),
    # rsync: Invalid block length -700 [sender] / (code 2) at io.c(2223)
    "push_sum_blength_neg": Scn(True, 2, same(2), r"block length"),
    # rsync: Invalid block length 131073 [sender] / (code 2)
    "push_sum_blength_huge": Scn(True, 2, same(2), r"block length"),
    # rsync: Invalid checksum length 17 [sender] / (code 2) at io.c(2244) (md5: 16)
    "push_sum_s2len_big": Scn(True, 2, same(2), r"checksum length"),
    # rsync: Invalid checksum length -1 [sender] / (code 2)
    "push_sum_s2len_neg": Scn(True, 2, same(2), r"checksum length"),
    # The peer negotiates xxh64 (8-byte digests) and says 16 bytes per block.
    # rsync: Invalid checksum length 16 [sender] / (code 2)
    "push_sum_s2len_xxh64": Scn(True, 2, same(2), r"checksum length"),
    # rsync: Invalid remainder length 701 [sender] / (code 2) at io.c(2250)
    "push_sum_remainder": Scn(True, 2, same(2), r"remainder"),
    # count 1000, 10 sums, then EOF.
    # rsync: connection unexpectedly closed (83 bytes received so far) [sender] / (code 12)
    "push_sum_short": Scn(True, 12, same(12), EOF_RE),
}

CLIENTS = ["rsync", "ursync"]


# ---------------------------------------------------------------------------


def snapshot(root: Path, skip=()):
    """{relative path: (type, mode, size, mtime_ns, sha1 or link target)} of
    everything under root except the top-level names in skip."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in skip]
            filenames = [f for f in filenames if f not in skip]
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    extra = hashlib.sha1(f.read()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                extra = os.readlink(p)
            else:
                extra = None
            size = st.st_size if not stat.S_ISDIR(st.st_mode) else 0
            out[os.path.normpath(os.path.join(rel_dir, name))] = (
                stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), size, st.st_mtime_ns, extra)
    return out


def client_path(client):
    if client == "rsync":
        return RSYNC
    if not (os.path.isfile(URSYNC) and os.access(URSYNC, os.X_OK)):
        pytest.fail(f"ursync binary not found at {URSYNC} (set URSYNC)", pytrace=False)
    return URSYNC


@pytest.fixture
def work(request):
    base = Path(tempfile.mkdtemp(prefix="ursync-hostile-", dir="/tmp"))
    os.chmod(base, 0o755)
    (base / "canary").mkdir()
    (base / "canary" / "keep").write_text("canary\n")
    (base / "src").mkdir()
    (base / "src" / "a").write_text("push data\n")
    (base / "src" / "sub").mkdir()
    (base / "src" / "sub" / "b").write_bytes(os.urandom(5000))
    yield base
    if KEEP:
        print(f"work directory kept: {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class Run:
    rc: int
    stdout: bytes
    stderr: bytes
    elapsed: float
    trace: str
    max_rss_mb: int = 0

    def describe(self):
        err = self.stderr.decode("utf-8", "backslashreplace")
        return f"exit {self.rc} after {self.elapsed:.1f}s; stderr:\n{err}"


def run_client(client, scenario, work: Path, timeout_opt=False, opts=()):
    exe = client_path(client)
    env = dict(os.environ)
    env.update(HOSTILE_CANARY=str(work / "canary"), HOSTILE_TRACE=str(work / "peer.trace"),
               HOSTILE_DST=str(work / "dst"),
               PEER_WAIT=str(PEER_WAIT), PEER_LIFETIME=str(WALL + 15))
    args = [exe, "-e", f"{sys.executable} {PEER} {scenario}", "-a", *opts]
    if timeout_opt:
        args.append("--timeout=5")
    args += ["src/", "host:dst/"] if scenario.startswith("push_") else ["host:src/", "dst/"]
    start = time.monotonic()
    proc = subprocess.Popen(args, cwd=work, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    # The pipes are read in threads and the client reaped with wait4, for
    # its own peak RSS (ru_maxrss, KiB).
    bufs = {}

    def pump(name, f):
        bufs[name] = f.read()
    pumps = [threading.Thread(target=pump, args=(n, f), daemon=True)
             for n, f in (("out", proc.stdout), ("err", proc.stderr))]
    for t in pumps:
        t.start()
    rusage = None
    while rusage is None:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            rusage = ru
            proc.returncode = os.waitstatus_to_exitcode(status)
        elif time.monotonic() - start > WALL:
            os.killpg(proc.pid, signal.SIGKILL)
            for t in pumps:
                t.join(5)
            pytest.fail(f"{client} {scenario}: still running after {WALL}s (hang); killed.\n"
                        f"stderr so far:\n{bufs.get('err', b'').decode('utf-8', 'backslashreplace')}",
                        pytrace=False)
        else:
            time.sleep(0.02)
    elapsed = time.monotonic() - start
    try:  # the peer and anything else the client left behind in its session
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for t in pumps:
        t.join(10)
    trace_path = work / "peer.trace"
    trace = trace_path.read_text(errors="replace") if trace_path.exists() else ""
    return Run(proc.returncode, bufs.get("out", b""), bufs.get("err", b""), elapsed, trace,
               rusage.ru_maxrss // 1024)


def require_connected(client, scenario, r: Run):
    """The client must have started the peer, or nothing was tested."""
    if " start " in r.trace:
        return
    err = r.stderr.decode("utf-8", "backslashreplace")
    if client == "ursync" and r.rc == 4 and URSYNC_NO_REMOTE.search(err):
        pytest.fail(f"ursync refuses remote operands (exit 4: {err.strip().splitlines()[0]}); "
                    f"the wire protocol is not wired into the client yet, so scenario "
                    f"{scenario!r} was not exercised", pytrace=False)
    pytest.fail(f"{client} never started the fake server for {scenario!r}: {r.describe()}",
                pytrace=False)


def allowed_files(scenario):
    """{relative path in dst: set of contents} a client may leave behind:
    what the peer sent, and a basis file as it was (or as the peer changed
    it), never a mix."""
    entries = peer.entries_for(scenario) or []
    allowed = {}
    if scenario != "bad_checksum":  # the only data sent failed verification
        for e in entries:
            if (e.mode & 0o170000) == peer.S_IFREG:
                allowed.setdefault(e.name.decode(), set()).add(e.data)
    for name, data in peer.basis_for(scenario).items():
        allowed.setdefault(name, set()).add(data)
        if "basis_shrinks" in scenario:
            allowed[name].add(data[:100])
        if "basis_changes" in scenario:
            allowed[name].add(peer.DELTA_CHANGED)
    return allowed


def put_basis(scenario, work: Path):
    """The destination files a delta scenario starts with (older than the
    peer's, so the client asks for them with block sums)."""
    for name, data in peer.basis_for(scenario).items():
        p = work / "dst" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        os.utime(p, (peer.MTIME - 1000, peer.MTIME - 1000))


def check_complete(scenario, work: Path, r: Run):
    """After exit 0: every regular file of the list is in dst as sent."""
    for e in peer.entries_for(scenario) or []:
        p = work / "dst" / e.name.decode()
        if (e.mode & 0o170000) == peer.S_IFREG:
            assert p.is_file() and p.read_bytes() == e.data, \
                f"{p}: missing or wrong contents\n{r.describe()}"


def check_dst(scenario, work: Path, r: Run):
    dst = work / "dst"
    if not dst.exists():
        return
    allowed = allowed_files(scenario)
    bad = []
    for dirpath, dirnames, filenames in os.walk(dst):
        for name in filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(dst))
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                continue  # a symlink from the list (e.g. "link"); where it points is checked via canary
            if not stat.S_ISREG(st.st_mode):
                bad.append(f"{rel}: unexpected file type {stat.S_IFMT(st.st_mode):o}")
            elif rel not in allowed:
                bad.append(f"{rel}: not a file the peer sent legitimately"
                           + (" (leftover temp file?)" if name.startswith(".") else ""))
            elif p.read_bytes() not in allowed[rel]:
                bad.append(f"{rel}: contents differ from what was sent ({st.st_size} bytes)")
    assert not bad, f"{scenario}: bad files in dst:\n  " + "\n  ".join(bad) + "\n" + r.describe()


# ---------------------------------------------------------------------------


BENIGN = {"benign": (), "needs_pipeline": (), "z_benign": ("-z",), "z_benign_zlibx": ("-z",),
          "delta_benign": (), "z_delta_zlib": ("-z",), "z_delta_zlibx": ("-z",)}


@pytest.mark.parametrize("scenario", list(BENIGN))
@pytest.mark.parametrize("client", CLIENTS)
def test_benign_pull(client, work, scenario):
    """The encoder speaks the protocol: a clean pull from peer.py. With
    needs_pipeline the server answers the first file only once a second
    one was asked for, as a client that asks ahead (rsync's generator, and
    ursync's since it pipelines) does; one that waits per file hangs.
    z_benign*: the same with -z (the peer offers only zlib, or zlibx);
    delta_benign, z_delta_*: the destination holds a basis, the peer
    answers with block matches and literal data (with zlib, the matched
    blocks in the compressor's history, as rsync's sender keeps them)."""
    put_basis(scenario, work)
    before = snapshot(work, skip={"dst", "peer.trace"})
    r = run_client(client, scenario, work, opts=BENIGN[scenario])
    require_connected(client, scenario, r)
    assert r.rc == 0, r.describe()
    if "delta" in scenario:
        # the client sent block sums, and the peer matched them
        assert re.search(r"answer 1 attempt 1 count [1-9]", r.trace), r.trace
    for e in peer.entries_for(scenario):
        p = work / "dst" / e.name.decode()
        if (e.mode & 0o170000) == peer.S_IFREG:
            assert p.read_bytes() == e.data, f"{p}: wrong contents"
            assert stat.S_IMODE(os.stat(p).st_mode) == e.mode & 0o7777
            assert int(os.stat(p).st_mtime) == e.mtime
        else:
            assert p.is_dir(), p
    assert snapshot(work, skip={"dst", "peer.trace"}) == before


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("client", CLIENTS)
def test_hostile(client, scenario, work):
    s = SCENARIOS[scenario]
    put_basis(scenario, work)
    before = snapshot(work, skip={"dst", "peer.trace"})
    r = run_client(client, scenario, work, timeout_opt=s.timeout_opt, opts=s.opts)
    require_connected(client, scenario, r)
    err = r.stderr.decode("utf-8", "backslashreplace")

    assert r.rc >= 0, f"{client} died of signal {-r.rc}: {r.describe()}"
    assert not SANITIZER.search(err), f"sanitizer report: {r.describe()}"
    expected = {s.rsync_rc} if client == "rsync" else set(s.ursync_rc)
    assert r.rc in expected, (f"{client} {scenario}: exit {r.rc}, expected {sorted(expected)}"
                              + (f" ({s.note})" if s.note else "") + f"\n{r.describe()}")
    if r.rc != 0:
        assert err.strip(), f"{client} {scenario}: exit {r.rc} with nothing on stderr"
        assert re.search(s.says, err, re.I), (f"{client} {scenario}: stderr does not name the "
                                               f"problem (/{s.says}/)\n{r.describe()}")
    if not s.slow_ok:
        assert r.elapsed < QUICK, (f"{client} {scenario}: took {r.elapsed:.1f}s; it waited for "
                                   f"the peer to give up instead of noticing\n{r.describe()}")
    if scenario == "hang":
        assert r.elapsed < 5 + 10, f"--timeout=5 took {r.elapsed:.1f}s"
    if scenario == "error_ctrl":
        raw = re.findall(rb"[\x00-\x08\x0b-\x1f\x7f]", r.stderr)
        assert not raw, f"raw control characters from the peer reached stderr: {raw!r}"

    if s.redo:
        assert "attempt 2" in r.trace, f"{client} {scenario}: the file was not asked for again"
    if client == "ursync" and s.max_rss_mb:
        assert r.max_rss_mb < s.max_rss_mb, (f"{client} {scenario}: peak RSS {r.max_rss_mb} MiB "
                                             f"(limit {s.max_rss_mb})\n{r.describe()}")

    after = snapshot(work, skip={"dst", "peer.trace"})
    changed = sorted(set(before.items()) ^ set(after.items()))
    assert not changed, f"{client} {scenario}: changed outside dst: {changed}\n{r.describe()}"
    check_dst(scenario, work, r)
    if r.rc == 0:
        check_complete(scenario, work, r)


def reader(data):
    buf = bytearray(data)

    def read(n):
        assert len(buf) >= n, "decoder read past the end"
        out = bytes(buf[:n])
        del buf[:n]
        return out
    return read


@pytest.mark.parametrize("opts", [["--partial-dir=.p"], ["--partial"], []],
                         ids=lambda o: " ".join(o) or "plain")
def test_cut_mid_file(work, opts):
    """The connection drops in the middle of a file: with --partial-dir
    what arrived is kept as DIR/NAME, with --partial as NAME, without
    either nothing; the exit code is rsync's."""
    results = {}
    for client in CLIENTS:
        dst = work / "dst"
        shutil.rmtree(dst, ignore_errors=True)
        dst.mkdir()
        r = run_client(client, "cut_mid_file", work, opts=opts)
        assert not SANITIZER.search(r.stderr.decode("utf-8", "replace")), r.describe()
        files = {}
        for p in sorted(dst.rglob("*")):
            if p.is_file():
                files[str(p.relative_to(dst))] = p.read_bytes()
        results[client] = (r.rc, files)
    rc, files = results["rsync"]
    assert rc != 0
    assert results["ursync"] == results["rsync"]
    if opts:
        assert list(files.values()) == [peer.CUT_DATA[:peer.CUT_AT]]


def test_peer_encoders():
    """peer.py's encoders against the captured examples in docs/protocol.md."""
    for v, hexs in [(0x7F, "7f"), (0x80, "8080"), (0x141, "8141"), (0x1FF, "81ff"),
                    (0x3FFF, "bfff"), (0x4000, "c00040"), (123456789, "e715cd5b"),
                    (-1, "f0ffffffff")]:
        assert peer.enc_varint(v).hex() == hexs, hex(v)
        assert peer.dec_varlong(reader(peer.enc_varint(v)), 1) == v & 0xFFFFFFFF
    for v, mb, hexs in [(4096, 3, "000010"), (300, 3, "002c01"), (1709528767, 4, "65bf56e5"),
                        (0x80000000, 4, "8000000080")]:
        assert peer.enc_varlong(v, mb).hex() == hexs, (v, mb)
        assert peer.dec_varlong(reader(bytes.fromhex(hexs)), mb) == v
    c = peer.NdxCodec()
    assert (c.encode(-102) + c.encode(-103) + c.encode(-2)).hex() == "ff65" "ff01" "fffe80020000"
    c = peer.NdxCodec()
    assert (c.encode(0) + c.encode(3) + c.encode(4) + c.encode(2) + c.encode(-1)).hex() \
        == "01" "03" "01" "fe80020000" "00"
    d, read = peer.NdxCodec(), reader(bytes.fromhex("010301fe800200000000"))
    assert [d.decode(read) for _ in range(5)] == [0, 3, 4, 2, -1]
    assert peer.enc_vstring(b"x" * 200)[:2] == bytes([0x80, 200])
