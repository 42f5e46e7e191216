# SPDX-License-Identifier: GPL-3.0-or-later
"""The harness itself: fakeshell parses like ssh + a login shell, sshd logs
in, and the comparison used by every cell does fail when something differs
(the rsync->rsync cells compare rsync with itself, so their passing alone
proves nothing about the comparison)."""

import dataclasses
import os
import subprocess

import pytest

import remote_harness as rh

# Part of what must pass today, with rsync on both ends: `-k rsync-rsync`.
pytestmark = [pytest.mark.interop, getattr(pytest.mark, "rsync-rsync")]


def _fakeshell(*args):
    r = subprocess.run([rh.FAKESHELL, *args], capture_output=True, text=True, timeout=10,
                       stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout, r.stderr


@pytest.mark.parametrize("opts", [
    [],
    ["-l", "root"],
    ["-lroot", "-p", "22", "-oBatchMode=yes", "-o", "LogLevel=ERROR"],
    ["-4Tx", "-Tp22", "-i", "/nonexistent/key", "-c", "aes128-ctr"],
    ["-l", "root", "--"],
], ids=["none", "l", "attached-values", "bundles", "double-dash"])
def test_fakeshell_drops_options_and_host(opts):
    rc, out, err = _fakeshell(*opts, "some.host", "echo", "ok")
    assert (rc, out, err) == (0, "ok\n", ""), (opts, rc, out, err)


def test_fakeshell_joins_words_for_sh():
    # ssh joins the words with spaces and the far shell parses the result:
    # quoting inside a word is seen by that shell, spacing between words is not.
    rc, out, _ = _fakeshell("host", "printf", "'[%s]\\n'", "a   b", "'c  d'")
    assert (rc, out) == (0, "[a]\n[b]\n[c  d]\n")
    rc, _, _ = _fakeshell("host", "exit", "7")
    assert rc == 7
    rc, _, err = _fakeshell("host")
    assert rc == 255 and "no command" in err


def test_fakeshell_transfers(inputs, tmp_path):
    """rsync -e fakeshell -aH src/ localhost:dst/ copies the tree exactly."""
    subprocess.run(["cp", "-a", str(inputs.seed / "src"), str(tmp_path / "src")], check=True)
    r = subprocess.run([rh.RSYNC, "-e", rh.FAKESHELL, "-aH", "src/", "localhost:dst/"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    a = rh.harness.snapshot(tmp_path / "src", 1 << 62)
    b = rh.harness.snapshot(tmp_path / "dst", 1 << 62)
    assert not rh.harness.diff_trees(a, b, "src", "dst")


@pytest.mark.ssh
def test_sshd_login(sshd):
    r = subprocess.run([*sshd.split(), "127.0.0.1", "echo", "$HOME"], capture_output=True,
                       text=True, timeout=30, stdin=subprocess.DEVNULL,
                       env=rh.harness.base_env())
    assert (r.returncode, r.stdout, r.stderr) == (0, "/root\n", "")


def _problems(ref, got):
    return "\n".join(rh.compare(ref, got))


def test_comparison_can_fail(inputs, shells, references):
    """Every check in compare() must fire on a planted difference."""
    opts, dest = "-av", "stale"
    ref = references.cell(shells, "push", "fakeshell", opts, dest)
    got = rh.run_cell(inputs, shells, "push", "fakeshell", "rsync", "rsync", opts, dest,
                      name="sanity-push-fakeshell")
    assert rh.compare(ref, got) == []
    assert got.dst and got.stdout_lines, "the run produced nothing to compare"

    # Exit code.
    assert "exit code" in _problems(ref, dataclasses.replace(got, rc=23))
    # stdout: an extra line, a missing line, a changed name.
    assert "stdout differs" in _problems(ref, dataclasses.replace(got, out=got.out + "extra\n"))
    lines = got.out.splitlines(keepends=True)
    name_line = next(i for i, x in enumerate(lines) if x.startswith("a.txt"))
    assert "stdout differs" in _problems(
        ref, dataclasses.replace(got, out="".join(lines[:name_line] + lines[name_line + 1:])))
    assert "stdout differs" in _problems(
        ref, dataclasses.replace(got, out=got.out.replace("a.txt", "A.txt")))
    # stderr: the program name is normalised, the message is not.
    err_ref = dataclasses.replace(
        ref, err="rsync: [sender] link_stat \"/x\" failed: No such file or directory (2)\n")
    same = dataclasses.replace(
        got, err="ursync: [sender] link_stat \"/x\" failed: No such file or directory (2)\n")
    assert "stderr" not in _problems(err_ref, same)
    other_role = dataclasses.replace(
        got, err="ursync: [receiver] link_stat \"/x\" failed: No such file or directory (2)\n")
    assert "stderr differs" in _problems(err_ref, other_role)
    assert "stderr differs" in _problems(ref, dataclasses.replace(got, err="rsync: oops\n"))

    # Trees: one nanosecond, one mode bit, one byte, one missing entry, one
    # link count, one owner.
    e = got.dst["a.txt"]
    for change in (dict(mtime=e.mtime + 1), dict(mode=e.mode | 0o001), dict(digest="0" * 64),
                   dict(nlink=2), dict(uid=1), dict(kind="l", target="a.txt")):
        dst = dict(got.dst, **{"a.txt": dataclasses.replace(e, **change)})
        assert "destination trees differ" in _problems(ref, dataclasses.replace(got, dst=dst)), change
    dst = {k: v for k, v in got.dst.items() if k != "names/new\nline"}
    assert len(dst) == len(got.dst) - 1
    assert "destination trees differ" in _problems(ref, dataclasses.replace(got, dst=dst))
    # A temporary file left behind.
    dst = dict(got.dst, **{"sub/.b.bin.Ab12Cd": got.dst["sub/b.bin"]})
    assert "left temporary files" in _problems(ref, dataclasses.replace(got, dst=dst))
    # The source changed.
    src = dict(got.src_after, **{"a.txt": dataclasses.replace(got.src_after["a.txt"], mode=0o600)})
    assert "changed the source tree" in _problems(ref, dataclasses.replace(got, src_after=src))

    # And on disk, through a real snapshot: a 1 ns mtime change in dst.
    p = got.wd / "dst" / "sub" / "deeper" / "c.bin"
    st = os.lstat(p)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    snap = rh.harness.snapshot(got.wd / "dst", 1 << 62)
    ref_snap = rh.harness.snapshot(ref.wd / "dst", 1 << 62)
    assert [x for x in rh.harness.diff_trees(ref_snap, snap) if "c.bin" in x]


def test_deliberately_different_tree_fails_the_cell(inputs, shells, references):
    """A whole cell run that really leaves a different tree (the same
    push with -a --no-D: no fifo, no devices) fails the comparison with a
    readable assertion, not a harness error."""
    ref = references.cell(shells, "push", "fakeshell", "-a", "fresh")
    got = rh.run_cell(inputs, shells, "push", "fakeshell", "rsync", "rsync", "-a --no-D",
                      "fresh", name="sanity-no-devices")
    with pytest.raises(AssertionError) as e:
        rh.assert_same(ref, got, "sanity")
    msg = str(e.value)
    assert "destination trees differ" in msg and "'fifo': only in rsync->rsync" in msg, msg
