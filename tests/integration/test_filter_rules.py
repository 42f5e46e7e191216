# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter rules: what --exclude, --include, --filter, -F, -C, the -from
files, --delete-excluded, --prune-empty-dirs and --files-from select.

One table of scenarios; each runs rsync 3.5.0 and ursync on identical
copies of its input tree and compares trees, itemized output, stderr and
exit codes. The rule files a scenario needs (merge files, lists) are
written by its setup next to src/ so that both programs read the same
relative path. Scenarios run on the default fastio backend only (see the
io_backend fixture below)."""

from dataclasses import dataclass, field

import pytest

import harness
from harness import T0, T1


@pytest.fixture
def io_backend():
    """One fastio backend only: rule selection does not depend on it, and
    running every scenario on both would double the runtime."""
    return "auto"

# --------------------------------------------------------------------------
# Input trees


def code_tree(t, top="src"):
    """A source tree with a bit of everything filters care about: nested
    dirs, hidden names, spaces, wildcard characters in names, empty dirs,
    a file and a directory sharing a name ("build")."""
    t.file(f"{top}/main.c", "int main(void){return 0;}\n")
    t.file(f"{top}/util.h", "#pragma once\n")
    t.file(f"{top}/Makefile", "all:\n")
    t.file(f"{top}/keep.txt", "keep at top\n")
    t.file(f"{top}/notes.txt", "notes\n")
    t.file(f"{top}/a.txt", "a at top\n")
    t.file(f"{top}/a1", "a1\n")
    t.file(f"{top}/b2", "b2\n")
    t.file(f"{top}/Z9", "Z9\n")
    t.file(f"{top}/_x", "underscore\n")
    t.file(f"{top}/9lives", "digit first\n")
    t.file(f"{top}/star*.txt", "a literal star\n")
    t.file(f"{top}/starX.txt", "not a star\n")
    t.file(f"{top}/lit[1].txt", "literal brackets\n")
    t.file(f"{top}/lit1.txt", "no brackets\n")
    t.file(f"{top}/with space.txt", "spaced\n")
    t.file(f"{top}/dir with space/f 1.c", "spaced c\n")
    t.file(f"{top}/dir with space/g.o", "spaced o\n")
    t.file(f"{top}/.hidden", "hidden\n")
    t.file(f"{top}/.config/settings", "k=v\n")
    t.file(f"{top}/lib/a.c", "a\n")
    t.file(f"{top}/lib/a.o", b"\x7fELF-a")
    t.file(f"{top}/lib/b.txt", "b\n")
    t.file(f"{top}/lib/a.txt", "a in lib\n")
    t.file(f"{top}/lib/build", "a file called build\n")
    t.file(f"{top}/lib/deep/x.c", "x\n")
    t.file(f"{top}/lib/deep/y.py", "print('y')\n")
    t.file(f"{top}/lib/deep/z.o", b"\x7fELF-z")
    t.file(f"{top}/lib/deep/keep.txt", "keep deep\n")
    t.dir(f"{top}/lib/emptysub")
    t.file(f"{top}/docs/readme.txt", "read me\n")
    t.file(f"{top}/docs/keep.txt", "keep in docs\n")
    t.file(f"{top}/docs/img/logo.png", b"\x89PNG....")
    t.file(f"{top}/build/out.o", b"\x7fELF-out")
    t.file(f"{top}/build/log.txt", "log\n")
    t.dir(f"{top}/empty")
    t.dir(f"{top}/onlyo/deeper")
    t.file(f"{top}/onlyo/deeper/q.o", b"\x7fELF-q")
    t.symlink(f"{top}/link-to-main", "main.c")
    t.mtime(f"{top}/main.c", T0)
    t.mtime(f"{top}/lib/a.c", T1)


def write(name, text):
    """A setup step that adds one file (a rule file or list) to the seed."""
    def step(t):
        t.file(name, text)
    return step


def tree(*steps):
    """code_tree followed by the given steps."""
    def setup(t):
        code_tree(t)
        for s in steps:
            s(t)
    return setup


def rules_in_dirs(name, per_dir):
    """Per-directory rule files: {dir relative to src: content}."""
    def step(t):
        for d, text in per_dir.items():
            t.file(f"src/{d}/{name}" if d else f"src/{name}", text)
    return step


PER_DIR = {
    "": "- *.o\n",
    "lib": "+ a.o\n- *.txt\n",
    "lib/deep": "!\n- *.py\n",
    "docs": "# anchored to docs/\n- /keep.txt\n\n",
}


def primed(*steps):
    """code_tree copied to dst/ by rsync, then extra names in dst only:
    some match the rules the deletion scenarios use."""
    def setup(t):
        code_tree(t)
        t.rsync("-a", "src/", "dst/")
        t.file("dst/stale.tmp", "stale tmp, only in dst\n")
        t.file("dst/keep.tmp", "keep tmp, only in dst\n")
        t.file("dst/extra.txt", "extra txt\n")
        t.file("dst/extra.keep", "protected?\n")
        t.file("dst/old.keep", "at risk?\n")
        t.file("dst/lib/old.o", b"old object")
        t.file("dst/lib/gone.c", "gone\n")
        t.file("dst/olddir/tmpfile", "only a perishable name inside\n")
        t.file("dst/extradir/deeper/f", "f\n")
        t.dir("dst/extradir/emptyd")
        t.file("dst/build/old.o", b"old build object")
        t.dir("dst/newempty/inner")
        for s in steps:
            s(t)
    return setup


def cvs_tree(t):
    """Names that rsync's built-in -C list covers, and some it does not."""
    t.file("src/foo.c", "c\n")
    t.file("src/foo.o", b"obj")
    t.file("src/core", "core dump\n")
    t.file("src/x.bak", "backup\n")
    t.file("src/x.BAK", "BACKUP\n")
    t.file("src/edit~", "tilde\n")
    t.file("src/#auto#", "autosave\n")
    t.file("src/.#lock", "lock\n")
    t.file("src/lib.so", b"so")
    t.file("src/lib.a", b"ar")
    t.file("src/tags", "tags\n")
    t.file("src/TAGS", "TAGS\n")
    t.file("src/x.orig", "orig\n")
    t.file("src/x.rej", "rej\n")
    t.file("src/x.log", "log\n")
    t.file("src/keepme", "keep me\n")
    t.file("src/README", "readme\n")
    t.file("src/.git/config", "[core]\n")
    t.file("src/.git/objects/ab/cdef", b"blob")
    t.file("src/.svn/entries", "svn\n")
    t.file("src/CVS/Root", "cvs\n")
    t.file("src/RCS/x,v", "rcs\n")
    t.file("src/sub/a.c", "a\n")
    t.file("src/sub/a.o", b"obj")
    t.file("src/sub/run.log", "log\n")
    t.file("src/sub/keepme", "keep me too\n")
    t.file("src/sub/data.dat", "dat\n")
    t.file("src/sub/deeper/b.log", "deeper log\n")
    t.file("src/sub/deeper/b.dat", "deeper dat\n")
    t.file("src/sub/.cvsignore", "*.log keepme\n")
    t.file("src/sub/deeper/.cvsignore", "*.dat\n")
    t.file("src/other/c.log", "log in other\n")


def cvs_primed(t):
    cvs_tree(t)
    t.rsync("-a", "src/", "dst/")
    t.file("dst/extra.o", b"extra object")
    t.file("dst/extra.txt", "extra\n")
    t.file("dst/olddir/core", "old core\n")
    t.file("dst/sub/old.log", "old log\n")


def files_list(text, name="list"):
    return tree(write(name, text))


# --------------------------------------------------------------------------
# The table


@dataclass
class S:
    id: str
    opts: list
    setup: object = code_tree
    ops: list = field(default_factory=lambda: ["src/", "dst/"])
    env: dict = None
    stdin: bytes = None
    stderr: str = "text"
    base: str = "-ai"
    tree: bool = True  # False where rsync's own result races (it dies mid-walk)


LONG = "a" * (100 * 1024)

SCENARIOS = [
    # ---- --exclude / --include: pattern syntax
    S("exclude-plain-name", ["--exclude=a.o"]),
    S("exclude-plain-name-everywhere", ["--exclude=keep.txt"]),
    S("exclude-star", ["--exclude=*.o"]),
    S("exclude-star-matches-dirs-too", ["--exclude=*ib"]),
    S("exclude-path-with-slash", ["--exclude=lib/*.c"]),
    S("exclude-inner-slash-trailing-components", ["--exclude=deep/*.c"]),
    S("exclude-doublestar-contents", ["--exclude=lib/**"]),
    S("exclude-doublestar-leading", ["--exclude=**/deep/*.c"]),
    S("exclude-doublestar-mid", ["--exclude=lib/**.txt"]),
    S("exclude-question", ["--exclude=?2"]),
    S("exclude-question-no-slash", ["--exclude=lib?a.c"]),
    S("exclude-class", ["--exclude=[ab]*"]),
    S("exclude-class-range", ["--exclude=[a-c][0-9]"]),
    S("exclude-class-alpha-digit", ["--exclude=[[:alpha:]][[:digit:]]"]),
    S("exclude-class-negated-bang", ["--exclude=[!a]*.txt"]),
    S("exclude-class-negated-caret-class", ["--exclude=[^[:lower:]]*"]),
    S("exclude-class-malformed-matches-nothing", ["--exclude=[a-"]),
    S("exclude-escaped-star", ["--exclude=star\\*.txt"]),
    S("exclude-escaped-brackets", ["--exclude=lit\\[1\\].txt"]),
    S("exclude-literal-brackets-no-escape", ["--exclude=lit[1].txt"]),
    S("exclude-anchored", ["--exclude=/a.txt"]),
    S("exclude-anchored-path", ["--exclude=/lib/deep"]),
    S("exclude-unanchored-path-nomatch-top", ["--exclude=deep/y.py"]),
    S("exclude-dir-only", ["--exclude=build/"]),
    S("exclude-no-dir-slash-matches-file-and-dir", ["--exclude=build"]),
    S("exclude-triple-star-dir-and-contents", ["--exclude=lib/***"]),
    S("exclude-all-dirs", ["--exclude=*/"]),
    S("exclude-hidden", ["--exclude=.*"]),
    S("exclude-names-with-spaces", ["--exclude=with space.txt", "--exclude=dir with space/"]),
    S("include-triple-star-then-exclude-all", ["--include=lib/***", "--exclude=*"]),
    S("include-dir-no-contents", ["--include=lib/", "--exclude=*"]),
    S("include-first-match-wins", ["--include=keep.txt", "--exclude=*.txt"]),
    S("exclude-first-match-wins", ["--exclude=*.txt", "--include=keep.txt"]),
    S("include-c-only-idiom", ["--include=*/", "--include=*.c", "--exclude=*"]),
    S("include-anchored-path-idiom",
      ["--include=/lib/", "--include=/lib/deep/", "--include=/lib/deep/***", "--exclude=*"]),
    S("exclude-old-style-plus-prefix", ["--exclude=+ keep.txt", "--exclude=*.txt"]),
    S("include-old-style-minus-prefix", ["--include=- *.o", "--include=*.c", "--exclude=*.?"]),
    S("exclude-bang-clears", ["--exclude=*.c", "--exclude=!", "--exclude=*.o"]),
    S("exclude-matches-nothing", ["--exclude=nothing-like-this*"]),
    S("exclude-verbose", ["--exclude=*.o", "--exclude=docs/"], base="-av"),
    S("exclude-source-without-slash", ["--exclude=/src/lib", "--exclude=main.c"],
      ops=["src", "dst/"]),

    # ---- --filter: rule names, modifiers, separators
    S("filter-short-minus", ["-f", "- *.o"]),
    S("filter-short-plus", ["-f", "+ *.c", "-f", "- *.?"]),
    S("filter-long-exclude-include", ["--filter=include keep.txt", "--filter=exclude *.txt"]),
    S("filter-underscore-separator", ["--filter=-_*.o", "--filter=exclude_*.txt"]),
    S("filter-comma-after-short", ["--filter=-, *.o"]),
    S("filter-bang-modifier-non-dirs", ["-f", "-! */"]),
    S("filter-bang-modifier-keep-c", ["-f", "+ */", "-f", "-! *.c"]),
    S("filter-abs-path-modifier", ["-f", "-/ /**/src/lib/*.c"]),
    S("filter-C-modifier-rule", ["-f", "-C"], setup=cvs_tree),
    S("filter-x-modifier-ignored-for-files", ["-f", "-x *.o"]),
    S("filter-clear-short", ["-f", "- *.c", "-f", "!", "-f", "- *.o"]),
    S("filter-clear-long", ["-f", "- *.c", "-f", "clear", "-f", "- *.txt"]),
    S("filter-hide-show", ["-f", "S keep.txt", "-f", "H *.txt"]),
    S("filter-hide-show-long", ["-f", "show keep.txt", "-f", "hide *.txt"]),
    S("filter-protect-risk-no-delete", ["-f", "P *.o", "-f", "R *.c"]),
    S("filter-merge-short", ["-f", ". rules"],
      setup=tree(write("rules", "+ keep.txt\n- *.txt\n# comment\n\nhide *.o\n"))),
    S("filter-merge-long", ["--filter=merge rules"],
      setup=tree(write("rules", "; comment\ninclude */\ninclude *.c\nexclude *\n"))),
    S("filter-merge-plus-bare", ["-f", "merge,+ incl", "-f", "- *.txt"],
      setup=tree(write("incl", "keep.txt\n# not a rule\nreadme.txt\n"))),
    S("filter-merge-minus-bare", ["-f", ".- excl"],
      setup=tree(write("excl", "*.o\n+ not-a-prefix-here\n.hidden\n"))),
    S("filter-merge-word-split", ["-f", ".-w words"],
      setup=tree(write("words", "*.o  *.txt\t.hidden\n"))),
    S("filter-merge-C", ["-f", ".C ign"], setup=tree(write("ign", "*.txt lib\n"))),
    S("filter-merge-e", ["-f", ".e src/rules.e"],
      setup=tree(write("src/rules.e", "- *.o\n"))),
    S("filter-merge-n", ["-f", "merge,n rules"],
      setup=tree(write("rules", "- *.o\n- /docs/\n"))),
    S("filter-merge-nested", ["-f", ". rules1"],
      setup=tree(write("rules1", "- *.o\n. rules2\n"), write("rules2", "- *.txt\n"))),
    S("filter-dir-merge", ["--filter=dir-merge .rules"],
      setup=tree(rules_in_dirs(".rules", PER_DIR))),
    S("filter-dir-merge-colon", ["-f", ": .rules"],
      setup=tree(rules_in_dirs(".rules", PER_DIR))),
    S("filter-dir-merge-n", ["-f", ":n .rules"],
      setup=tree(rules_in_dirs(".rules", PER_DIR))),
    S("filter-dir-merge-e", ["-f", ":e .rules"],
      setup=tree(rules_in_dirs(".rules", PER_DIR))),
    S("filter-dir-merge-minus-bare", ["-f", ":- .ignore"],
      setup=tree(rules_in_dirs(".ignore", {"": "*.o\n", "lib": "*.txt\n/deep/x.c\n"}))),
    S("filter-dir-merge-plus-bare", ["-f", ":+ .want", "-f", "- *.txt"],
      setup=tree(rules_in_dirs(".want", {"": "keep.txt\n", "docs": "readme.txt\n"}))),
    S("filter-dir-merge-C", ["-f", ":C"], setup=cvs_tree),
    S("filter-dir-merge-w-minus", ["-f", ":w- .words"],
      setup=tree(rules_in_dirs(".words", {"": "*.o a1\n", "lib": "a.c b.txt  *.py\n"}))),
    S("filter-dir-merge-long-modifiers", ["--filter=dir-merge,-n .ign"],
      setup=tree(rules_in_dirs(".ign", {"": "*.txt\n", "lib": "*.o\n"}))),
    S("filter-dir-merge-self-reference", ["-f", ": .rules"],
      setup=tree(rules_in_dirs(".rules", {"": ": .rules\n- *.o\n", "lib": "- *.c\n"}))),
    S("filter-dir-merge-nested-name", ["-f", ": .rules"],
      setup=tree(rules_in_dirs(".rules", {"": "- *.o\n: .more\n"}),
                 rules_in_dirs(".more", {"lib": "- b.txt\n", "docs": "- *.png\n"}))),

    # ---- -F and .rsync-filter
    S("F-levels", ["-F"], setup=tree(rules_in_dirs(".rsync-filter", PER_DIR))),
    S("FF-levels-hide-filter-files", ["-FF"], setup=tree(rules_in_dirs(".rsync-filter", PER_DIR))),
    S("F-F-separate", ["-F", "-F"], setup=tree(rules_in_dirs(".rsync-filter", PER_DIR))),
    S("F-inner-n-and-e", ["-F"],
      setup=tree(rules_in_dirs(".rsync-filter", {
          "": "dir-merge,n .local\n:e .more\n- *.o\n",
          "lib": "- b.txt\n",
      }), rules_in_dirs(".local", {"": "- notes.txt\n", "lib": "- a.txt\n"}),
          rules_in_dirs(".more", {"": "- Z9\n", "docs": "- readme.txt\n"}))),
    S("F-parent-dir-scan", ["-F"],
      setup=tree(write(".rsync-filter", "- *.o\n- /src/docs/\n"))),
    S("F-source-without-slash", ["-F"], ops=["src", "dst/"],
      setup=tree(rules_in_dirs(".rsync-filter", PER_DIR))),
    S("F-with-delete", ["-F", "--delete"],
      setup=primed(rules_in_dirs(".rsync-filter", {"": "- *.tmp\nP *.keep\n", "lib": "- *.o\n"}))),
    S("F-with-delete-excluded", ["-F", "--delete-excluded"],
      setup=primed(rules_in_dirs(".rsync-filter", {"": "- *.tmp\nP *.keep\n", "lib": "- *.o\n"}))),

    # ---- --exclude-from / --include-from / --from0
    S("exclude-from-comments-blank-lines", ["--exclude-from=ex.list"],
      setup=tree(write("ex.list", "# comment\n; also a comment\n\n*.o\n+ keep.txt\n- *.txt\n\n"))),
    S("exclude-from-crlf", ["--exclude-from=ex.list"],
      setup=tree(write("ex.list", "*.o\r\n*.py\r\n"))),
    S("include-from-then-exclude-all", ["--include-from=in.list", "--exclude=*"],
      setup=tree(write("in.list", "# includes\n*/\n\n*.c\n"))),
    S("exclude-from-stdin", ["--exclude-from=-"], stdin=b"*.o\n# c\n- docs/\n"),
    S("include-from-stdin", ["--include-from=-", "--exclude=*"], stdin=b"*/\n*.c\n"),
    S("from0-exclude-from", ["--from0", "--exclude-from=ex0"],
      setup=tree(write("ex0", "*.o\0with space.txt\0+ keep.txt\0*.txt\0"))),
    S("from0-filter-merge", ["--from0", "-f", ". rules0"],
      setup=tree(write("rules0", "- *.o\0- dir with space/\0"))),

    # ---- -C / --cvs-exclude
    S("cvs-default", ["-C"], setup=cvs_tree),
    S("cvs-long-verbose", ["--cvs-exclude"], setup=cvs_tree, base="-av"),
    S("cvs-env-CVSIGNORE", ["-C"], setup=cvs_tree, env={"CVSIGNORE": "*.c README"}),
    S("cvs-env-CVSIGNORE-clear", ["-C"], setup=cvs_tree, env={"CVSIGNORE": "! *.c"}),
    S("cvs-home-cvsignore", ["-C"], env={"HOME": "."},
      setup=lambda t: (cvs_tree(t), t.file(".cvsignore", "README *.dat\n"))),
    S("cvs-include-before-list", ["--include=core", "-C"], setup=cvs_tree),
    S("cvs-with-delete", ["-C", "--delete"], setup=cvs_primed),
    S("cvs-with-delete-excluded", ["-C", "--delete", "--delete-excluded"], setup=cvs_primed),

    # ---- deletion interplay
    S("delete-excluded-are-protected", ["--delete", "--exclude=*.tmp", "--exclude=lib/*.o"],
      setup=primed()),
    S("delete-excluded-deleted", ["--delete-excluded", "--exclude=*.tmp", "--exclude=*.o"],
      setup=primed()),
    S("delete-excluded-with-protect", ["--delete-excluded", "-f", "P keep.tmp", "--exclude=*.tmp"],
      setup=primed()),
    S("delete-protect", ["--delete", "-f", "P *.keep"], setup=primed()),
    S("delete-risk-before-exclude", ["--delete", "-f", "R old.keep", "--exclude=*.keep"],
      setup=primed()),
    S("delete-protect-risk-long", ["--delete", "--filter=risk old.keep", "--filter=protect *.keep"],
      setup=primed()),
    S("delete-hide", ["--delete", "-f", "H *.txt"], setup=primed()),
    S("delete-show-hide", ["--delete", "-f", "S keep.txt", "-f", "H *.txt"], setup=primed()),
    S("delete-sender-side-modifier", ["--delete", "-f", "-s *.o"], setup=primed()),
    S("delete-receiver-side-modifier", ["--delete", "-f", "-r *.o"], setup=primed()),
    S("delete-perishable", ["--delete", "-f", "-p tmpfile"], setup=primed()),
    S("delete-not-perishable", ["--delete", "-f", "- tmpfile"], setup=primed()),
    S("delete-excluded-dir", ["--delete", "--exclude=extradir/"], setup=primed()),
    S("delete-after-verbose", ["--delete-after", "--exclude=*.keep"], setup=primed(), base="-av"),
    S("delete-prune-empty", ["--delete", "-m", "--include=*/", "--include=*.c", "--exclude=*"],
      setup=primed()),

    # ---- --prune-empty-dirs
    S("prune-plain", ["-m"]),
    S("prune-exclude-o", ["--prune-empty-dirs", "--exclude=*.o"]),
    S("prune-include-idiom", ["-m", "--include=*/", "--include=*.txt", "--exclude=*"]),
    S("prune-protect-dir-kept", ["-m", "--include=*/", "--include=*.c", "--exclude=*",
                                 "--include=empty/"]),

    # ---- --files-from
    S("files-from", ["--files-from=list"],
      setup=files_list("main.c\nlib/a.c\nlib/deep/x.c\ndocs\ndir with space/f 1.c\n")),
    S("files-from-recursive", ["-r", "--files-from=list"],
      setup=files_list("lib/deep\ndocs/\nkeep.txt\n")),
    S("files-from-comments", ["--files-from=list"],
      setup=files_list("# a comment\n\n; another\nmain.c\n./util.h\nlib/../a1\n")),
    S("files-from-no-relative", ["--no-relative", "--files-from=list"],
      setup=files_list("main.c\nlib/a.c\nlib/deep/x.c\n")),
    S("files-from-with-exclude", ["-r", "--files-from=list", "--exclude=*.o"],
      setup=files_list("lib\nbuild\n")),
    S("files-from-from0", ["--from0", "--files-from=list0"],
      setup=files_list("main.c\0with space.txt\0lib/deep/y.py\0", name="list0")),
    S("files-from-stdin", ["--files-from=-"], stdin=b"main.c\nlib/b.txt\n"),
    S("files-from-missing-entry", ["--files-from=list"],
      setup=files_list("main.c\nno-such-file\n")),

    # ---- bad input
    S("bad-unknown-prefix", ["--filter=x foo"], stderr="class"),
    S("bad-short-long-name", ["--filter=s foo"], stderr="class"),
    S("bad-modifier", ["--filter=-z foo"], stderr="class"),
    S("bad-merge-modifier-on-plain-rule", ["--filter=-e foo"], stderr="class"),
    S("bad-clear-trailing", ["--filter=! foo"], stderr="class"),
    S("bad-no-pattern", ["--filter=-"], stderr="class"),
    S("bad-merge-missing", ["--filter=merge no-such-rules"], stderr="class"),
    S("dir-merge-missing-is-fine", ["--filter=dir-merge .no-such-rules"], stderr="class"),
    S("bad-exclude-from-missing", ["--exclude-from=no-such-list"], stderr="class"),
    S("bad-files-from-missing", ["--files-from=no-such-list"], stderr="class"),
    S("bad-merge-includes-itself", ["-f", ". loop.rules"],
      setup=tree(write("loop.rules", "- *.o\n. loop.rules\n")), stderr="class"),
    S("bad-sided-rule-in-sided-merge", ["-f", "merge,s sided"],
      setup=tree(write("sided", "H *.o\n")), stderr="class"),
    S("bad-rule-in-top-dir-merge-file", ["-F"],
      setup=tree(rules_in_dirs(".rsync-filter", {"": "x nonsense\n"})), stderr="class"),
    # The sender dies on reaching lib/; how much the receiver made by then varies.
    S("bad-rule-in-deeper-dir-merge-file", ["-F"],
      setup=tree(rules_in_dirs(".rsync-filter", {"lib": "x nonsense\n"})), stderr="class",
      tree=False),
    S("long-pattern-100k", [f"--exclude={LONG}"], stderr="class"),
    S("long-line-in-merge-file", ["-f", ". long.rules"],
      setup=tree(write("long.rules", f"- {LONG}\n- *.o\n")), stderr="class"),
]


@pytest.mark.parametrize("sc", SCENARIOS, ids=lambda s: s.id)
def test_filter(rr, sc, monkeypatch):
    if sc.stdin is not None:
        # run_both gives the programs /dev/null; feed both the same bytes.
        feed = rr.ws.base / "stdin-data"
        feed.write_bytes(sc.stdin)
        orig = harness.run_prog

        def run_fed(*a, **kw):
            with open(feed, "rb") as f:
                kw["stdin"] = f
                return orig(*a, **kw)

        monkeypatch.setattr(harness, "run_prog", run_fed)
    rr.check([sc.base, *sc.opts, *sc.ops], sc.setup, env=sc.env, stderr=sc.stderr,
             stdout="sorted" if sc.tree else "ignore", tree=sc.tree)


def test_scenario_ids_unique():
    ids = [s.id for s in SCENARIOS]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 70
