# tinydeploy - two commands do everything on a fresh machine:
#   make demo   install, generate a demo network, compile, build, run, validate, report
#   make test   the test suite (pytest)
#   make bench  benchmarks vs TFLite Micro measured in the same run; tiled targets (modeled);
#               PULP-dialect networks on QEMU rv32 (instructions per MAC, flash vs weights)
#               attention models on QEMU rv32 (ICCT, microLlama decode, depth-first)
#               float32 networks and training steps on QEMU rv32imafc (F extension)
#               on-device training (tinydeploy train) per mode: memory, steps on QEMU
#   make fuzz   N mutated model files (seeded): each compiles (and runs clean under
#               ASan/UBSan) or is refused with one line naming the file
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed-stamp

RISCV_PKGS = gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc

.PHONY: install riscv-tools demo test bench fuzz clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@command -v cc >/dev/null || { echo "error: no host C compiler 'cc' (apt-get install gcc)"; exit 2; }
	touch $(STAMP)

# The bare-metal RISC-V toolchain and QEMU, from Debian's packages (installed when missing).
riscv-tools:
	@if command -v riscv64-unknown-elf-gcc >/dev/null && command -v qemu-system-riscv32 >/dev/null \
	    && [ -d /usr/lib/picolibc/riscv64-unknown-elf ]; then exit 0; fi; \
	echo "installing $(RISCV_PKGS) (Debian packages)"; \
	SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	( $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends $(RISCV_PKGS) >/dev/null ) || \
	{ echo "error: could not install the Debian packages $(RISCV_PKGS) (needed for the RISC-V/QEMU tests)"; exit 2; }

demo: install
	$(VENV)/bin/tinydeploy demo -o out/demo

test: install riscv-tools
	$(PY) -m pytest -q -n 2 tests

# make fuzz [N=10000] [SEED=0] [BUILD=all|K] [JOBS=2]: progress on stderr, then a table per
# outcome, per mutation kind and per failure place; exit 1 on any traceback, internal
# error, hang, crash, unnamed-file error or sanitizer report.
N     ?= 10000
SEED  ?= 0
BUILD ?= all
JOBS  ?= 2
fuzz: install
	$(PY) -m tests.fuzz $(N) --seed $(SEED) --build $(BUILD) --jobs $(JOBS)

bench: install riscv-tools
	$(PY) benchmarks/bench.py
	$(PY) benchmarks/quantize_bench.py
	$(PY) benchmarks/tiled_bench.py
	$(PY) benchmarks/subbyte_bench.py
	$(PY) benchmarks/rv32_kernels.py
	$(PY) benchmarks/rv32_bench.py
	$(PY) benchmarks/pulp_bench.py
	$(PY) benchmarks/transformer_bench.py
	$(PY) benchmarks/float_bench.py
	$(PY) benchmarks/train_bench.py
	$(PY) benchmarks/audio_bench.py

clean:
	rm -rf out build .pytest_cache .hypothesis
