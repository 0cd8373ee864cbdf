"""No import cycle between the packages of modules/camserver.

The folders are the layers (transport, http, security, app, rtsp, device, ...); a cycle between
two of them means neither can be read, tested or replaced without the other. This reads every
import in the frozen tree with Python's ast (module level and inside functions alike: a deferred
import is still an edge), maps each module to its package (camserver.app, camserver.device, ...;
a top-level module such as camserver.server, camserver.settings or camserver.log is a node of
its own) and fails on the first cycle found, printing it.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "modules"
PACKAGE = "camserver"


def node_of(module):
    """The graph node a dotted module name belongs to: camserver.app.hub -> camserver.app,
    camserver.server -> camserver.server; None outside camserver."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    if len(parts) == 1:
        return PACKAGE
    return ".".join(parts[:2])


def module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path):
    """(imported module, line) for every import in the file, at any depth."""
    name = module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            yield target, node.lineno
            # `from camserver import server` imports the module camserver.server
            for alias in node.names:
                yield target + "." + alias.name, node.lineno


def graph():
    """{node: {node it imports: "file:line" of one such import}}, without self-edges."""
    edges = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        src = node_of(module_name(path))
        for target, line in imports_of(path):
            dst = node_of(target)
            if dst is None or dst == src or dst == PACKAGE:
                continue
            if dst.count(".") == 1 and not _exists(dst):
                continue  # `from camserver.app import serve`: a name, not a module
            edges.setdefault(src, {}).setdefault(dst, "%s:%d" % (path.relative_to(ROOT), line))
    return edges


def _exists(node):
    rel = node.replace(".", "/")
    return (ROOT / rel).is_dir() or (ROOT / (rel + ".py")).exists()


def find_cycle(edges):
    """One cycle as a list of nodes (first == last), or None."""
    state = {}  # node -> 1 on the current path, 2 done
    path = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, {})):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def describe(cycle, edges):
    return "\n".join("  %s -> %s (%s)" % (a, b, edges[a][b]) for a, b in zip(cycle, cycle[1:], strict=False))


def test_no_import_cycle_between_packages():
    edges = graph()
    cycle = find_cycle(edges)
    if cycle:
        pytest.fail("import cycle between packages:\n" + describe(cycle, edges))


def test_the_checker_sees_a_cycle():
    """The checker itself: a function-level import closing a loop is found and printed."""
    edges = {"camserver.a": {"camserver.b": "a.py:3"}, "camserver.b": {"camserver.a": "b.py:9"}}
    cycle = find_cycle(edges)
    assert cycle == ["camserver.a", "camserver.b", "camserver.a"]
    assert "camserver.b -> camserver.a (b.py:9)" in describe(cycle, edges)
