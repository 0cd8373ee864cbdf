# Board targets: build a firmware image with ESP-IDF, flash it, configure Wi-Fi, watch the console.
# Included by the Makefile (BIN, BUILD, PORT, MPY_MAKE come from there). docs/firmware.md explains each step.
#
#   make deps                                  clone the pinned MicroPython and ESP-IDF into build/deps
#                                              (not those given as MPY_DIR / IDF_PATH)
#   make firmware BOARD=<board>                build/firmware/<board>/firmware.bin (one image, offset 0)
#   make flash BOARD=<board> PORT=/dev/ttyACM0 write it with esptool
#   make ota URL=http://<camera>/ BOARD=<board> upload the app image over the network (POST /ota; the
#                                              camera reboots into it; IMAGE=path for another image)
#   make erase PORT=...                        erase the whole flash (settings too)
#   make configure PORT=... WIFI_SSID=... WIFI_PASSWORD=...   write /settings.json with mpremote
#                  (optional: CAMERA_HOSTNAME=name for http://name.local/, AP_PASSWORD=setup AP password)
#   make monitor PORT=...                      the board's console (Ctrl-] leaves)
#   make flash-manifest                        build/flash/: ESP Web Tools manifests + the browser flash page
#                                              for the boards built (FLASH_IMAGES=dir of <BOARD>/firmware.bin)
#   make boards                                list the boards

include firmware/versions.env

FW_BOARDS := $(sort $(notdir $(patsubst %/mpconfigboard.cmake,%,$(wildcard boards/*/mpconfigboard.cmake))))
DEPS_DIR := $(CURDIR)/$(BUILD)/deps
MICROPY_REPO ?= https://github.com/micropython/micropython.git
IDF_REPO ?= https://github.com/espressif/esp-idf.git
# MPY_DIR and IDF_PATH (usually exported by ESP-IDF's export.sh) win; otherwise `make deps`'s clones.
# Given (command line or environment), a tree is the user's: `make deps` neither clones nor installs it.
MPY_GIVEN := $(filter command line environment environment override,$(origin MPY_DIR))
IDF_GIVEN := $(filter command line environment environment override,$(origin IDF_PATH))
MPY_DIR ?= $(if $(wildcard $(DEPS_DIR)/micropython/ports/esp32/Makefile),$(DEPS_DIR)/micropython)
IDF_PATH ?= $(if $(wildcard $(DEPS_DIR)/esp-idf/export.sh),$(DEPS_DIR)/esp-idf)
BAUD ?= 460800
FW_DIR = $(CURDIR)/$(BUILD)/firmware/$(BOARD)
FW_BIN = $(FW_DIR)/firmware.bin
CAMERA_GLUE_DIR := $(CURDIR)/components/camera_glue

# Fail early, in one line, with the command that fixes it. Checked only for the goals that need it.
fw_goals := $(MAKECMDGOALS)
ifneq ($(filter ota,$(fw_goals)),)
  ifeq ($(URL),)
    $(error URL is not set: run `make ota URL=http://<camera>/ BOARD=<board>` (user:password@ in the URL when auth is set))
  endif
endif
ifneq ($(filter firmware flash,$(fw_goals))$(if $(IMAGE),,$(filter ota,$(fw_goals))),)
  ifeq ($(BOARD),)
    $(error BOARD is not set: run `make $(firstword $(filter firmware flash ota,$(fw_goals))) BOARD=<board>` with one of: $(FW_BOARDS))
  endif
  ifeq ($(wildcard boards/$(BOARD)/mpconfigboard.cmake),)
    $(error unknown BOARD '$(BOARD)': use one of $(FW_BOARDS), e.g. `make firmware BOARD=$(firstword $(FW_BOARDS))`)
  endif
endif
ifneq ($(filter firmware,$(fw_goals)),)
  ifeq ($(strip $(MPY_DIR)),)
    $(error MPY_DIR is not set and $(BUILD)/deps has no MicroPython: run `make deps` (or pass MPY_DIR=/path/to/micropython checked out at $(MICROPY_VERSION)))
  endif
  ifeq ($(wildcard $(MPY_DIR)/ports/esp32/Makefile),)
    $(error MPY_DIR=$(MPY_DIR) has no ports/esp32/Makefile: run `make deps` or point MPY_DIR at a MicroPython $(MICROPY_VERSION) checkout)
  endif
  ifeq ($(strip $(IDF_PATH)),)
    $(error IDF_PATH is not set and $(BUILD)/deps has no ESP-IDF: run `make deps` (or pass IDF_PATH=/path/to/esp-idf at $(IDF_VERSION), installed with `./install.sh esp32s3`))
  endif
  ifeq ($(wildcard $(IDF_PATH)/export.sh),)
    $(error IDF_PATH=$(IDF_PATH) has no export.sh: run `make deps` or point IDF_PATH at an ESP-IDF $(IDF_VERSION) checkout)
  endif
endif
ifneq ($(filter deps,$(fw_goals)),)
  ifneq ($(MPY_GIVEN),)
    ifeq ($(wildcard $(MPY_DIR)/ports/esp32/Makefile),)
      $(error MPY_DIR=$(MPY_DIR) has no ports/esp32/Makefile: point it at a MicroPython $(MICROPY_VERSION) checkout, or leave it unset for `make deps` to clone one)
    endif
  endif
  ifneq ($(IDF_GIVEN),)
    ifeq ($(wildcard $(IDF_PATH)/export.sh),)
      $(error IDF_PATH=$(IDF_PATH) has no export.sh: point it at an ESP-IDF $(IDF_VERSION) installed with `./install.sh esp32s3`, or leave it unset for `make deps` to clone one)
    endif
  endif
endif
ifneq ($(filter flash erase configure monitor,$(fw_goals)),)
  ifeq ($(PORT),)
    $(error PORT is not set: run `make $(firstword $(filter flash erase configure monitor,$(fw_goals))) PORT=/dev/ttyACM0` with the board's serial port (list them: $(BIN)/pyserial-ports))
  endif
endif
ifneq ($(filter configure,$(fw_goals)),)
  ifeq ($(WIFI_SSID),)
    $(error WIFI_SSID is not set: run `make configure PORT=$(PORT) WIFI_SSID=<network> WIFI_PASSWORD=<password>`)
  endif
endif

.PHONY: deps firmware flash ota erase configure monitor boards flash-manifest

boards:
	@for b in $(FW_BOARDS); do echo $$b; done

# Clones only what is missing and was not given; a given MPY_DIR / IDF_PATH is used as it is (its
# mpy-cross is built and the port's submodules are fetched, as `make firmware` does anyway).
DEPS_MPY := $(if $(MPY_GIVEN),$(MPY_DIR),$(DEPS_DIR)/micropython)
DEPS_IDF := $(if $(IDF_GIVEN),$(IDF_PATH),$(DEPS_DIR)/esp-idf)
deps:
	@command -v git >/dev/null || { echo "error: git is missing: sudo apt-get install -y git"; exit 1; }
	@command -v cc >/dev/null || { echo "error: no C compiler to build mpy-cross: sudo apt-get install -y build-essential"; exit 1; }
	@mkdir -p $(DEPS_DIR)
ifeq ($(MPY_GIVEN),)
	@if [ ! -f $(DEPS_MPY)/ports/esp32/Makefile ]; then \
	  echo "cloning MicroPython $(MICROPY_VERSION) into $(DEPS_MPY)"; \
	  git clone --depth 1 --branch $(MICROPY_VERSION) $(MICROPY_REPO) $(DEPS_MPY); fi
endif
	$(MPY_MAKE) -C $(DEPS_MPY)/mpy-cross
ifeq ($(IDF_GIVEN),)
	@if [ ! -f $(DEPS_IDF)/export.sh ]; then \
	  echo "cloning ESP-IDF $(IDF_VERSION) into $(DEPS_IDF)"; \
	  git clone --depth 1 --branch $(IDF_VERSION) --recursive --shallow-submodules $(IDF_REPO) $(DEPS_IDF); fi
	$(DEPS_IDF)/install.sh esp32s3
endif
	. $(DEPS_IDF)/export.sh >/dev/null && \
	  $(MPY_MAKE) -C $(DEPS_MPY)/ports/esp32 BOARD_DIR=$(CURDIR)/boards/$(firstword $(FW_BOARDS)) \
	    BUILD=$(CURDIR)/$(BUILD)/firmware/submodules submodules
	@echo "deps ready: make firmware BOARD=<board> (boards: $(FW_BOARDS))"

# MicroPython's ports/esp32/Makefile does the build: BOARD_DIR is our out-of-tree board, the C module
# and the frozen manifest are ours, the camera component comes in through the board's cmake
# (EXTRA_COMPONENT_DIRS, from CAMSERVER_EXTRA_COMPONENT_DIRS here).
firmware:
	@git -C $(MPY_DIR) describe --tags 2>/dev/null | grep -qx '$(MICROPY_VERSION)' \
	  || echo "warning: $(MPY_DIR) is not MicroPython $(MICROPY_VERSION) (firmware/versions.env); the board files are written for it"
	@git -C $(IDF_PATH) describe --tags 2>/dev/null | grep -qx '$(IDF_VERSION)' \
	  || echo "warning: $(IDF_PATH) is not ESP-IDF $(IDF_VERSION) (firmware/versions.env)"
	$(MPY_MAKE) -C $(MPY_DIR)/mpy-cross
	. $(IDF_PATH)/export.sh >/dev/null && \
	  CAMSERVER_EXTRA_COMPONENT_DIRS=$(CAMERA_GLUE_DIR) \
	  $(MPY_MAKE) -C $(MPY_DIR)/ports/esp32 \
	    BOARD_DIR=$(CURDIR)/boards/$(BOARD) \
	    USER_C_MODULES=$(CAMERA_GLUE_DIR)/micropython.cmake \
	    FROZEN_MANIFEST=$(CURDIR)/firmware/manifest.py \
	    BUILD=$(FW_DIR) \
	    submodules all
	python3 $(CURDIR)/firmware/app_size.py $(FW_DIR)/micropython.bin $(CURDIR)/partitions.csv
	@echo "firmware image: $(FW_BIN)"
	@echo "next: make flash BOARD=$(BOARD) PORT=/dev/ttyACM0"

# The S3 image holds bootloader, partition table and app, and starts at offset 0.
# esptool, python and mpremote come from the project's venv: on a fresh clone these targets make it.
flash: venv
	@test -f $(FW_BIN) || { echo "error: no $(FW_BIN): run make firmware BOARD=$(BOARD) first"; exit 1; }
	$(BIN)/esptool --chip esp32s3 --port $(PORT) --baud $(BAUD) write-flash 0 $(FW_BIN)

# Over the network: the app image alone (micropython.bin, what an OTA slot holds; firmware.bin is
# the whole flash with bootloader and partition table) into the camera's next slot.
OTA_IMAGE = $(if $(IMAGE),$(IMAGE),$(FW_DIR)/micropython.bin)
ota:
	@test -f $(OTA_IMAGE) || { echo "error: no $(OTA_IMAGE): run make firmware BOARD=$(BOARD) first"; exit 1; }
	python3 $(CURDIR)/tools/ota.py $(URL) $(OTA_IMAGE)

erase: venv
	$(BIN)/esptool --chip esp32s3 --port $(PORT) erase-flash

# The values travel in the environment, so quotes in a password need no escaping and no password
# shows in make's echo of the command.
configure: export WIFI_SSID := $(WIFI_SSID)
configure: export WIFI_PASSWORD := $(WIFI_PASSWORD)
configure: export CAMERA_HOSTNAME := $(CAMERA_HOSTNAME)
configure: export AP_PASSWORD := $(AP_PASSWORD)
configure: venv
	$(BIN)/python firmware/configure.py --port $(PORT)

monitor: venv
	$(BIN)/mpremote connect $(PORT) repl

# The browser flash page: per built board a manifest in ESP Web Tools' format (version from git)
# next to a copy of its image, and web/flash/index.html. CI's release job points FLASH_IMAGES at
# the images its build jobs made. Serve FLASH_SITE over HTTPS and open it in Chrome or Edge.
FLASH_IMAGES ?= $(CURDIR)/$(BUILD)/firmware
FLASH_SITE ?= $(CURDIR)/$(BUILD)/flash
FW_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
flash-manifest:
	python3 $(CURDIR)/firmware/flash_manifest.py --images $(FLASH_IMAGES) --out $(FLASH_SITE) --version '$(FW_VERSION)'
