"""camera_glue's plain-C parts, built with gcc and run under AddressSanitizer and UBSan.

test_send.c drives the chunked-send loop (cg_send.c, the loop Frame.send runs on the
board) against real socketpairs and loopback TCP sockets; test_rtp.c drives the RTP/JPEG
packetizer (cg_rtp.c, behind camera_glue.RtpJpeg) against stream and datagram socketpairs
and loopback TCP and UDP sockets; test_host_backend.c drives the unix port's camera
backend against real files. Both are compiled with -Wall -Wextra
-Werror -pedantic and no MicroPython include path: a warning (a test function that main()
no longer runs is an unused static function) or a MicroPython header fails the build, and
so the test. A failed C check exits non-zero; gcc missing fails the test too.
"""

import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GLUE = os.path.join(ROOT, "components", "camera_glue")
HERE = os.path.dirname(os.path.abspath(__file__))

CFLAGS = [
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-g",
    "-O1",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
]


def gcc():
    path = shutil.which("gcc")
    assert path, "gcc is required for the C tests: sudo apt-get install -y gcc"
    return path


def build(out_dir, name, sources):
    exe = os.path.join(str(out_dir), name)
    cmd = [gcc(), *CFLAGS, "-I" + GLUE, *sources, "-o", exe, "-lpthread"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, "build failed:\n%s\n%s" % (" ".join(cmd), done.stderr)
    return exe


def run(exe, *args):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")
    done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, env=env)
    report = done.stdout + done.stderr
    print(done.stdout)  # the "ok <name>" line of each C test, shown with pytest -s
    # A failed CHECK exits 1 before its test's "ok" line; the last line counts the tests run.
    assert done.returncode == 0, report
    match = re.search(r"^all (\d+) tests passed$", done.stdout, re.M)
    assert match, report
    assert len(re.findall(r"^ok \w+$", done.stdout, re.M)) == int(match.group(1)) > 0, report
    assert "runtime error" not in report and "AddressSanitizer" not in report, report


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("camera_glue_c")


def test_send_loop_on_real_sockets(out_dir):
    exe = build(out_dir, "test_send", [os.path.join(HERE, "test_send.c"), os.path.join(GLUE, "cg_send.c")])
    run(exe)


def test_rtp_packetizer_on_real_sockets(out_dir):
    exe = build(out_dir, "test_rtp", [os.path.join(HERE, "test_rtp.c"), os.path.join(GLUE, "cg_rtp.c")])
    run(exe)


def test_host_backend(out_dir):
    sources = [
        os.path.join(HERE, "test_host_backend.c"),
        os.path.join(GLUE, "cg_backend_host.c"),
        os.path.join(GLUE, "cg_faults.c"),
        os.path.join(GLUE, "cg_jpeg_check.c"),
    ]
    run(build(out_dir, "test_host_backend", sources))
