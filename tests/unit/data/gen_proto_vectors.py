#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Capture rsync 3.5.0's wire bytes and cut them into test vectors.

    sudo python3 gen_proto_vectors.py [--capture] OUT.h

--capture builds the test tree in a temporary directory (it needs root for
mknod and chown) and pushes it with `rsync --rsh=capture.sh` at protocols
30, 31 and 32; without it the captures already in $UR_CAPTURE_ROOT
(default /tmp/cap) are used. The header gets, per capture, the client's
and the server's handshake bytes, the demultiplexed data of the client's
first two MSG_DATA frames (the whole incremental file list; one frame,
list and id lists, without incremental recursion), and the
demultiplexed data the server's generator sent back; for the delta
transfer, the generator's block sums and the sender's token stream; the deletion
messages and counts of a --delete run, and the sender's statistics at the
end of a pull.

The tree (all mtimes 2024-03-04 05:06:07 UTC unless said):
    a.txt      6 bytes "hello\n", 0644, mtime 2024-01-02 03:04:05.123456789
    sub/hard   hard link to a.txt
    sub/big    300 bytes, owner daemon:daemon
    sub/deeper directory, mtime ...07.5
    link       symlink to "a.txt", owner nobody:nogroup
    cdev       char device 1,3      bdev   block device 7,0
    fifo       FIFO
    n*200/     directory holding m*120 (an empty file)
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURES = [
    # name, rsync options, strip 'v' from the client info
    ("p30_aHD", ["-aHD", "--protocol=30"], False),
    ("p31_nov", ["-aHD", "--protocol=31"], True),
    ("p32_aHD", ["-aHD", "--protocol=32"], False),
    ("p32_num", ["-aHv", "--numeric-ids", "--protocol=32"], False),
    # one whole list with id lists after it, file sums (-c) and atimes (-U)
    ("p32_noinc", ["-aHDcU", "--no-inc-recursive", "--protocol=32"], False),
]
MTIME = "2024-03-04 05:06:07"


def sh(*args):
    subprocess.run(args, check=True)


def build_tree(src):
    os.makedirs(os.path.join(src, "sub", "deeper"))
    with open(os.path.join(src, "a.txt"), "w") as f:
        f.write("hello\n")
    with open(os.path.join(src, "sub", "big"), "w") as f:
        f.write("x" * 300)
    os.symlink("a.txt", os.path.join(src, "link"))
    os.link(os.path.join(src, "a.txt"), os.path.join(src, "sub", "hard"))
    longdir = os.path.join(src, "n" * 200)
    os.mkdir(longdir)
    open(os.path.join(longdir, "m" * 120), "w").close()
    sh("mknod", os.path.join(src, "cdev"), "c", "1", "3")
    sh("mknod", os.path.join(src, "bdev"), "b", "7", "0")
    os.mkfifo(os.path.join(src, "fifo"))
    for p in ("a.txt", "sub/big", "cdev", "bdev", "fifo", "n" * 200 + "/" + "m" * 120):
        os.chmod(os.path.join(src, p), 0o644)
    sh("chown", "daemon:daemon", os.path.join(src, "sub", "big"))
    sh("chown", "-h", "nobody:nogroup", os.path.join(src, "link"))
    sh("find", src, "-mindepth", "1", "!", "-name", "a.txt", "!", "-name", "hard",
       "-exec", "touch", "-h", "-d", MTIME, "{}", "+")
    sh("touch", "-d", "2024-01-02 03:04:05.123456789", os.path.join(src, "a.txt"))
    sh("touch", "-h", "-d", MTIME + ".5", os.path.join(src, "sub", "deeper"))
    sh("touch", "-d", MTIME, src)


def capture(root):
    tmp = tempfile.mkdtemp()
    src = os.path.join(tmp, "src")
    os.umask(0o022)
    build_tree(src)
    for name, opts, no_v in CAPTURES:
        dst = os.path.join(tmp, "dst")
        shutil.rmtree(dst, ignore_errors=True)
        shutil.rmtree(os.path.join(root, name), ignore_errors=True)
        env = dict(os.environ, UR_CAPTURE_DIR=os.path.join(root, name))
        if no_v:
            env["UR_CAPTURE_NO_V"] = "1"
        subprocess.run(["rsync", *opts, "--rsh=" + os.path.join(HERE, "capture.sh"),
                        src + "/", "localhost:" + dst + "/"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    # A delta transfer, for a sum head with blocks in it.
    dsrc, ddst = os.path.join(tmp, "dsrc"), os.path.join(tmp, "ddst")
    os.mkdir(dsrc)
    os.mkdir(ddst)
    rnd = random.Random(1)
    data = bytes(rnd.randrange(256) for _ in range(5000))
    open(os.path.join(dsrc, "f"), "wb").write(data)
    # The basis lacks the last 100 bytes: 7 whole blocks match, 100 are literal.
    open(os.path.join(ddst, "f"), "wb").write(data[:4900])
    sh("touch", "-d", "2024-01-01", os.path.join(ddst, "f"))
    shutil.rmtree(os.path.join(root, "p32_delta"), ignore_errors=True)
    subprocess.run(["rsync", "-r", "--rsh=" + os.path.join(HERE, "capture.sh"),
                    dsrc + "/", "localhost:" + ddst + "/"],
                   env=dict(os.environ, UR_CAPTURE_DIR=os.path.join(root, "p32_delta")),
                   check=True)
    # --delete (deletion messages and stats) and a pull (the sender's stats).
    for d in ("esrc", "edst"):
        os.mkdir(os.path.join(tmp, d))
    open(os.path.join(tmp, "esrc", "f"), "w").write("hi\n")
    os.mkdir(os.path.join(tmp, "edst", "olddir"))
    open(os.path.join(tmp, "edst", "old1"), "w").write("x\n")
    open(os.path.join(tmp, "edst", "old2"), "w").write("y\n")
    os.symlink("nowhere", os.path.join(tmp, "edst", "oldlink"))
    sh("touch", "-d", MTIME, os.path.join(tmp, "esrc", "f"), os.path.join(tmp, "esrc"))
    for name, args in (("p32_del", [os.path.join(tmp, "esrc") + "/",
                                    "localhost:" + os.path.join(tmp, "edst") + "/"]),
                       ("p32_pull", ["localhost:" + os.path.join(tmp, "esrc") + "/",
                                     os.path.join(tmp, "pulled") + "/"])):
        shutil.rmtree(os.path.join(root, name), ignore_errors=True)
        opts = ["-a", "--delete"] if name == "p32_del" else ["-a"]
        subprocess.run(["rsync", *opts, "--rsh=" + os.path.join(HERE, "capture.sh"), *args],
                       env=dict(os.environ, UR_CAPTURE_DIR=os.path.join(root, name)),
                       check=True)
    shutil.rmtree(tmp)


def frames(b):
    out, o = [], 0
    while o + 4 <= len(b):
        h = int.from_bytes(b[o:o + 4], "little")
        n = h & 0xFFFFFF
        out.append(((h >> 24) - 7, b[o + 4:o + 4 + n]))
        o += 4 + n
    return out


def vstring_end(b, o):
    n = b[o]
    if n & 0x80:
        return o + 2 + ((n & 0x7F) << 8 | b[o + 1])
    return o + 1 + n


def handshake_lengths(b_c2s, b_s2c, no_v):
    """Where the multiplexed part starts in each direction."""
    c = 4 if no_v else vstring_end(b_c2s, 4)
    s = 4
    flags = b_s2c[s]  # compat flags, a varint
    s += 2 if flags & 0x80 else 1
    if not no_v:
        s = vstring_end(b_s2c, s)
    return c, s + 4  # + the checksum seed


def carray(name, data, comment):
    lines = [f"/* {comment} */", f"static const uint8_t {name}[] = {{"]
    for i in range(0, len(data), 16):
        lines.append("\t" + ", ".join(f"0x{x:02x}" for x in data[i:i + 16]) + ",")
    lines.append("};")
    return "\n".join(lines) + "\n"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = args[0] if args else os.path.join(HERE, "proto_vectors.h")
    root = os.environ.get("UR_CAPTURE_ROOT", "/tmp/cap")
    if "--capture" in sys.argv:
        capture(root)
    parts = ["/* SPDX-License-Identifier: GPL-3.0-or-later */\n",
             "/* Generated by tests/unit/data/gen_proto_vectors.py from rsync 3.5.0\n"
             " * captures; do not edit. */\n",
             "#ifndef UR_TEST_PROTO_VECTORS_H\n#define UR_TEST_PROTO_VECTORS_H\n",
             "#include <stdint.h>\n\n"]
    for name, _opts, no_v in CAPTURES + [("p32_delta", [], False)]:
        d = os.path.join(root, name)
        c2s = open(os.path.join(d, "c2s"), "rb").read()
        s2c = open(os.path.join(d, "s2c"), "rb").read()
        cmd = open(os.path.join(d, "cmd")).read().strip()
        ch, sh_ = handshake_lengths(c2s, s2c, no_v)
        parts.append(f"/* {name}: {cmd} */\n")
        parts.append(carray(f"{name}_c2s_hs", c2s[:ch], "client handshake"))
        parts.append(carray(f"{name}_s2c_hs", s2c[:sh_], "server handshake"))
        cf = frames(c2s[ch:])
        sf = frames(s2c[sh_:])
        if name != "p32_delta":
            nfr = 1 if "noinc" in name else 2
            flist = b"".join(p for t, p in cf[:nfr])
            parts.append(carray(f"{name}_flist", flist,
                                f"client MSG_DATA frames 1-{nfr}: the file lists"))
            gen = b"".join(p for t, p in sf if t == 0)
            parts.append(carray(f"{name}_gen", gen, "server MSG_DATA payload: generator stream"))
            if name == "p32_aHD":
                parts.append(carray(f"{name}_s2c_mux", s2c[sh_:], "server bytes after the handshake, multiplexed"))
        else:
            gen = sf[0][1]
            parts.append(carray(f"{name}_gen", gen, "first server MSG_DATA frame: ndx, iflags, sum head, sums"))
            parts.append(carray(f"{name}_snd", cf[1][1],
                                "second client MSG_DATA frame: ndx, iflags, sum head, tokens, file sum"))
    # The deleting receiver's side: MSG_DELETED frames, then data ending with
    # NDX_DEL_STATS and its counts.
    s2c = open(os.path.join(root, "p32_del", "s2c"), "rb").read()
    c2s = open(os.path.join(root, "p32_del", "c2s"), "rb").read()
    _, hs = handshake_lengths(c2s, s2c, False)
    parts.append("/* p32_del: rsync -a --delete, 2 files, a directory and a symlink deleted */\n")
    parts.append(carray("p32_del_s2c_mux", s2c[hs:], "server bytes after the handshake"))
    # The sender's statistics at the end of a pull.
    s2c = open(os.path.join(root, "p32_pull", "s2c"), "rb").read()
    c2s = open(os.path.join(root, "p32_pull", "c2s"), "rb").read()
    _, hs = handshake_lengths(c2s, s2c, False)
    parts.append("/* p32_pull: rsync -a from the server: one 3-byte file */\n")
    parts.append(carray("p32_pull_tail", frames(s2c[hs:])[-1][1],
                        "last server MSG_DATA frame: NDX_DONE and the sender's stats"))
    parts.append("#endif\n")
    with open(out, "w") as f:
        f.write("\n".join(parts))


if __name__ == "__main__":
    main()
