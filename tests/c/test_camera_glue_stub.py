"""components/camera_glue/camera_glue.pyi names exactly what the built module has.

The stub is what `make lint` type-checks the frozen modules against, so a member added to the C
module without the stub (or a stub entry the module lacks) would let the check pass code that
fails on the board, or fail code that works. Compared on the camera_glue binary (`make test`
builds it): the public names of the module and of a Frame and an RtpJpeg object (dir() of an
object also lists the attributes the C attr handlers serve), and init()'s keywords and defaults
against camera_glue.RANGES.
"""

import ast
import json
import subprocess

from simserver import FRAMES, ROOT, ensure_built, sim_env

STUB = ROOT + "/components/camera_glue/camera_glue.pyi"

# Prints the public names MicroPython sees, as JSON.
PROBE = """
import camera_glue as cg, json, time
cg.init(frames_dir=%r)
frame = None
for _ in range(400):
    frame = cg.grab()
    if frame is not None:
        break
    time.sleep_ms(max(1, cg.poll_ms()))
public = lambda names: sorted(n for n in names if not n.startswith("_"))
print(json.dumps({"module": public(dir(cg)), "Frame": public(dir(frame)),
                  "RtpJpeg": public(dir(cg.RtpJpeg())), "RANGES": cg.RANGES}))
frame.release()
cg.deinit()
"""


def stub_names():
    """{"module": names, class name: member names, "init": {keyword: default}} of the stub."""
    tree = ast.parse(open(STUB).read())
    names = {"module": []}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            names["module"].append(node.name)
            if node.name == "init":
                defaults = [ast.literal_eval(d) for d in node.args.kw_defaults]
                names["init"] = dict(zip([a.arg for a in node.args.kwonlyargs], defaults, strict=True))
        elif isinstance(node, ast.ClassDef):
            names["module"].append(node.name)
            members = names[node.name] = []
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    members.append(item.name)
                elif isinstance(item, ast.AnnAssign):
                    members.append(item.target.id)
        elif isinstance(node, ast.AnnAssign):
            names["module"].append(node.target.id)
    return {k: sorted(n for n in v if not n.startswith("_")) if k != "init" else v for k, v in names.items()}


def built_names(binary):
    ensure_built()
    done = subprocess.run(
        [binary, "-c", PROBE % FRAMES], cwd=ROOT, env=sim_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_the_stub_names_every_public_member_and_no_other(camera_glue):
    built, stub = built_names(camera_glue), stub_names()
    for scope in ("module", "Frame", "RtpJpeg"):
        missing = sorted(set(built[scope]) - set(stub[scope]))
        extra = sorted(set(stub[scope]) - set(built[scope]))
        assert not missing and not extra, "%s: not in camera_glue.pyi: %s; in it but not built: %s" % (
            scope,
            missing,
            extra,
        )


def test_the_stub_init_takes_every_setting_with_its_default(camera_glue):
    ranges = built_names(camera_glue)["RANGES"]
    init = stub_names()["init"]
    settings = {name: default for name, default in init.items() if name in ranges}
    assert settings == {name: limits[2] for name, limits in ranges.items()}
    # The rest are the camera configuration, with the defaults cg_mod.c gives them.
    assert {k: v for k, v in init.items() if k not in ranges} == {
        "fb_count": 2,
        "grab_mode": "latest",
        "fps": 25,
        "frames_dir": "build/frames",
        "xclk_mhz": 20,
        "faults": "",
    }
