"""camera_glue's plain-C parts, built with gcc and run under AddressSanitizer and UBSan.

test_send.c drives the chunked-send loop (cg_send.c, the loop Frame.send runs on the
board) against real socketpairs and loopback TCP sockets; test_host_backend.c drives the
unix port's camera backend against real files. Both are compiled with -Wall -Wextra
-Werror: a warning fails the build, and so the test. gcc missing fails the test too.
"""

import os
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
    "-g",
    "-O1",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
]

SEND_TESTS = [
    "exact_chunk_boundaries",
    "partial_writes",
    "would_block_then_resume",
    "peer_closed_epipe",
    "peer_closed_mid_frame",
    "peer_reset_econnreset",
    "frame_160k_tcp",
    "resume_from_offset",
    "bad_arguments",
    "misbehaving_callbacks",
]

HOST_TESTS = [
    "init_errors",
    "grab_frame_bytes",
    "grab_latest_skips",
    "fb_count_exhausted",
    "framesize_change",
    "deinit_with_frame_held",
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


def run(exe, expected):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")
    done = subprocess.run([exe], capture_output=True, text=True, timeout=120, env=env)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    # Every test ran and said so: a test dropped from main() shows up here.
    for name in expected:
        assert "ok %s\n" % name in done.stdout, report
    assert "all %d tests passed" % len(expected) in done.stdout, report
    assert "runtime error" not in report and "AddressSanitizer" not in report, report


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("camera_glue_c")


def test_send_loop_on_real_sockets(out_dir):
    exe = build(out_dir, "test_send", [os.path.join(HERE, "test_send.c"), os.path.join(GLUE, "cg_send.c")])
    run(exe, SEND_TESTS)


def test_host_backend(out_dir):
    sources = [
        os.path.join(HERE, "test_host_backend.c"),
        os.path.join(GLUE, "cg_backend_host.c"),
        os.path.join(GLUE, "cg_settings.c"),
    ]
    run(build(out_dir, "test_host_backend", sources), HOST_TESTS)


def test_plain_c_parts_need_no_micropython(out_dir):
    """The loop, the settings table and the host backend compile on their own with the
    strict flags (no MicroPython header anywhere), as the tests above rely on."""
    for name in ("cg_send.c", "cg_settings.c", "cg_backend_host.c"):
        obj = os.path.join(str(out_dir), name + ".o")
        cmd = [gcc(), "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"]
        cmd += ["-I" + GLUE, os.path.join(GLUE, name), "-o", obj]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        with open(os.path.join(GLUE, name)) as f:
            assert '#include "py/' not in f.read()
