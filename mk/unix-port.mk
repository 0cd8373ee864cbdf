# The MicroPython unix port with the camera_glue C module (host backend): the C path on a PC.
# Included by the Makefile (BUILD, MPY_MAKE come from there; MPY_DIR, MPY_GIVEN from mk/firmware.mk).
# docs/camera_glue.md explains it.
#
#   make unix-port                                build build/unix/micropython (`make test` does it too)
#   make sim MICROPYTHON=build/unix/micropython   the camera server on it (/status: "camera_glue")
#   make test MICROPYTHON=build/unix/micropython  the whole suite on it
#
# The MicroPython source, at the pinned MICROPY_VERSION (firmware/versions.env, the same pin the
# firmware build uses), is the first of: MPY_DIR when given; ../shared/micropython's tarball
# (checked against its SHA256SUMS, unpacked into build/deps); a clone in build/deps/micropython
# (`make deps`'s, or made here with lib/mbedtls: needs network and git).
# btree and ffi are left out; ssl (and with it hashlib.md5) only when the source has lib/mbedtls,
# the one submodule it uses (UNIX_SSL below). The frozen manifest below holds only asyncio (the
# standard variant's manifest would need lib/micropython-lib). The binary keeps its symbols
# (STRIP=): `make cost` names the C functions from them. It is rebuilt only when components/, this
# file, the pin or the source tree changes: `make test` costs nothing more when none did.

# MICROPY_VERSION: the pin the firmware build uses too.
include firmware/versions.env

UNIX_OUT := $(abspath $(BUILD))/unix
UNIX_BIN := $(UNIX_OUT)/micropython
UNIX_JOBS ?= 2
UNIX_ENV := env -u MAKEFLAGS -u MAKEOVERRIDES -u MAKELEVEL -u BUILD -u MPY_DIR
# Set UNIX_PORT_ANY_VERSION=1 to build against a MicroPython other than the pinned one.
UNIX_PORT_ANY_VERSION ?= 0
UNIX_TARBALL_DIR ?= $(abspath $(CURDIR)/../shared/micropython)
UNIX_TARBALL := $(UNIX_TARBALL_DIR)/micropython-$(MICROPY_VERSION).tar.gz
UNIX_TREE := $(abspath $(BUILD))/deps/micropython-$(MICROPY_VERSION)
UNIX_CLONE := $(abspath $(BUILD))/deps/micropython
ifneq ($(MPY_GIVEN),)
  UNIX_MPY_DIR := $(MPY_DIR)
  UNIX_SOURCE := MPY_DIR
  UNIX_FETCH :=
else ifneq ($(wildcard $(UNIX_TARBALL)),)
  UNIX_MPY_DIR := $(UNIX_TREE)
  UNIX_SOURCE := tarball
  UNIX_FETCH := $(UNIX_TREE)/.unpacked
else
  UNIX_MPY_DIR := $(UNIX_CLONE)
  UNIX_SOURCE := clone
  UNIX_FETCH := $(UNIX_CLONE)/.unix-source
endif
# What the binary is built from: a change to any of these rebuilds it, nothing else does.
UNIX_INPUTS := $(shell find components -type f ! -name '*.md' ! -name '*.pyi') mk/unix-port.mk \
  firmware/versions.env $(UNIX_OUT)/source $(UNIX_FETCH)

.PHONY: unix-port unix-source FORCE

unix-port: $(UNIX_BIN)

# The source tree's path, rewritten only when it changes (another MPY_DIR rebuilds the binary).
$(UNIX_OUT)/source: FORCE
	@mkdir -p $(@D)
	@[ "$$(cat $@ 2>/dev/null)" = "$(UNIX_MPY_DIR)" ] || echo "$(UNIX_MPY_DIR)" > $@

# The shared tarball, checked against its SHA256SUMS before anything in it is used.
$(UNIX_TREE)/.unpacked: $(UNIX_TARBALL)
	@set -o pipefail; cd $(UNIX_TARBALL_DIR) && grep -E '  $(notdir $<)$$' SHA256SUMS | sha256sum --check --strict --quiet - \
	  || { echo "error: $< does not match $(UNIX_TARBALL_DIR)/SHA256SUMS (or is not listed there)"; exit 1; }
	rm -rf $(UNIX_TREE) && mkdir -p $(dir $(UNIX_TREE))
	tar xzf $< -C $(dir $(UNIX_TREE))
	@[ -f $(UNIX_TREE)/ports/unix/Makefile ] || { echo "error: $< did not unpack into $(UNIX_TREE)"; exit 1; }
	@touch $@

# Neither MPY_DIR nor the tarball: MicroPython's repository at the pin, with lib/mbedtls (the one
# submodule the unix build uses), where `make deps` clones it too (a clone already there is kept).
$(UNIX_CLONE)/.unix-source:
	@command -v git >/dev/null || { echo "error: no MicroPython source for the camera_glue unix port" \
	  "and no git to clone one: pass MPY_DIR=/path/to/micropython (at $(MICROPY_VERSION), with lib/mbedtls)," \
	  "provide $(UNIX_TARBALL), or sudo apt-get install -y git"; exit 1; }
	@[ -f $(UNIX_CLONE)/ports/unix/Makefile ] || { echo "no MPY_DIR and no $(UNIX_TARBALL):" \
	  "cloning MicroPython $(MICROPY_VERSION) into $(UNIX_CLONE) (needs network)"; \
	  git clone -q --depth 1 --branch $(MICROPY_VERSION) $(MICROPY_REPO) $(UNIX_CLONE); }
	git -C $(UNIX_CLONE) submodule update -q --init --depth 1 lib/mbedtls
	@touch $@

# Fails in one line, with the command that fixes it, before MicroPython's make starts.
unix-source: $(UNIX_FETCH)
	@d='$(UNIX_MPY_DIR)'; \
	[ -f "$$d/ports/unix/Makefile" ] || { echo "error: the MicroPython source $$d has no ports/unix/Makefile:" \
	  "point MPY_DIR at a MicroPython $(MICROPY_VERSION) source tree"; exit 1; }; \
	v=v$$(awk '/define MICROPY_VERSION_(MAJOR|MINOR|MICRO) /{printf "%s%s", s, $$3; s="."}' "$$d/py/mpconfig.h"); \
	[ "$(UNIX_PORT_ANY_VERSION)" = 1 ] || [ "$$v" = "$(MICROPY_VERSION)" ] || { echo "error: the MicroPython source $$d is" \
	  "MicroPython $$v, the pin is $(MICROPY_VERSION) (firmware/versions.env): check out $(MICROPY_VERSION)" \
	  "there, or pass UNIX_PORT_ANY_VERSION=1"; exit 1; }

# hashlib.md5 (Digest auth's MD5, which ffmpeg and GStreamer use) comes with MicroPython's ssl
# module, built on lib/mbedtls as on the board: on when that submodule is there. Both checks run in
# the shell, at build time: an unpacked tree does not exist yet when make reads this file.
UNIX_LIB := $(UNIX_MPY_DIR)/lib
$(UNIX_BIN): $(UNIX_INPUTS) | unix-source
	@mkdir -p $(UNIX_OUT)
	@printf '%s\n' '# Generated by mk/unix-port.mk: asyncio is all the camera server needs frozen.' \
	  'include("$$(MPY_DIR)/extmod/asyncio")' > $(UNIX_OUT)/manifest.py
	@# MicroPython's make insists on a micropython-lib folder before freezing anything, even
	@# when the manifest uses none of it: without the submodule, point it at an empty one.
	@mkdir -p $(UNIX_OUT)/no-micropython-lib
	@echo "Stands in for lib/micropython-lib, which the camera server's unix build does not use." \
	  > $(UNIX_OUT)/no-micropython-lib/README.md
	@echo "building $(BUILD)/unix/micropython with camera_glue from $(UNIX_MPY_DIR) ($(UNIX_SOURCE))"
	@# mpy-cross first, on its own: when the unix build has to make it, the nested make inherits
	@# BUILD and mixes both programs' objects. `env -u` keeps this make's command line
	@# (MPY_DIR=..., BUILD=..., which make exports) out of MicroPython's makes.
	$(UNIX_ENV) $(MPY_MAKE) -C "$(abspath $(UNIX_MPY_DIR))/mpy-cross" -j$(UNIX_JOBS)
	$(UNIX_ENV) $(MPY_MAKE) -C "$(abspath $(UNIX_MPY_DIR))/ports/unix" -j$(UNIX_JOBS) \
	  BUILD=$(UNIX_OUT)/obj \
	  USER_C_MODULES=$(CURDIR)/components \
	  FROZEN_MANIFEST=$(UNIX_OUT)/manifest.py \
	  $$([ -f $(UNIX_LIB)/micropython-lib/README.md ] || echo MPY_LIB_DIR=$(UNIX_OUT)/no-micropython-lib) \
	  MICROPY_PY_BTREE=0 MICROPY_PY_SSL=$$([ -f $(UNIX_LIB)/mbedtls/include/mbedtls/md5.h ] && echo 1 || echo 0) \
	  MICROPY_PY_FFI=0 STRIP=
	cp $(UNIX_OUT)/obj/micropython $@.tmp && mv $@.tmp $@
	@$@ -c "import camera_glue, sys; print('built', '$(BUILD)/unix/micropython:', sys.implementation.name, sys.version, 'with camera_glue')"
	@$@ -c "import hashlib; hashlib.md5" 2>/dev/null || echo "note: no hashlib.md5 (no lib/mbedtls in $(UNIX_MPY_DIR)): Digest MD5 clients (ffmpeg, GStreamer) fail on this binary; git -C $(UNIX_MPY_DIR) submodule update --init lib/mbedtls, then build again"
	@echo "next: make sim MICROPYTHON=$(BUILD)/unix/micropython  or  make test MICROPYTHON=$(BUILD)/unix/micropython"
