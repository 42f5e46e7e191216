#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Play ursync's compressed token streams to rsync 3.5.0's decoder.

    python3 tests/unit/data/compress/replay.py BUILD_DIR

Builds src/compress/cz.c as a shared library (BUILD_DIR gives config.h)
and, for each codec and a few levels, runs a real rsync client pull
    rsync -rt -z --compress-choice=ALG [--compress-level=L] -e "replay.py --peer ..." host:src/ dst/
against a fake server: tests/hostile/peer.py's Server (its handshake, file
list and index codecs), whose sender loop here sends ursync's encoder
output (through ctypes) instead of plain tokens. The files:
  noise  100000 random bytes in 1000-byte literal pieces (incompressible:
         full 16383-byte units and zlib's held-back flush trailer)
  text   tests/unit/data/compress/a in rsync's 32 KiB pieces
  b      basis_b's blocks reordered (with 700-byte blocks 100..171, then
         0..99), every fifth block sent as literal bytes and the rest as
         matches of the destination's older b (basis_b), then 30000 bytes
         of basis_b again as literals: runs, TOKEN_LONG jumps forward and
         back, and for zlib the matched blocks in the history (protocol 30
         and 31 with 70000-byte blocks, where they differ)
The pull must exit 0 and leave the expected bytes; a stream rsync's
decoder rejects fails the whole-file md5 or the protocol.
"""
import ctypes, hashlib, os, random, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..', '..'))
# codec, --compress-level, --protocol, --block-size (700 is rsync's own
# choice for the 120000-byte basis; 70000 makes zlib's history take a block
# in two pieces, which protocol 30 gets wrong on purpose)
RUNS = [('zlib', None, None, 700), ('zlib', 1, None, 700), ('zlib', 9, None, 700),
        ('zlibx', None, None, 700), ('zstd', None, None, 700), ('zstd', 19, None, 700),
        ('lz4', None, None, 700), ('zlib', None, 30, 70000), ('zlib', None, 31, 70000),
        ('zlibx', None, 30, 70000), ('zstd', None, 30, 700), ('lz4', None, 30, 700)]
ALGS = {'zlib': 0, 'zlibx': 1, 'zstd': 2, 'lz4': 3}


def contents(blen):
    noise = random.Random(11).randbytes(100000)
    text = open(os.path.join(HERE, 'a'), 'rb').read()
    basis = open(os.path.join(HERE, 'basis_b'), 'rb').read()
    nb = (len(basis) + blen - 1) // blen
    cut = 100 if nb > 100 else 1
    order = list(range(cut, nb)) + list(range(cut))
    return noise, text, basis, order


def block(basis, i, blen):
    return basis[i * blen:(i + 1) * blen]


def b_content(basis, order, blen):
    # The tail repeats basis bytes that zlib finds in its history.
    return b''.join(block(basis, i, blen) for i in order) + basis[60000:90000]


class WBuf(ctypes.Structure):
    _fields_ = [('p', ctypes.c_void_p), ('cap', ctypes.c_size_t), ('len', ctypes.c_size_t)]


def peer(alg, level, blen, so):
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'hostile'))
    import peer as hp

    lib = ctypes.CDLL(so)
    enc = ctypes.c_void_p()
    store = ctypes.create_string_buffer(1 << 22)
    wb = WBuf(ctypes.cast(store, ctypes.c_void_p), 1 << 22, 0)

    def ok(rc):
        if rc != 0:
            raise RuntimeError('encoder: %d' % rc)

    def literal(data, piece):
        for i in range(0, len(data), piece):
            c = data[i:i + piece]
            ok(lib.ur_cz_enc_literal(enc, c, ctypes.c_size_t(len(c)), ctypes.byref(wb)))

    def take():
        ok(lib.ur_cz_enc_end(enc, ctypes.byref(wb)))
        assert lib.ur_cz_enc_pending(enc) == 0
        out = store.raw[:wb.len]
        wb.len = 0
        return out

    noise, text, basis, order = contents(blen)
    b_new = b_content(basis, order, blen)

    class CzServer(hp.Server):
        def pull(self):
            self.handshake()
            # The negotiated protocol: below 31 zlib's history differs.
            if lib.ur_cz_enc_new(ALGS[alg], level, self.proto, ctypes.byref(enc)) != 0:
                raise RuntimeError('enc_new')
            self.read_filters()
            d = hp.Entry('.', hp.S_IFDIR | 0o755, size=4096)
            self.send_flist([d, hp.Entry('b', hp.S_IFREG | 0o644, b_new),
                             hp.Entry('noise', hp.S_IFREG | 0o644, noise),
                             hp.Entry('text', hp.S_IFREG | 0o644, text)])
            self.serve()

        def serve(self):
            dones = 0
            while True:
                ndx = self.read_ndx()
                if ndx == hp.NDX_DONE:
                    dones += 1
                    self.write_ndx(hp.NDX_DONE)
                    if dones == 3:
                        break
                    continue
                iflags = int.from_bytes(self.w.read(2), 'little')
                if not iflags & hp.ITEM_TRANSFER:
                    self.write_ndx(ndx)
                    self.w.send(iflags.to_bytes(2, 'little'))
                    continue
                head = self.w.read(16)
                count, head_blen, s2len, _ = (int.from_bytes(head[i:i + 4], 'little', signed=True)
                                         for i in range(0, 16, 4))
                if count > 0:
                    self.w.read(count * (4 + s2len))
                name = self.files[ndx].name
                if name == b'b':
                    assert head_blen == blen, head_blen
                    for k, i in enumerate(order):
                        blk = block(basis, i, blen)
                        if k % 5 == 4:
                            literal(blk, len(blk))
                        else:
                            ok(lib.ur_cz_enc_match(enc, i, blk, ctypes.c_size_t(len(blk)),
                                                   ctypes.byref(wb)))
                    literal(basis[60000:90000], 32768)
                    data = b_new
                elif name == b'noise':
                    literal(noise, 1000)
                    data = noise
                else:
                    literal(text, 32768)
                    data = text
                self.write_ndx(ndx)
                self.w.send(iflags.to_bytes(2, 'little') + head)
                self.w.send(take())
                self.w.send(hashlib.md5(data).digest())
            self.stats()
            ndx = self.read_ndx()
            if self.proto >= 31 and ndx == hp.NDX_DONE:
                self.write_ndx(hp.NDX_DONE)
                self.read_ndx()
            self.w.flush()
            self.finished = True

    sys.argv = ['peer.py', 'compress'] + sys.argv[sys.argv.index('--') + 1:]
    srv = CzServer('compress', sys.argv[2:])
    try:
        srv.pull()
    except Exception as e:
        hp.trace('replay peer exception', repr(e))
        return 1
    if not srv.finished:
        srv.w.hang_up(hp.WAIT)
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--peer':
        return peer(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'build'))
    tmp = tempfile.mkdtemp()
    so = os.path.join(tmp, 'cz.so')
    subprocess.run(['cc', '-shared', '-fPIC', '-O2', '-I' + build, '-I' + os.path.join(ROOT, 'src'),
                    '-I' + ROOT, os.path.join(ROOT, 'src/compress/cz.c'),
                    os.path.join(ROOT, 'src/proto/varint.c'), os.path.join(ROOT, 'src/util/err.c'),
                    '-lz', '-lzstd', '-llz4', '-o', so], check=True)
    failed = 0
    for alg, level, proto, blen in RUNS:
        noise, text, basis, order = contents(blen)
        want = {'noise': noise, 'text': text, 'b': b_content(basis, order, blen)}
        dst = os.path.join(tmp, 'dst-%s-%s-%s-%d' % (alg, level, proto, blen))
        os.mkdir(dst)
        shutil.copy(os.path.join(HERE, 'basis_b'), os.path.join(dst, 'b'))
        os.utime(os.path.join(dst, 'b'), (1000000000, 1000000000))
        lv = level if level is not None else {'zlib': 6, 'zlibx': 6, 'zstd': 3, 'lz4': 0}[alg]
        shell = '%s %s --peer %s %d %d %s --' % (sys.executable, os.path.abspath(__file__), alg,
                                                  lv, blen, so)
        cmd = ['rsync', '-rt', '-z', '--compress-choice=' + alg, '-e', shell]
        if level is not None:
            cmd.append('--compress-level=%d' % level)
        if proto is not None:
            cmd.append('--protocol=%d' % proto)
        if blen != 700:
            cmd.append('--block-size=%d' % blen)
        rc = subprocess.run(cmd + ['host:src/', dst + '/'], capture_output=True, text=True,
                            timeout=120)
        got = {n: open(os.path.join(dst, n), 'rb').read() if os.path.exists(os.path.join(dst, n))
               else None for n in want}
        good = rc.returncode == 0 and got == want
        print('%-6s level %-4s protocol %-4s block %-5d: %s' % (
            alg, level, proto, blen, 'rsync 3.5.0 accepts' if good else 'FAILED'))
        if not good:
            print('  exit %d; %s; wrong: %s' % (rc.returncode, rc.stderr.strip(),
                                              [n for n in want if got[n] != want[n]]))
            failed += 1
    shutil.rmtree(tmp)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
