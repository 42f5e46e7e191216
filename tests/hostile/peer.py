#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A scripted, malicious rsync server, used as the remote shell.

    CLIENT -e "python3 tests/hostile/peer.py SCENARIO" -a host:src/ dst/    (pull)
    CLIENT -e "python3 tests/hostile/peer.py SCENARIO" -a src/ host:dst/    (push)

The client starts this script with its own argv appended
(`host rsync --server [--sender] -logDtpre.iLsfxCIvu . src/`).  The script
reads the server options from that argv (which letters are on, the client
info after `e`, --numeric-ids) and otherwise ignores it: there is no
source tree, every file list is made up here (entries_for(): the test
imports it to know what a client may legitimately write).  Not supported:
incremental recursion (never offered), devices and hard links in the
lists, compressed data other than zlib/zlibx (Python has no zstd or lz4:
those scenarios send only garbage or tokens).  -c is (md5 file sums in
the list), and so is -z: the peer offers one compression name (zlib, or
the one a scenario's name ends in) and one checksum (md5, xxh64 for
*_xxh64).  It speaks the server side
of rsync's protocol (30..32, and a minimal 29) on stdin/stdout, written
from docs/protocol.md; it never writes to stderr, and it never runs longer
than PEER_LIFETIME seconds (default 60; SIGALRM).

Environment (the client passes its environment to the remote shell):
    HOSTILE_CANARY   absolute path of a directory outside the destination
                     that the traversal scenarios aim at
                     (default /tmp/ursync-hostile-canary)
    HOSTILE_TRACE    if set, a file to which the peer appends a trace
    HOSTILE_DST      the client's destination directory (pulls; default
                     dst): the delta_basis_* scenarios change a file in it
    PEER_WAIT        seconds a scenario that "waits" keeps waiting for the
                     client to hang up before it exits (default 30)
    PEER_LIFETIME    hard limit on the peer's life, seconds (default 60)

Scenarios.  "handshake" below means: the version (int32 LE, 32 unless the
client offers less), compat flags (varint, no CF_INC_RECURSE), the
checksum list "md5" as a vstring (when the client sent `v`) after which
the client's list is read, and the seed (int32); then the server's output
is multiplexed.  A pull then reads the client's filter list (int32
lengths, 0 ends it).  "flist(...)" is a file list in that order, then its
end (varint 0, varint 0) and empty uid/gid lists (varint 0 each, with -o/-g
and without --numeric-ids).  "serve" answers each generator request with
the index, its item flags, the echoed sum head, the contents as literal
tokens, token 0 and the md5 of the contents, answers each NDX_DONE with
NDX_DONE, sends the five stats varlongs after the third, and completes
the goodbye (NDX_DONE both ways at protocol 31+).  "then EOF" / "then
exit": the peer closes its output but keeps reading (and discarding) the
client's bytes until the client hangs up, so the client never meets EPIPE
and what it reports depends only on what it read (a real exit races: rsync
gives 10 instead of 12 when its write loses).  Every scenario that does not
complete the goodbye ends that way (after a goodbye the peer exits at
once: rsync's client waits for its remote shell before it exits);
"waits" means the peer keeps its output open too, up to PEER_WAIT seconds.

  pull scenarios (the client pulls from us):
  benign               handshake, flist(".", "file" 12 bytes, "sub", "sub/f2" 300
                       bytes with prefix compression), serve.  A correct client
                       exits 0 with dst/file and dst/sub/f2 as sent.
  truncated_frame      handshake, filter list, a MSG_DATA header announcing
                       100 bytes followed by 10 bytes of a file entry, then EOF.
  huge_frame           handshake, a MSG_INFO header of length 0xFFFFFF and 64
                       bytes of 'A', then waits for the client to hang up.
  unknown_tag          handshake, a frame with tag 50 (header byte 0x39) and 4
                       bytes, then waits.
  truncated_varint     version, then the compat flags varint is cut: f0 01
                       (marker promising four more bytes, one sent), then EOF.
  truncated_varint_flist  handshake, a MSG_DATA frame whose file list starts
                       with the flags varint c0 (two more bytes promised), EOF.
  dotdot               flist(".", "../canary/pwned" 6 bytes), serve.
  abs_name             flist(".", "$HOSTILE_CANARY/abs-pwned"), serve.  (An
                       absolute name like "/etc/x", aimed at the canary so that
                       a broken client running as root spoils nothing.)
  symlink_walk         flist(".", "link" -> $HOSTILE_CANARY (absolute symlink),
                       "link/walk-pwned"), serve.
  symlink_walk_rel     flist(".", "link" -> "..", "link/canary/rel-pwned"), serve.
  ndx_range            flist like benign; the first transfer request is
                       answered with index 100000 (absolute NDX form).
  token_huge           benign, but the literal token of the first file says
                       0x7FFFFFF0 bytes; 100 bytes follow, then EOF.
  token_bad_block      benign, but the first file's first token is a copy of
                       block 999999 (int32 -1000000) although the sum head has
                       no blocks.
  bad_checksum         benign, but every file checksum is 16 bytes of 0xEE
                       (the data is right): the client must not keep the file.
  size_negative        flist(".", "neg" with size -1 as varlong(3)), serve.
  size_huge            flist(".", "huge" with size 2**62), serve (sends only 12
                       bytes of data if asked).
  long_name            flist(".", a 5000-byte name sent with XMIT_LONG_NAME).
  hang                 handshake, filter list, then silence (reads and discards
                       the client's bytes until it hangs up).  Use --timeout=5.
  exit_after_version   version only (the client's is not read), then exit.
  version29            protocol 29 (no compat flags, no negotiation, md4 would be
                       the checksum): a complete benign run at protocol 29 with
                       flist(".", "sub"), nothing to checksum.  At 29 the
                       client's output is not multiplexed, indices are int32,
                       sizes/times/ids int32 (sizes int32 -1 + int64 when
                       large), the list ends with a 0 byte, empty id lists
                       with int32 0, then an int32 I/O-error word, and the
                       goodbye is one NDX_DONE.  rsync accepts it (exit 0);
                       ursync refuses protocols below 30 (exit 2).
  version999           version 999, then waits for the client to hang up.
  error_exit23         handshake, filter list, MSG_ERROR "peer: simulated
                       failure\n", then MSG_ERROR_EXIT with the int32 23, then
                       waits.
  error_ctrl           handshake, filter list, MSG_ERROR with "evil\x1b[2J\x07\rtext\x00more"
                       (escape, bell, CR, NUL, no newline), then EOF.

  With -z (the compressed token stream, docs/protocol.md); the list is benign's
  unless the name has run_past:
  z_benign, z_benign_zlibx  benign, compressed with zlib / zlibx.
  z_garbage_C          the first file's data is one DEFLATED_DATA unit of 64 bytes
                       of 0xff (C = zlib, zlibx, zstd, lz4), then END.
  z_truncated_C        a DEFLATED_DATA header for 1000 bytes, 100 sent, then EOF.
  z_bad_block_C        TOKEN_REL 0 (block 0) although there is no basis, then EOF.
  z_long_C             TOKEN_LONG 0x7ffffff0, no basis, then EOF.
  z_run_past_C         a delta (below): TOKENRUN_REL from block 0 running 4 blocks
                       past the client's count, then END.
  z_delta_C, z_basis_shrinks_C, z_basis_changes_C  delta_benign and
                       delta_basis_* below, compressed (C = zlib or zlibx).

  Deltas: the test puts DELTA_BASIS (10000 bytes) in dst/big, older than the
  list's "big" (DELTA_NEW, 20000 bytes starting with the basis), so the client
  sends block sums.  A first answer is every block of the head as a match and
  the rest as literal data; a second answer (a redo) is all literal.
  delta_benign         just that; the client must end with DELTA_NEW.
  delta_past_basis     a match of block `count` (one past the last) first.
  delta_echo_bigger    the echoed sum head says count + 10 blocks, and a match of
                       block count + 5 comes first.
  echo_bad_head        (benign's list) the first file's echoed sum head has
                       count -1.
  delta_redo           the first answer's whole-file checksum is 16 bytes of 0xee.
  delta_basis_shrinks  before the first answer's tokens, dst/big is truncated to
                       100 bytes in place (the client's basis changed under it).
  delta_basis_changes  the same, but dst/big is overwritten with DELTA_CHANGED.

  push scenarios (the client pushes to us; we are the receiving server and
  drain whatever the client sends in a thread):
  needs_pipeline       benign, but the first file is answered only after a
                       second request (a client that waits per file hangs).
  push_garbage         after the version, "HTTP/1.0 400 Bad Request\r\n\r\n"
                       in place of the compat flags, then waits.
  push_exit_after_version  version only, then exit.
  push_unknown_tag     handshake, then a frame with tag 50, then waits.
  push_error_exit23    handshake, MSG_ERROR + MSG_ERROR_EXIT 23, then waits.
  push_hang            handshake, then silence.  Use --timeout=5.
  push_sum_*           handshake, then a transfer request for file 1 ("a") with
                       the sum head of PUSH_SUM_HEADS and as many block sums as
                       it says there; push_sum_count_huge, _count_many and
                       _short then EOF, the others wait.
"""

import hashlib
import os
import select
import signal
import struct
import sys
import threading
import time
import zlib

# ----------------------------------------------------------------------------
# constants (docs/protocol.md)

MSG_DATA, MSG_INFO, MSG_ERROR = 0, 2, 3
MSG_ERROR_EXIT = 86
MPLEX_BASE = 7

NDX_DONE = -1

CF_SYMLINK_TIMES = 1 << 1
CF_SAFE_FLIST = 1 << 3
CF_AVOID_XATTR_OPTIM = 1 << 4
CF_CHKSUM_SEED_FIX = 1 << 5
CF_INPLACE_PARTIAL_DIR = 1 << 6
CF_VARINT_FLIST_FLAGS = 1 << 7

X_TOP_DIR = 1 << 0
X_SAME_MODE = 1 << 1
X_EXTENDED_FLAGS = 1 << 2
X_SAME_UID = 1 << 3
X_SAME_GID = 1 << 4
X_SAME_NAME = 1 << 5
X_LONG_NAME = 1 << 6
X_SAME_TIME = 1 << 7

ITEM_BASIS_TYPE_FOLLOWS = 1 << 11
ITEM_XNAME_FOLLOWS = 1 << 12
ITEM_TRANSFER = 1 << 15

S_IFDIR, S_IFREG, S_IFLNK = 0o040000, 0o100000, 0o120000

MTIME = 1_600_000_000

CANARY = os.environ.get("HOSTILE_CANARY", "/tmp/ursync-hostile-canary")
DST = os.environ.get("HOSTILE_DST", "dst")
TRACE = os.environ.get("HOSTILE_TRACE")
WAIT = float(os.environ.get("PEER_WAIT", "30"))  # how long "waits" lasts at most


def trace(*a):
    if TRACE:
        with open(TRACE, "a") as f:
            print(f"[peer {os.getpid()} {time.monotonic():.3f}]", *a, file=f)


class PeerEOF(Exception):
    pass


# ----------------------------------------------------------------------------
# integer encoders


def enc_int32(v):
    return struct.pack("<i", v) if v < 0 else struct.pack("<I", v & 0xFFFFFFFF)


def enc_varlong(v, min_bytes):
    """n marker bits, min_bytes-1+n low bytes, and the next byte up in the
    bits of the first byte below the marker."""
    v &= 0xFFFFFFFFFFFFFFFF
    for n in range(0, 9 - min_bytes + 1):
        nb = min_bytes - 1 + n
        high = v >> (8 * nb)
        room = 7 - n
        if (room > 0 and high < (1 << room)) or high == 0:
            marker = (0xFF << (8 - n)) & 0xFF
            return bytes([marker | high]) + (v & ((1 << (8 * nb)) - 1)).to_bytes(nb, "little")
    raise ValueError(v)


def enc_varint(v):
    return enc_varlong(v & 0xFFFFFFFF, 1)


def dec_varlong(read, min_bytes):
    first = read(1)[0]
    n = 0
    while n < 8 and first & (0x80 >> n):
        n += 1
    nb = min_bytes - 1 + n
    low = int.from_bytes(read(nb), "little") if nb else 0
    room = 7 - n
    high = first & ((1 << room) - 1) if room > 0 else 0
    return low | (high << (8 * nb))


def enc_vstring(b):
    if len(b) > 0x7F:
        return bytes([(len(b) >> 8) | 0x80, len(b) & 0xFF]) + b
    return bytes([len(b)]) + b


class NdxCodec:
    """The protocol-30 file index codec, one instance per direction."""

    def __init__(self):
        self.prev_pos = -1
        self.prev_neg = 1

    def encode(self, ndx, force_abs=False):
        if ndx == NDX_DONE:
            return b"\x00"
        out = b""
        if ndx >= 0:
            diff = ndx - self.prev_pos
            self.prev_pos = ndx
            mag = ndx
        else:
            out = b"\xff"
            mag = -ndx
            diff = mag - self.prev_neg
            self.prev_neg = mag
        if 0 < diff < 0xFE and not force_abs:
            return out + bytes([diff])
        if diff < 0 or diff > 0x7FFF or force_abs:
            return out + bytes([0xFE, (mag >> 24) | 0x80, mag & 0xFF, (mag >> 8) & 0xFF, (mag >> 16) & 0xFF])
        return out + bytes([0xFE, diff >> 8, diff & 0xFF])

    def decode(self, read):
        b = read(1)[0]
        if b == 0:
            return NDX_DONE
        neg = False
        if b == 0xFF:
            neg = True
            b = read(1)[0]
        prev = self.prev_neg if neg else self.prev_pos
        if b == 0xFE:
            x = read(2)
            if x[0] & 0x80:
                y = read(2)
                v = ((x[0] & 0x7F) << 24) | x[1] | (y[0] << 8) | (y[1] << 16)
            else:
                v = prev + ((x[0] << 8) | x[1])
        else:
            v = prev + b
        if neg:
            self.prev_neg = v
            return -v
        self.prev_pos = v
        return v


# ----------------------------------------------------------------------------
# the two directions


class Wire:
    def __init__(self):
        self.inbuf = b""
        self.in_mux = False  # is the client's output multiplexed?
        self.out_mux = False
        self.out = b""  # pending MSG_DATA payload
        self.data = b""  # demultiplexed data from the client
        self.client_eof = False

    # raw bytes
    def raw_write(self, b):
        view = memoryview(b)
        while view:
            try:
                n = os.write(1, view)
            except BrokenPipeError:
                raise PeerEOF("client closed its input")
            except BlockingIOError:
                # rsync may leave the socket non-blocking: wait for room
                select.select([], [1], [])
                continue
            view = view[n:]

    def raw_read(self, n):
        while len(self.inbuf) < n:
            try:
                chunk = os.read(0, 65536)
            except BlockingIOError:
                select.select([0], [], [])
                continue
            if not chunk:
                self.client_eof = True
                raise PeerEOF("client hung up")
            self.inbuf += chunk
        b, self.inbuf = self.inbuf[:n], self.inbuf[n:]
        return b

    # output
    def frame(self, tag, payload, length=None):
        """One frame; length overrides the header's length field."""
        self.flush()
        n = len(payload) if length is None else length
        self.raw_write(struct.pack("<I", ((MPLEX_BASE + tag) << 24) | (n & 0xFFFFFF)) + payload)

    def send(self, b):
        if self.out_mux:
            self.out += b
        else:
            self.raw_write(b)

    def flush(self):
        while self.out:
            chunk, self.out = self.out[:32768], self.out[32768:]
            self.raw_write(struct.pack("<I", (MPLEX_BASE << 24) | len(chunk)) + chunk)

    # input
    def read(self, n):
        self.flush()
        if not self.in_mux:
            return self.raw_read(n)
        while len(self.data) < n:
            hdr = struct.unpack("<I", self.raw_read(4))[0]
            tag, length = (hdr >> 24) - MPLEX_BASE, hdr & 0xFFFFFF
            payload = self.raw_read(length)
            if tag == MSG_DATA:
                self.data += payload
            else:
                trace("client message", tag, payload[:200])
                if tag == MSG_ERROR_EXIT:
                    raise PeerEOF("client sent MSG_ERROR_EXIT")
        b, self.data = self.data[:n], self.data[n:]
        return b

    def drain(self, limit=None):
        """Read and discard the client's bytes until it hangs up."""
        self.flush()
        end = time.monotonic() + (limit if limit else 3600)
        try:
            while time.monotonic() < end:
                try:
                    if not os.read(0, 65536):
                        return
                except BlockingIOError:
                    select.select([0], [], [], 1)
        except OSError:
            return

    def hang_up(self, limit):
        """Close our output (the client sees EOF) but keep reading until the
        client hangs up too, so that its writes never fail with EPIPE: what
        the client reports is then decided by what it read, not by a race."""
        try:
            self.flush()
        except PeerEOF:
            pass
        os.close(1)
        self.drain(limit)

    def drain_in_thread(self, limit):
        t = threading.Thread(target=self.drain, args=(limit,), daemon=True)
        t.start()
        return t


# ----------------------------------------------------------------------------
# server options from the client's argv


class Opts:
    def __init__(self, argv):
        self.letters = set()
        self.client_info = ""
        self.long = set()
        self.sender = False
        try:
            args = argv[argv.index("--server") + 1:]
        except ValueError:
            args = []
        for a in args:
            if a == "--sender":
                self.sender = True
            elif a.startswith("--"):
                self.long.add(a.split("=", 1)[0])
            elif a.startswith("-") and len(a) > 1:
                s = a[1:]
                if "e" in s:
                    s, self.client_info = s.split("e", 1)
                self.letters.update(s)
            elif a == ".":
                break
        self.uid = "o" in self.letters
        self.gid = "g" in self.letters
        self.links = "l" in self.letters
        self.checksum = "c" in self.letters
        self.numeric = "--numeric-ids" in self.long
        self.compress = "z" in self.letters


# ----------------------------------------------------------------------------
# file list


class Entry:
    def __init__(self, name, mode, data=b"", target=None, size=None, raw_suffix_len=None):
        self.name = name.encode() if isinstance(name, str) else name
        self.mode = mode
        self.data = data
        self.target = target.encode() if isinstance(target, str) else target
        self.size = len(data) if size is None else size
        self.mtime = MTIME
        self.uid = os.getuid()
        self.gid = os.getgid()


class FlistEncoder:
    def __init__(self, proto, varint_flags, opts):
        self.proto = proto
        self.varint_flags = varint_flags
        self.o = opts
        self.prev_name = b""
        self.prev_mode = None
        self.prev_mtime = None
        self.prev_uid = None
        self.prev_gid = None

    def int30(self, v):
        return enc_int32(v) if self.proto < 30 else enc_varint(v)

    def long30(self, v, mb):
        if self.proto >= 30:
            return enc_varlong(v, mb)
        if -0x80000000 <= v <= 0x7FFFFFFF:
            return enc_int32(v)
        return enc_int32(-1) + struct.pack("<q", v)

    def entry(self, e, top=False):
        flags = X_TOP_DIR if top else 0
        first = self.prev_name == b""
        if e.mode == self.prev_mode:
            flags |= X_SAME_MODE
        if not self.o.uid or (not first and e.uid == self.prev_uid):
            flags |= X_SAME_UID
        if not self.o.gid or (not first and e.gid == self.prev_gid):
            flags |= X_SAME_GID
        if not first and e.mtime == self.prev_mtime:
            flags |= X_SAME_TIME
        l1 = 0
        while l1 < min(len(self.prev_name), len(e.name), 255) and self.prev_name[l1] == e.name[l1]:
            l1 += 1
        suffix = e.name[l1:]
        if l1:
            flags |= X_SAME_NAME
        if len(suffix) > 255:
            flags |= X_LONG_NAME
        out = b""
        if self.varint_flags:
            out += enc_varint(flags or X_EXTENDED_FLAGS)
        elif flags == 0:
            out += bytes([X_TOP_DIR]) if (e.mode & 0o170000) != S_IFDIR else bytes([X_EXTENDED_FLAGS, 0])
        elif flags > 0xFF:
            out += struct.pack("<H", flags | X_EXTENDED_FLAGS)
        else:
            out += bytes([flags])
        if l1:
            out += bytes([l1])
        out += self.int30(len(suffix)) if flags & X_LONG_NAME else bytes([len(suffix)])
        out += suffix
        out += self.long30(e.size, 3)
        if not flags & X_SAME_TIME:
            out += enc_varlong(e.mtime, 4) if self.proto >= 30 else enc_int32(e.mtime)
        if not flags & X_SAME_MODE:
            out += enc_int32(e.mode)
        if self.o.uid and not flags & X_SAME_UID:
            out += self.int30(e.uid)
        if self.o.gid and not flags & X_SAME_GID:
            out += self.int30(e.gid)
        if self.o.links and (e.mode & 0o170000) == S_IFLNK:
            out += self.int30(len(e.target)) + e.target
        if self.o.checksum and (e.mode & 0o170000) == S_IFREG:
            out += hashlib.md5(e.data).digest()
        self.prev_name = e.name
        self.prev_mode, self.prev_mtime = e.mode, e.mtime
        self.prev_uid, self.prev_gid = e.uid, e.gid
        return out

    def end(self):
        if self.varint_flags:
            out = enc_varint(0) + enc_varint(0)
        else:
            out = b"\x00"
        if not self.o.numeric:
            if self.o.uid:
                out += self.int30(0)
            if self.o.gid:
                out += self.int30(0)
        if self.proto < 30:
            out += enc_int32(0)  # io_error
        return out


# The delta scenarios: the destination holds DELTA_BASIS as "big" (older
# mtime, so the client asks for it with block sums); the peer sends
# DELTA_NEW, which starts with the basis.
DELTA_BASIS = bytes((i * 7 + 3) % 251 for i in range(10000))
DELTA_NEW = DELTA_BASIS + bytes((i * 13 + 5) % 241 for i in range(10000))
# What the basis-changing scenarios turn the destination's basis into.
DELTA_CHANGED = bytes((i * 11 + 1) % 239 for i in range(10000))


# cut_mid_file: a file whose transfer stops after CUT_AT bytes.
CUT_DATA = bytes((i * 7 + 3) % 251 for i in range(100_000))
CUT_AT = 30_000


def is_delta(sc):
    return sc.startswith(("delta_", "z_delta", "z_basis_", "z_run_past_"))


def basis_for(sc):
    """The destination file a scenario starts with, {name: bytes}."""
    if is_delta(sc):
        return {"big": DELTA_BASIS}
    return {}


def compress_name(sc):
    """The one compression a -z scenario offers (the client must pick it)."""
    for name in ("zlibx", "zstd", "lz4"):
        if sc.endswith("_" + name):
            return name
    return "zlib"


def checksum_name(sc):
    return "xxh64" if sc.endswith("_xxh64") else "md5"


# push_sum_*: the sum head (count, blength, s2length, remainder) the peer
# sends for file 1, and how many block sums follow it.
PUSH_SUM_HEADS = {
    "push_sum_count_neg": (-1, 700, 2, 0, 0),
    "push_sum_count_huge": (0x7FFFFFFF, 700, 16, 0, 4),
    "push_sum_count_many": (20_000_000, 700, 16, 0, 300000),
    "push_sum_blength_zero": (5, 0, 2, 0, 0),
    "push_sum_blength_neg": (5, -700, 2, 0, 0),
    "push_sum_blength_huge": (5, (1 << 17) + 1, 2, 0, 0),
    "push_sum_s2len_big": (5, 700, 17, 0, 0),
    "push_sum_s2len_neg": (5, 700, -1, 0, 0),
    "push_sum_s2len_xxh64": (5, 700, 16, 0, 5),
    "push_sum_remainder": (5, 700, 2, 701, 0),
    "push_sum_short": (1000, 700, 2, 0, 10),
}
# The ones after which the peer hangs up (the rest wait for the client).
PUSH_SUMS_HANG_UP = {"push_sum_count_huge", "push_sum_count_many", "push_sum_short"}


def entries_for(sc):
    """The file list a pull scenario sends (None: the scenario sends none).
    The test imports this to know what a client may legitimately write."""
    d = Entry(".", S_IFDIR | 0o755, size=4096)
    benign = [d, Entry("file", S_IFREG | 0o644, b"hello world\n"),
              Entry("sub", S_IFDIR | 0o755, size=4096),
              Entry("sub/f2", S_IFREG | 0o600, bytes(range(256)) + b"tail" * 11)]
    if sc in ("benign", "needs_pipeline", "ndx_range", "token_huge", "token_bad_block",
              "bad_checksum", "echo_bad_head"):
        return benign
    if is_delta(sc):
        return [d, Entry("big", S_IFREG | 0o644, DELTA_NEW)]
    if sc.startswith("z_"):
        return benign
    if sc == "cut_mid_file":
        return [d, Entry("big", S_IFREG | 0o644, CUT_DATA)]
    if sc == "version29":
        return [d, Entry("sub", S_IFDIR | 0o755, size=4096)]
    if sc == "dotdot":
        return [d, Entry("../canary/pwned", S_IFREG | 0o644, b"pwned\n")]
    if sc == "abs_name":
        return [d, Entry(CANARY + "/abs-pwned", S_IFREG | 0o644, b"pwned\n")]
    if sc == "symlink_walk":
        return [d, Entry("link", S_IFLNK | 0o777, target=CANARY, size=len(CANARY)),
                Entry("link/walk-pwned", S_IFREG | 0o644, b"pwned\n")]
    if sc == "symlink_walk_rel":
        return [d, Entry("link", S_IFLNK | 0o777, target="..", size=2),
                Entry("link/canary/rel-pwned", S_IFREG | 0o644, b"pwned\n")]
    if sc == "size_negative":
        return [d, Entry("neg", S_IFREG | 0o644, b"x" * 12, size=-1)]
    if sc == "size_huge":
        return [d, Entry("huge", S_IFREG | 0o644, b"x" * 12, size=1 << 62)]
    if sc == "long_name":
        return [d, Entry("L" * 5000, S_IFREG | 0o644, b"long\n")]
    return None


# ----------------------------------------------------------------------------
# the server


class Server:
    def __init__(self, scenario, argv):
        self.sc = scenario
        self.o = Opts(argv)
        self.w = Wire()
        self.proto = 32
        self.compat = 0
        self.ndx_out = NdxCodec()
        self.ndx_in = NdxCodec()
        self.files = []
        self.finished = False  # a complete session: exit at once (the client waits for us)
        self.attempts = {}  # file index -> how many times it was asked for

    # -- connection start
    def version(self, mine=32):
        self.w.raw_write(enc_int32(mine))
        client = struct.unpack("<i", self.w.raw_read(4))[0]
        self.proto = min(mine, client)
        trace("client version", client, "agreed", self.proto, "argv-info", self.o.client_info)
        return client

    def handshake(self, mine=32):
        self.version(mine)
        ci = self.o.client_info
        if self.proto >= 30:
            c = CF_SYMLINK_TIMES
            for letter, bit in (("f", CF_SAFE_FLIST), ("x", CF_AVOID_XATTR_OPTIM),
                                ("C", CF_CHKSUM_SEED_FIX), ("I", CF_INPLACE_PARTIAL_DIR),
                                ("v", CF_VARINT_FLIST_FLAGS)):
                if letter in ci:
                    c |= bit
            self.compat = c
            self.w.raw_write(enc_varint(c))
            if c & CF_VARINT_FLIST_FLAGS:
                # Our lists (one name each: the client can only pick it),
                # then the client's, as rsync's negotiate does.
                z_list = self.o.compress and "--compress-choice" not in self.o.long
                self.w.raw_write(enc_vstring(checksum_name(self.sc).encode()))
                if z_list:
                    self.w.raw_write(enc_vstring(compress_name(self.sc).encode()))
                if "--checksum-choice" not in self.o.long and "--cc" not in self.o.long:
                    trace("client checksums", self.read_vstring())
                if z_list:
                    trace("client compressions", self.read_vstring())
        self.w.raw_write(enc_int32(0x5EED))
        self.w.out_mux = True
        self.w.in_mux = self.proto >= 30

    def read_vstring(self):
        n = self.w.raw_read(1)[0]
        if n & 0x80:
            n = ((n & 0x7F) << 8) | self.w.raw_read(1)[0]
        return self.w.raw_read(n)

    @property
    def varint_flags(self):
        return bool(self.compat & CF_VARINT_FLIST_FLAGS)

    def read_filters(self):
        while True:
            n = struct.unpack("<i", self.w.read(4))[0]
            if n == 0:
                return
            trace("filter", self.w.read(n))

    def send_flist(self, entries, end=True):
        enc = FlistEncoder(self.proto, self.varint_flags, self.o)
        self.files = entries
        out = b"".join(enc.entry(e, top=(i == 0)) for i, e in enumerate(entries))
        if end:
            out += enc.end()
        self.w.send(out)
        self.w.flush()

    # -- the sender's loop
    def read_ndx(self):
        if self.proto >= 30:
            return self.ndx_in.decode(self.w.read)
        return struct.unpack("<i", self.w.read(4))[0]

    def write_ndx(self, ndx, force_abs=False):
        if self.proto >= 30:
            self.w.send(self.ndx_out.encode(ndx, force_abs))
        else:
            self.w.send(enc_int32(ndx))

    def stats(self):
        enc = FlistEncoder(self.proto, self.varint_flags, self.o)
        self.w.send(b"".join(enc.long30(v, 3) for v in (100, 200, sum(e.size for e in self.files), 1, 0)))

    def answer(self, ndx, iflags, extra, head, first):
        e = self.files[ndx] if 0 <= ndx < len(self.files) else Entry("?", S_IFREG)
        data = e.data
        sc = self.sc.removesuffix("_progress")  # the client's --progress changes nothing here
        if sc == "ndx_range" and first:
            self.write_ndx(100000, force_abs=True)
        else:
            self.write_ndx(ndx)
        count, blen, s2len, rem = struct.unpack("<iiii", head)
        if sc == "echo_bad_head" and first:
            head = struct.pack("<iiii", -1, blen, s2len, rem)
        if sc == "delta_echo_bigger" and first:
            # echo 10 more blocks than the client's basis has
            head = struct.pack("<iiii", count + 10, blen, s2len, rem)
        self.w.send(struct.pack("<H", iflags) + extra + head)
        attempt = self.attempts[ndx] = self.attempts.get(ndx, 0) + 1
        trace("answer", ndx, "attempt", attempt, "count", count)
        if sc == "token_huge" and first:
            self.w.send(enc_int32(0x7FFFFFF0) + b"X" * 100)
            self.w.flush()
            raise PeerEOF("token_huge: done")
        if sc == "cut_mid_file":
            # part of the data, then the connection drops
            self.w.send(enc_int32(CUT_AT) + data[:CUT_AT])
            self.w.flush()
            raise PeerEOF("cut_mid_file: done")
        # The tokens: ("lit", bytes) and ("match", block).  On a first
        # attempt against a basis, every block of the head as a match (the
        # new data starts with the basis), then the rest as literal; a
        # redo gets it all as literal.
        toks = []
        if count > 0 and attempt == 1:
            # (with the block's bytes, for zlib's history)
            toks = [("match", i, data[i * blen:i * blen + (rem if i == count - 1 and rem else blen)])
                    for i in range(count)]
            covered = (count - 1) * blen + (rem or blen)
            data_rest = data[covered:]
        else:
            data_rest = data
        for i in range(0, len(data_rest), 32768):
            toks.append(("lit", data_rest[i:i + 32768]))
        if sc == "token_bad_block" and first:
            toks.insert(0, ("match", 999999, b""))
        if sc == "delta_past_basis" and attempt == 1:
            toks.insert(0, ("match", count, b""))
        if sc == "delta_echo_bigger" and attempt == 1:
            toks.insert(0, ("match", count + 5, b""))
        if ("basis_shrinks" in sc or "basis_changes" in sc) and attempt == 1:
            # The destination's basis changes after the client sent its
            # block sums and before it reads our matches.
            path = os.path.join(DST, "big")
            with open(path, "r+b") as f:
                if "basis_shrinks" in sc:
                    f.truncate(100)
                else:
                    f.write(DELTA_CHANGED)
            trace("changed the basis", sc)
        if self.o.compress:
            self.send_compressed(toks, first)
        else:
            for kind, v, *_ in toks:
                if kind == "match":
                    self.w.send(enc_int32(-(v + 1)))
                else:
                    self.w.send(enc_int32(len(v)) + v)
            self.w.send(enc_int32(0))
        if sc == "bad_checksum" or (sc == "delta_redo" and attempt == 1):
            self.w.send(b"\xee" * 16)
        else:
            self.w.send(hashlib.md5(data).digest())

    def send_compressed(self, toks, first):
        """The token stream of one file, compressed (docs/protocol.md):
        the literal data as DEFLATED_DATA units, matches as token bytes.
        Only zlib/zlibx data can be made here (Python has no zstd or
        lz4).  Every match is its own TOKEN_REL (no runs); with zlib the
        matched block then goes into the compressor's history, its output
        discarded, as rsync's sender does (the receiver adds the same
        bytes from its basis)."""
        sc = self.sc
        name = compress_name(sc)
        if first and sc.startswith("z_garbage_"):
            # 0xff: a deflate block of the reserved type 3; not a zstd
            # frame; an lz4 block whose literal length runs past the end.
            self.w.send(bytes([0x40, 64]) + b"\xff" * 64)
            self.w.send(b"\x00")
            return
        if first and sc.startswith("z_truncated_"):
            self.w.send(bytes([0x40 | (1000 >> 8), 1000 & 0xFF]) + b"\x00" * 100)
            self.w.flush()
            raise PeerEOF("z_truncated: done")
        if first and (sc.startswith("z_bad_block_") or sc.startswith("z_long_")):
            # TOKEN_REL 0 (block 0) or TOKEN_LONG 0x7ffffff0, but the head
            # has no blocks; then EOF (the client must stop at the token).
            self.w.send(b"\x80" if "bad_block" in sc else b"\x20" + enc_int32(0x7FFFFFF0))
            self.w.flush()
            raise PeerEOF(f"{sc}: done")
        if first and sc.startswith("z_run_past_"):
            # TOKENRUN_REL from block 0 running 5 blocks past the head's count.
            n = sum(1 for t in toks if t[0] == "match")
            self.w.send(bytes([0xC0]) + struct.pack("<H", n + 4))
            self.w.send(b"\x00")
            return
        co = None
        pending = b""
        last = 0
        if name not in ("zlib", "zlibx"):
            raise ValueError(f"peer cannot compress with {name}")
        co = zlib.compressobj(6, zlib.DEFLATED, -15)
        fed = False  # literal data since the last flush
        for kind, v, *block in toks:
            if kind == "lit":
                pending += co.compress(v)
                fed = True
                continue
            if fed:
                pending = self.deflated_flush(co, pending)
                fed = False
            r = v - last
            if 0 <= r <= 63:
                self.w.send(bytes([0x80 | r]))
            else:
                self.w.send(bytes([0x20]) + enc_int32(v))
            last = v
            if name == "zlib":
                for i in range(0, len(block[0]), 0xFFFF):
                    co.compress(block[0][i:i + 0xFFFF])
                    co.flush(zlib.Z_SYNC_FLUSH)
        if fed:
            self.deflated_flush(co, pending)
        self.w.send(b"\x00")

    def deflated_flush(self, co, pending):
        out = pending + co.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(b"\x00\x00\xff\xff")
        out = out[:-4]
        for i in range(0, len(out), 16383):
            chunk = out[i:i + 16383]
            self.w.send(bytes([0x40 | (len(chunk) >> 8), len(chunk) & 0xFF]) + chunk)
        return b""

    def serve(self):
        dones = 0
        hostile_done = False
        held = None
        answered = False
        while True:
            ndx = self.read_ndx()
            if ndx == NDX_DONE and held is not None:
                self.answer(*held, first=False)
                held = None
                answered = True
            if ndx == NDX_DONE:
                dones += 1
                self.write_ndx(NDX_DONE)
                if dones == 3:
                    break
                continue
            if ndx < 0:
                trace("unexpected negative index", ndx)
                return
            iflags = struct.unpack("<H", self.w.read(2))[0]
            extra = b""
            if iflags & ITEM_BASIS_TYPE_FOLLOWS:
                extra += self.w.read(1)
            if iflags & ITEM_XNAME_FOLLOWS:
                n = self.w.read(1)
                ln = n[0]
                if ln & 0x80:
                    n += self.w.read(1)
                    ln = ((ln & 0x7F) << 8) | n[1]
                extra += n + self.w.read(ln)
            trace("request", ndx, hex(iflags))
            if not iflags & ITEM_TRANSFER:
                self.write_ndx(ndx)
                self.w.send(struct.pack("<H", iflags) + extra)
                continue
            head = self.w.read(16)
            count, blen, s2len, rem = struct.unpack("<iiii", head)
            if count > 0:
                self.w.read(count * (4 + s2len))
            if self.sc == "needs_pipeline" and held is None and not answered:
                # Answer nothing until the client has asked for a second
                # file: a client that waits for each file's data hangs here.
                held = (ndx, iflags, extra, head)
                trace("holding", ndx)
                continue
            if held is not None:
                self.answer(*held, first=False)
                held = None
                answered = True
            first = not hostile_done
            hostile_done = True
            self.answer(ndx, iflags, extra, head, first)
        if held is not None:
            self.answer(*held, first=False)
        self.stats()
        ndx = self.read_ndx()
        trace("goodbye 1", ndx)
        if self.proto >= 31 and ndx == NDX_DONE:
            self.write_ndx(NDX_DONE)
            ndx = self.read_ndx()
            trace("goodbye 2", ndx)
        self.w.flush()
        self.finished = True

    # -- scenarios
    def pull(self):
        sc = self.sc
        if sc == "exit_after_version":
            self.w.raw_write(enc_int32(32))
            return
        if sc == "version999":
            self.w.raw_write(enc_int32(999))
            self.w.drain(WAIT)
            return
        if sc == "truncated_varint":
            self.version()
            self.w.raw_write(b"\xf0\x01")
            return
        if sc == "version29":
            self.handshake(29)
            self.read_filters()
            self.send_flist(entries_for(sc))
            self.serve()
            return

        self.handshake()
        if sc == "unknown_tag":
            self.w.frame(50, b"\x01\x02\x03\x04")
            self.w.drain(WAIT)
            return
        if sc == "huge_frame":
            self.w.frame(MSG_INFO, b"A" * 64, length=0xFFFFFF)
            self.w.drain(WAIT)
            return
        self.read_filters()
        if sc == "error_ctrl":
            self.w.frame(MSG_ERROR, b"evil\x1b[2J\x07\rtext\x00more")
            return
        if sc == "hang":
            self.w.drain(WAIT)
            return
        if sc == "error_exit23":
            self.w.frame(MSG_ERROR, b"peer: simulated failure\n")
            self.w.frame(MSG_ERROR_EXIT, enc_int32(23))
            self.w.drain(WAIT)
            return
        if sc == "truncated_frame":
            enc = FlistEncoder(self.proto, self.varint_flags, self.o)
            ents = entries_for("benign")
            body = enc.entry(ents[0], top=True) + enc.entry(ents[1])
            self.w.raw_write(struct.pack("<I", (MPLEX_BASE << 24) | 100) + body[:10])
            return
        if sc == "truncated_varint_flist":
            self.w.raw_write(struct.pack("<I", (MPLEX_BASE << 24) | 1) + b"\xc0")
            return
        entries = entries_for(sc)
        if entries is None:
            self.w.frame(MSG_ERROR, f"peer.py: unknown scenario {sc!r}\n".encode())
            return
        self.send_flist(entries)
        self.serve()

    def push(self):
        sc = self.sc
        if sc == "push_exit_after_version":
            self.w.raw_write(enc_int32(32))
            return
        if sc == "push_garbage":
            self.version()
            self.w.raw_write(b"HTTP/1.0 400 Bad Request\r\n\r\n")
            self.w.drain(WAIT)
            return
        self.handshake()
        drainer = self.w.drain_in_thread(WAIT)
        if sc == "push_unknown_tag":
            self.w.frame(50, b"\x01\x02\x03\x04")
        elif sc == "push_error_exit23":
            self.w.frame(MSG_ERROR, b"peer: simulated failure\n")
            self.w.frame(MSG_ERROR_EXIT, enc_int32(23))
        elif sc == "push_hang":
            pass
        elif sc in PUSH_SUM_HEADS:
            # As the receiving side's generator: ask for file 1 ("a": the
            # list is ".", "a", "sub", "sub/b", indices from 0 without
            # incremental recursion) with a sum head the sender must refuse
            # or cannot be given the sums of.
            count, blen, s2len, rem, nsums = PUSH_SUM_HEADS[sc]
            self.w.send(self.ndx_out.encode(1) + struct.pack("<H", ITEM_TRANSFER))
            self.w.send(struct.pack("<iiii", count, blen, s2len, rem))
            blk = struct.pack("<I", 0x12345678) + b"\xab" * max(s2len, 0)
            for i in range(0, nsums, 4096):
                self.w.send(blk * min(4096, nsums - i))
                self.w.flush()
            trace("sent sum head", count, blen, s2len, rem, "and", nsums, "sums")
            if sc in PUSH_SUMS_HANG_UP:
                return  # then EOF
        else:
            self.w.frame(MSG_ERROR, f"peer.py: unknown scenario {sc!r}\n".encode())
            return
        self.w.flush()
        drainer.join(WAIT)  # until the client hangs up


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.alarm(int(os.environ.get("PEER_LIFETIME", "60")))
    scenario = sys.argv[1]
    srv = Server(scenario, sys.argv[2:])
    trace("start", scenario, sys.argv[2:])
    try:
        if scenario.startswith("push_"):
            srv.push()
        else:
            srv.pull()
    except PeerEOF as e:
        trace("eof:", e)
    except Exception as e:  # a peer bug: leave a trace, never a traceback on the client's stderr
        trace("peer exception", repr(e))
        return 1
    if not srv.finished:
        srv.w.hang_up(WAIT)
    trace("exit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
