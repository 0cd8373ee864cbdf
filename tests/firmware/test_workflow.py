""".github/workflows/firmware.yml, offline: GitHub's workflow schema (as check-jsonschema vendors
it), then what the schema cannot know: every board built in ESP-IDF's container at the pinned
version, the artefacts per board, the release only on tags, actions pinned by commit, and every
`run:` script valid bash."""

import re
import subprocess

import pytest
from fwtools import BIN, BOARDS, ROOT
from ruamel.yaml import YAML

WORKFLOW = ROOT / ".github" / "workflows" / "firmware.yml"


def load(text):
    return YAML(typ="safe").load(text)


def versions():
    lines = (ROOT / "firmware" / "versions.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))


def schema_check(path):
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def runs(job):
    return [step["run"] for step in job["steps"] if "run" in step]


def test_github_accepts_the_workflow():
    proc = schema_check(WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "firmware.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on:", "run-on:", 1))
    assert schema_check(broken).returncode == 1


@pytest.fixture(scope="module")
def flow():
    return load(WORKFLOW.read_text())


def test_every_board_is_built_in_esp_idf_at_the_pinned_version(flow):
    build = flow["jobs"]["build"]
    assert build["container"] == "espressif/idf:" + versions()["IDF_VERSION"]
    assert build["strategy"]["matrix"]["board"] == BOARDS
    assert sorted(p.parent.name for p in (ROOT / "boards").glob("*/mpconfigboard.cmake")) == BOARDS
    commands = runs(build)
    deps = commands.index("make deps")
    assert commands.index("make firmware BOARD=${{ matrix.board }}") > deps


def test_each_board_uploads_merged_image_app_and_sums(flow):
    steps = flow["jobs"]["build"]["steps"]
    script = "\n".join(runs(flow["jobs"]["build"]))
    assert (
        'cp "build/firmware/$BOARD/firmware.bin" "build/firmware/$BOARD/micropython.bin" "dist/$BOARD/"'
        in script
    )
    assert "sha256sum firmware.bin micropython.bin > SHA256SUMS" in script
    (upload,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"] == {
        "name": "${{ matrix.board }}",
        "path": "dist/${{ matrix.board }}",
        "if-no-files-found": "error",
    }


def test_release_only_on_tags_after_tests_and_builds(flow):
    assert flow["on"]["push"]["tags"] == ["v*"]
    release = flow["jobs"]["release"]
    assert release["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert set(release["needs"]) == {"test", "build"}
    script = "\n".join(runs(release))
    assert "sha256sum -c SHA256SUMS" in script and "gh release create" in script
    assert 'make flash-manifest FLASH_IMAGES="$PWD/images"' in script
    assert flow["jobs"]["pages"]["needs"] == "release"


def test_make_test_runs_on_the_projects_host(flow):
    test = flow["jobs"]["test"]
    assert test["container"] == "debian:12"  # Python 3.11 and Debian's chromium, as the Makefile wants
    assert runs(test)[-1] == "make test"


def test_permissions_are_least_and_actions_pinned_by_commit(flow):
    assert flow["permissions"] == {"contents": "read"}
    writers = {
        name for name, job in flow["jobs"].items() if "write" in (job.get("permissions") or {}).values()
    }
    assert writers == {"release", "pages"}
    for job in flow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_run_scripts_are_valid_bash(flow, tmp_path):
    for name, job in flow["jobs"].items():
        for i, script in enumerate(runs(job)):
            # ${{ ... }} is substituted by GitHub before the shell runs: a plain word here.
            path = tmp_path / ("%s-%d.sh" % (name, i))
            path.write_text(re.sub(r"\$\{\{[^}]*\}\}", "X", script))
            proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
            assert proc.returncode == 0, (name, script, proc.stderr)
