# swift-i2i. `make run` and `make test` do all the set-up on a fresh Debian/Ubuntu machine.
SWIFT   ?= swift
PACKAGES = libopenmpi-dev openmpi-bin libopenblas-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev pkg-config
SUDO    := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
BIN      = .build/release/i2i
# Open MPI refuses to run as root (containers, CI) without these; oversubscribe lets 2-3 ranks share 2 cores.
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN   = mpirun --oversubscribe --bind-to none --timeout 300

.PHONY: setup build test run bench clean

## setup: install whichever of the Debian packages above are missing (a no-op when all are present)
setup:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make setup: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make setup: system packages present"; fi

## build: release build of the i2i binary
build: setup
	$(SWIFT) build -c release --product i2i

## test: every unit test, then the multi-rank tests under mpirun
test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(SWIFT) build -c release --product i2i
	scripts/mpi-tests.sh .build/debug/i2i-mpi-tests

## run: build, then the default job
run: build
	$(BIN) self-check

## bench: kernel, step, communication and loader benchmarks (record the numbers in BENCHMARKS.md)
bench: build
	$(BIN) bench conv --threads 1
	$(BIN) bench conv --threads 2
	$(BIN) bench step --model cyclegan --size 128 --ngf 32 --netG resnet_6blocks --threads 1 --iters 5
	$(BIN) bench step --model cyclegan --size 128 --ngf 32 --netG resnet_6blocks --threads 2 --iters 5
	$(BIN) bench loader
	$(MPIRUN) -np 2 $(BIN) bench allreduce

clean:
	rm -rf .build
