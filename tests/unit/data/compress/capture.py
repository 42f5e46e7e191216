#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Capture rsync 3.5.0's compressed token streams for tests/unit/test_compress.c.

Makes src/a (about 100 KB of text: the file without a basis, sent in
32 KiB pieces), src/b and its older version basis_b (the delta file: a
long run of consecutive matches, short literals, a backward jump and a
jump of more than 63 blocks), then pulls src/ with
`rsync -z --compress-choice=ALG [--compress-level=L]` through
tests/unit/data/capture.sh and keeps the server's data stream
(demultiplexed) as ALG[-L].s2c; and zlib-p30.s2c, a protocol-30 delta
with 70000-byte blocks (see the end of main()). Run from the repository root:
    python3 tests/unit/data/compress/capture.py
"""
import os, random, shutil, subprocess, struct, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURE = os.path.join(HERE, '..', 'capture.sh')
RUNS = [('zlib', None), ('zlib', 1), ('zlib', 9), ('zlibx', None), ('zstd', None),
        ('zstd', 1), ('lz4', None)]


def text(rng, n):
    words = [''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(2, 9)))
             for _ in range(400)]
    out = []
    size = 0
    while size < n:
        w = rng.choice(words) + rng.choice(' ' * 8 + '\n,.')
        out.append(w)
        size += len(w)
    return ''.join(out).encode()[:n]


def make_files():
    rng = random.Random(7)
    a = text(rng, 100000)
    basis = text(rng, 120000)
    # b: a moved tail first (backward jump later), a deletion of 40 KB
    # (a jump of more than 63 blocks), short inserts.
    b = (basis[:30000] + text(rng, 500) + basis[30000:50000] + text(rng, 3000) +
         basis[90000:110000] + basis[5000:9000] + text(rng, 100) + basis[110000:])
    for name, data in (('a', a), ('basis_b', basis), ('b', b)):
        with open(os.path.join(HERE, name), 'wb') as f:
            f.write(data)


def demux(raw):
    """The MSG_DATA payloads of the multiplexed part of raw."""
    for start in range(0, 64):
        pos, data, ok = start, bytearray(), True
        while pos < len(raw):
            if pos + 4 > len(raw):
                ok = False
                break
            hdr = struct.unpack('<I', raw[pos:pos + 4])[0]
            tag, n = hdr >> 24, hdr & 0xffffff
            if tag < 7 or tag > 7 + 110 or pos + 4 + n > len(raw):
                ok = False
                break
            if tag == 7:
                data += raw[pos + 4:pos + 4 + n]
            pos += 4 + n
        if ok and data:
            return bytes(data)
    raise SystemExit('no multiplexed stream found')


def main():
    make_files()
    for alg, level in RUNS:
        with tempfile.TemporaryDirectory() as tmp:
            src, dst, cap = (os.path.join(tmp, d) for d in ('src', 'dst', 'cap'))
            os.mkdir(src)
            os.mkdir(dst)
            shutil.copy(os.path.join(HERE, 'a'), os.path.join(src, 'a'))
            shutil.copy(os.path.join(HERE, 'b'), os.path.join(src, 'b'))
            shutil.copy(os.path.join(HERE, 'basis_b'), os.path.join(dst, 'b'))
            os.utime(os.path.join(dst, 'b'), (1000000000, 1000000000))
            cmd = ['rsync', '-rt', '-z', '--compress-choice=' + alg, '-e', CAPTURE]
            if level is not None:
                cmd.append('--compress-level=%d' % level)
            cmd += ['host:' + src + '/', dst + '/']
            subprocess.run(cmd, check=True, env=dict(os.environ, UR_CAPTURE_DIR=cap))
            for n in ('a', 'b'):
                with open(os.path.join(dst, n), 'rb') as f1, open(os.path.join(src, n), 'rb') as f2:
                    assert f1.read() == f2.read()
            with open(os.path.join(cap, 's2c'), 'rb') as f:
                data = demux(f.read())
        name = alg + ('' if level is None else '-%d' % level) + '.s2c'
        with open(os.path.join(HERE, name), 'wb') as f:
            f.write(data)
        print(name, len(data))

    # Protocol 30's zlib history repeats the first 65535 bytes of a longer
    # matched block: file c matches block 0 (70000 bytes) of basis_b and
    # then repeats bytes that sit at the end of that (wrong) history.
    basis = open(os.path.join(HERE, 'basis_b'), 'rb').read()
    c = basis[:70000] + basis[:4000] + basis[60000:70000]
    with tempfile.TemporaryDirectory() as tmp:
        src, dst, cap = (os.path.join(tmp, d) for d in ('src', 'dst', 'cap'))
        os.mkdir(src)
        os.mkdir(dst)
        open(os.path.join(src, 'c'), 'wb').write(c)
        shutil.copy(os.path.join(HERE, 'basis_b'), os.path.join(dst, 'c'))
        os.utime(os.path.join(dst, 'c'), (1000000000, 1000000000))
        subprocess.run(['rsync', '-rt', '-z', '--compress-choice=zlib', '--protocol=30',
                        '--block-size=70000', '-e', CAPTURE, 'host:' + src + '/', dst + '/'],
                       check=True, env=dict(os.environ, UR_CAPTURE_DIR=cap))
        assert open(os.path.join(dst, 'c'), 'rb').read() == c
        data = demux(open(os.path.join(cap, 's2c'), 'rb').read())
    with open(os.path.join(HERE, 'zlib-p30.s2c'), 'wb') as f:
        f.write(data)
    print('zlib-p30.s2c', len(data))


if __name__ == '__main__':
    sys.exit(main())
