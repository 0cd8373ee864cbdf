# Hardware-in-the-loop suite (tests/hil, pytest-embedded) and its throughput benchmark.
#   make hil PORT=/dev/ttyACM0        against a flashed board (pytest-embedded resets it over serial)
#   make hil                          against the simulated device (the MicroPython unix sim as DUT)
#   make hil-bench [URL=http://<ip>/] frames/s and Mbit/s per frame size; the sim when URL is unset
# HIL_ARGS passes extra pytest options, e.g. HIL_ARGS='-k capture -s'; BENCH_ARGS extra bench options.
HIL_ARGS ?=
BENCH_ARGS ?=
URL ?=

.PHONY: hil hil-bench

ifneq ($(strip $(PORT)),)
hil: venv
	$(BIN)/python -m pytest tests/hil --embedded-services esp,serial --port $(PORT) $(HIL_ARGS)
else
hil: venv compile frames
	HEAP=$(HEAP) $(BIN)/python -m pytest tests/hil $(HIL_ARGS)
endif

ifneq ($(strip $(URL)),)
hil-bench: venv
	PYTHONPATH=$(CURDIR)/tests:$(CURDIR)/tests/hil $(BIN)/python bench/hil_throughput.py --url $(URL) $(BENCH_ARGS)
else
hil-bench: venv compile frames
	HEAP=$(HEAP) PYTHONPATH=$(CURDIR)/tests:$(CURDIR)/tests/hil $(BIN)/python bench/hil_throughput.py $(BENCH_ARGS)
endif
