# SPDX-License-Identifier: GPL-3.0-or-later
"""Symlinks planted in the destination that point outside it are never
followed for writing: each is replaced (or deleted) the way rsync 3.5.0
does, and the victim directory beside the destination stays as it was."""

import pytest

VICTIM = {"victim/keep.txt": "precious\n", "victim/file.txt": "victim's file\n",
          "victim/sub/f": "victim's f\n"}


def planted(t):
    for rel, data in VICTIM.items():
        t.file(rel, data)
    t.file("src/file.txt", "new content from the source\n")
    t.file("src/sub/f", "source f\n")
    t.file("src/sub/g", "source g\n")
    t.dir("dst")
    # Planted: a directory name and a file name that lead out of dst.
    t.symlink("dst/sub", "../victim/sub")
    t.symlink("dst/file.txt", "../victim/file.txt")
    t.symlink("dst/extra", "../victim")
    t.symlink("dst/abs", "/etc")


def victim_untouched(res):
    for rel, data in VICTIM.items():
        entry = res.tree.get(rel)
        assert entry is not None and entry.kind == "f", f"{rel} gone in {res.prog}"
    assert set(r for r in res.tree if r.startswith("victim/")) == {
        "victim/keep.txt", "victim/file.txt", "victim/sub", "victim/sub/f"}


@pytest.mark.parametrize("opts", [
    ["-a"], ["-ai"], ["-a", "--inplace"], ["-a", "--delete"], ["-a", "--delete-after"],
    ["-a", "--partial"], ["-r"], ["-a", "--force"],
])
def test_planted_symlinks_not_followed(rr, opts):
    ref, ours = rr.check([*opts, "src/", "dst/"], planted)
    victim_untouched(ref)
    victim_untouched(ours)
    # The victim's files keep their bytes: compare digests with rsync's side.
    for rel in VICTIM:
        assert ours.tree[rel].digest == ref.tree[rel].digest
