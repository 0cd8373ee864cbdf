"""The sim's host doubles (modules/camserver/device/*_host.py) against the pinned
micropython-esp32-esp32-generic-s3-stubs (requirements-stubs.txt, in build/typings): every name a
double offers, other than its SIM_ONLY ones, is a name of the module it stands in for, and every
call the stub allows (each overload, each number of optional arguments, each keyword) binds to the
double, while the
double takes nothing the stub does not. So the sim cannot call the board's modules in a way the
board would refuse, and a double cannot drift from the real API unnoticed."""

import ast

import pytest
from fwtools import ROOT

DOUBLES = ROOT / "modules" / "camserver" / "device"
STUBS = ROOT / "build" / "typings"  # (`make typings`, which make lint and make test run first)


def parse(path):
    return ast.parse(path.read_text(), str(path))


def stub(module):
    path = STUBS / (module + ".pyi")
    assert path.exists(), "%s.pyi is not in the pinned stubs (make typings)" % module
    return parse(path)


def _assigned(node):
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    return []


def members(body):
    """name -> [FunctionDef...] for functions, ClassDef for classes, "const" for assigned names."""
    out = {}
    for node in body:
        if isinstance(node, ast.FunctionDef):
            out.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.ClassDef):
            out[node.name] = node
        else:
            for name in _assigned(node):
                out.setdefault(name, "const")
    return out


def public(names):
    return {name: value for name, value in names.items() if not name.startswith("_") or name == "__init__"}


class Shape:
    """What calls a signature accepts: positional counts, keyword names, *args and **kwargs."""

    def __init__(self, fn, in_class):
        args = fn.args
        positional = args.posonlyargs + args.args
        decorators = {getattr(d, "id", None) for d in fn.decorator_list}
        if in_class and "staticmethod" not in decorators and positional:
            positional = positional[1:]  # self / cls
        self.name = fn.name
        self.min = len(positional) - len(args.defaults)
        self.max = len(positional)
        self.by_keyword = [a.arg for a in args.args if a in positional]
        self.kwonly = [a.arg for a in args.kwonlyargs]
        self.kwonly_required = [
            a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None
        ]
        self.varargs = args.vararg is not None
        self.varkw = args.kwarg is not None

    def accepts(self, n, keywords=()):
        if n < self.min or (n > self.max and not self.varargs):
            return False
        if any(k not in self.kwonly + self.by_keyword[n:] and not self.varkw for k in keywords):
            return False
        return all(k in keywords for k in self.kwonly_required)


def check_function(where, double_fns, stub_fns, in_class, stub_in_class):
    """Every call of every stub overload binds to the double; the double takes nothing more."""
    assert len(double_fns) == 1, where
    double = Shape(double_fns[0], in_class)
    overloads = [Shape(fn, stub_in_class) for fn in stub_fns]
    problems = []
    for s in overloads:
        for n in range(s.min, s.max + 1):
            if not double.accepts(n, s.kwonly_required):
                problems.append("%s: %d positional arguments (the stub allows them)" % (where, n))
        for keyword in s.kwonly:
            if not double.accepts(s.min, [keyword, *s.kwonly_required]):
                problems.append("%s: keyword %s (the stub allows it)" % (where, keyword))
        for name in s.by_keyword:  # callers may pass these by name
            if name not in double.by_keyword + double.kwonly and not double.varkw:
                problems.append("%s: parameter %s has another name than the stub's" % (where, name))
    most = max(s.max for s in overloads)
    if not any(s.varargs for s in overloads) and double.max > most:
        problems.append("%s: takes %d positional arguments, the stub at most %d" % (where, double.max, most))
    if not any(s.varkw for s in overloads):
        known = {k for s in overloads for k in s.kwonly + s.by_keyword}
        extra = [k for k in double.kwonly if k not in known]
        if extra:
            problems.append("%s: keywords %s are not the stub's" % (where, extra))
    return problems


def compare(where, double, reference, sim_only=(), in_class=False, stub_in_class=None):
    """double and reference: members() of the double and of the stub (module or class body)."""
    stub_in_class = in_class if stub_in_class is None else stub_in_class
    problems = []
    for name, value in public(double).items():
        if name in sim_only:
            assert name not in reference, "%s.%s is the stub's, not sim-only" % (where, name)
            continue
        if name not in reference:
            problems.append("%s.%s is not in the stub" % (where, name))
            continue
        theirs = reference[name]
        if isinstance(value, list):
            constructor = isinstance(theirs, ast.ClassDef)
            if constructor:  # a factory standing for a class: its constructor
                theirs = members(theirs.body).get("__init__", [])
            if not isinstance(theirs, list) or not theirs:
                problems.append("%s.%s is a function, not in the stub" % (where, name))
                continue
            both = (in_class, constructor or stub_in_class)
            problems += check_function("%s.%s" % (where, name), value, theirs, *both)
        elif isinstance(value, ast.ClassDef):
            if not isinstance(theirs, ast.ClassDef):
                problems.append("%s.%s is a class, not in the stub" % (where, name))
                continue
            problems += compare("%s.%s" % (where, name), members(value.body), members(theirs.body), (), True)
        elif theirs != "const" and not isinstance(theirs, ast.ClassDef):
            problems.append("%s.%s is a constant, not in the stub" % (where, name))
    for name in sim_only:
        assert name in double, "%s.%s is listed as sim-only but not defined" % (where, name)
    return problems


def sim_only(tree):
    """The names a double's SIM_ONLY lists (its own world, not the module's), and SIM_ONLY."""
    names = ["SIM_ONLY"]
    for node in tree.body:
        if "SIM_ONLY" in _assigned(node) or getattr(getattr(node, "target", None), "id", "") == "SIM_ONLY":
            names += [n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant)]
    return tuple(names)


def classes(tree):
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def test_the_machine_double_is_machine():
    tree = parse(DOUBLES / "machine_host.py")
    assert compare("machine_host", members(tree.body), members(stub("machine").body), sim_only(tree)) == []


def test_the_esp32_double_is_esp32():
    tree = parse(DOUBLES / "esp32_host.py")
    reference = members(stub("esp32").body)
    double = members(tree.body)
    partition = classes(parse(DOUBLES / "partition_host.py"))["Partition"]
    double["Partition"] = partition  # (imported from partition_host)
    assert compare("esp32_host", double, reference, sim_only(tree)) == []


def test_the_network_double_is_network():
    tree = parse(DOUBLES / "network_host.py")
    reference = members(stub("network").body)
    found = classes(tree)
    world = found["SimNet"]
    # SimNet is the module: its methods are network's functions (WLAN() builds an interface).
    body = members(world.body)
    body.pop("__init__")  # (the world's own constructor)
    assert compare("SimNet", body, reference, sim_only(tree)[1:], True, False) == []
    wlan = members(reference["WLAN"].body)
    for iface in ("_Sta", "_Ap"):
        body = members(found["_Iface"].body)
        body.update(members(found[iface].body))
        body.pop("__init__")  # (built by SimNet.WLAN, checked above as WLAN's constructor)
        assert compare(iface, body, wlan, (), True) == []


@pytest.mark.parametrize(
    "double, problem",
    [
        ("def reset(hard):\n    pass\n", "takes 1 positional arguments"),
        (
            "def reset_cause():\n    pass\ndef soft_reset_now():\n    pass\n",
            "soft_reset_now is not in the stub",
        ),
        ("class WDT:\n    def __init__(self, id=0, timeout=5000):\n        pass\n", "positional arguments"),
        ("class WDT:\n    def __init__(self, *, id=0):\n        pass\n", "keyword timeout"),
    ],
)
def test_the_comparison_finds_a_drifted_double(double, problem):
    problems = compare("machine_host", members(ast.parse(double).body), members(stub("machine").body))
    assert any(problem in p for p in problems), problems
