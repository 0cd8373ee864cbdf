"""The camera server under `valgrind --tool=callgrind`: instructions per operation.

Wall-clock time on a shared x86 machine says little about a 240 MHz ESP32-S3 core;
the number of instructions the MicroPython VM executes for a request or a frame is
deterministic and carries over. CallgrindServer is a SimServer whose MicroPython
runs under callgrind; zero() and dump() bracket a phase through callgrind_control,
and Dump reads a dump's total and its costliest C functions. Used by `make cost`
(bench/cost.py) and the short budget check in `make test`
(tests/server/test_cost.py).
"""

import os
import subprocess
import time

from simserver import ROOT, SimServer

OUT = os.path.join(ROOT, "build", "cost")


class Dump:
    """One callgrind dump: `total` instructions (Ir), the self cost of each function and how
    often each was called."""

    def __init__(self, path):
        self.path = path
        self.total = 0
        self.self_cost = {}
        self.call_cost = {}  # what each function's calls cost (inclusive = self + this)
        self.call_count = {}  # calls into each function, from every caller
        self._parse()

    def _parse(self):
        # The callgrind format compresses names: "fn=(12) name" defines id 12, "fn=(12)"
        # reuses it. A cost line after "calls=" is the callee's inclusive cost, not the
        # caller's own, so it is skipped (callgrind_annotate 3.19 counts it as self cost
        # when the call started before the counters were zeroed, which is every phase here).
        names = {}
        current = None
        callee = None
        after_call = False
        costs = self.self_cost
        with open(self.path) as f:
            for line in f:
                head = line[:1]
                if head.isdigit() or head in "+-*":
                    parts = line.split()
                    if len(parts) < 2 or current is None:
                        continue
                    into = self.call_cost if after_call else costs
                    into[current] = into.get(current, 0) + int(parts[1])
                    after_call = False
                elif line.startswith("fn="):
                    current = _name(line[3:].strip(), names)
                elif line.startswith("cfn="):
                    callee = _name(line[4:].strip(), names)  # callees share the id space
                elif line.startswith("calls="):
                    after_call = True
                    # "calls=COUNT TARGET": how often the cfn= before it was called from here.
                    count = int(line[6:].split()[0])
                    self.call_count[callee] = self.call_count.get(callee, 0) + count
                elif line.startswith("summary:"):
                    self.total = int(line.split()[1])

    def top(self, count=12):
        """[(instructions, function)] for the count costliest functions by self cost."""
        rows = sorted(((cost, name) for name, cost in self.self_cost.items()), reverse=True)
        return rows[:count]

    def calls(self, name):
        """How often name was called (its recursive entries, named name'2..., included)."""
        return sum(n for fn, n in self.call_count.items() if fn == name or fn.startswith(name + "'"))

    def inclusive(self, name):
        """What name cost with everything it called (recursive entries are named name'2...)."""
        return self.self_cost.get(name, 0) + self.call_cost.get(name, 0)


def _name(spec, names):
    if spec.startswith("("):
        key, _, name = spec.partition(")")
        name = name.strip()
        if name:
            names[key] = name
        return names.get(key, spec)
    return spec


class CallgrindServer(SimServer):
    """A SimServer running under callgrind. Counting starts at zero() and a phase's
    instructions come from dump() (which also zeroes the counters)."""

    def __init__(self, settings, binary=None, tag="server", out=OUT):
        """out: the folder of the callgrind dumps (a test passes its tmp_path)."""
        out = str(out)
        os.makedirs(out, exist_ok=True)
        self.prefix = os.path.join(out, tag)
        for name in os.listdir(out):
            if name.startswith(tag + "."):
                os.remove(os.path.join(out, name))
        wrap = [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=" + self.prefix + ".%p",
            # The dumps are read per function, never per instruction or jump.
            "--dump-instr=no",
            "--dump-line=no",
        ]
        # Valgrind starts MicroPython (and, for the PyPI binary, CPython around it) slowly.
        super().__init__(settings, binary=binary, wrap=wrap, start_timeout=120)
        self.dumps = 0

    def _control(self, option):
        done = subprocess.run(
            ["callgrind_control", option, str(self.proc.pid)], capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0 or "OK" not in done.stdout:
            raise RuntimeError("callgrind_control %s failed: %s%s" % (option, done.stdout, done.stderr))

    def zero(self):
        """Start a phase: counters to zero. Returns the monotonic time it took effect."""
        self._control("-z")
        return time.monotonic()

    def dump(self):
        """End a phase: (Dump of what ran since zero(), monotonic time of the dump)."""
        self._control("-d")
        at = time.monotonic()
        self.dumps += 1
        path = "%s.%d.%d" % (self.prefix, self.proc.pid, self.dumps)
        deadline = time.monotonic() + 30
        while not os.path.exists(path):  # written by the server process itself
            if time.monotonic() > deadline:
                raise RuntimeError("no callgrind dump %s" % path)
            time.sleep(0.05)
        return Dump(path), at
