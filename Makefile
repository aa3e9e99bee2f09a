# swift-i2i. `make run` and `make test` do all the set-up on a fresh Debian/Ubuntu machine.
SWIFT   ?= swift
PACKAGES = libopenmpi-dev openmpi-bin libopenblas-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev pkg-config
SUDO    := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
BIN      = .build/release/i2i
# Open MPI refuses to run as root (containers, CI) without these; oversubscribe lets 2-3 ranks share 2 cores.
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# forward-signals.sh passes a Ctrl-C or SIGTERM on to the ranks as USR1, which mpirun forwards (its own SIGTERM
# handling kills the ranks within 2 s), so every rank finishes its step and writes a checkpoint. The timeout ends a
# hung job (20 minutes: make run takes about 4 on an idle 2-core machine, and twice that on a busy one).
MPIRUN   = cluster/forward-signals.sh mpirun --oversubscribe --bind-to none --timeout 1200
# OpenBLAS kernels the numeric unit tests also run under, besides the host's own: Haswell (AVX2, as on hosts without
# AVX-512) everywhere, SkylakeX where the CPU has AVX-512. Another kernel sums in another order, so a test that holds
# only for one rounding fails on every machine.
BLAS_KERNELS := Haswell $(shell grep -q avx512f /proc/cpuinfo 2>/dev/null && echo SkylakeX)

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

## test: every unit test (the numeric ones again under each of BLAS_KERNELS), then the multi-rank tests under mpirun
test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	for core in $(BLAS_KERNELS); do echo "== Tensors, NN and Models tests with OPENBLAS_CORETYPE=$$core"; \
	  OPENBLAS_CORETYPE=$$core $(SWIFT) test --skip-build --filter 'TensorsTests|NNTests|ModelsTests' || exit 1; done
	$(SWIFT) build -c release --product i2i
	scripts/mpi-tests.sh .build/debug/i2i-mpi-tests
	scripts/train-tests.sh $(BIN) cyclegan cut fastcut enco ecgan
	scripts/fault-tests.sh $(BIN)

## run: build, train a model (CycleGAN unless MODEL=cut|fastcut|enco|ecgan) with 2 ranks on the embedded data, then
## translate the held-out inputs. The image models train on fashion-shoes at the scale of its 32×32 test images
## (load = crop = 32, which measured on par with the official code in issue 12; at load 36 the generator learns
## objects 12 % larger than it is shown). ECGAN trains on the brain set (tissue label maps → T1 slices, 64×64) at
## ECGAN-mini size with a narrower discriminator and SPADE (ndf 32, 64 hidden) so that 6 epochs take a few minutes.
MODEL    ?= cyclegan
ifeq ($(MODEL),ecgan)
RUN_NAME  = brain-ecgan
RUN_ARGS  = --model ecgan --dataroot data/brain --name $(RUN_NAME) --load-size 64 --crop-size 64 --ndf 32 \
            --spade-hidden 64 --batch-size 2 --n-epochs 4 --n-epochs-decay 2 --save-epoch-freq 2 --print-freq 200
else
RUN_NAME  = fashion-shoes-$(MODEL)
RUN_ARGS  = --model $(MODEL) --dataroot data/fashion-shoes --name $(RUN_NAME) --input-nc 1 --output-nc 1 \
            --load-size 32 --crop-size 32 --ngf 32 --ndf 32 --netG resnet_6blocks --batch-size 2 --n-epochs 3 \
            --n-epochs-decay 3 --save-epoch-freq 2 --print-freq 400 $(if $(filter cyclegan,$(MODEL)),,--num-patches 64)
endif
run: build
	$(MPIRUN) -np 2 $(BIN) train $(RUN_ARGS) --resume auto
	if [ "$(MODEL)" = ecgan ]; then $(BIN) translate --checkpoint checkpoints/$(RUN_NAME) --input data/brain/test_label \
	  --output results/$(RUN_NAME) --all-outputs; else $(BIN) translate --checkpoint checkpoints/$(RUN_NAME) \
	  --direction AtoB --input data/fashion-shoes/testA --output results/$(RUN_NAME)/AtoB; fi
	if [ "$(MODEL)" = cyclegan ]; then $(BIN) translate --checkpoint checkpoints/$(RUN_NAME) --direction BtoA \
	  --input data/fashion-shoes/testB --output results/$(RUN_NAME)/BtoA; fi
	@echo "make run: checkpoints, loss_log.txt and web/index.html (samples and loss curves) in checkpoints/$(RUN_NAME)/;"
	@echo "          translations of the test inputs in results/$(RUN_NAME)/ (with an index.html)."

## bench: kernel, step, communication and loader benchmarks (record the numbers in BENCHMARKS.md)
bench: build
	$(BIN) bench conv --threads 1
	$(BIN) bench conv --threads 2
	$(BIN) bench step --model cyclegan --size 128 --ngf 32 --netG resnet_6blocks --threads 1 --iters 5
	$(BIN) bench step --model cyclegan --size 128 --ngf 32 --netG resnet_6blocks --threads 2 --iters 5
	for model in cut fastcut enco; do for threads in 1 2; do \
	  $(BIN) bench step --model $$model --size 128 --ngf 32 --netG resnet_9blocks --threads $$threads --iters 5 || exit 1; \
	done; done
	for threads in 1 2; do $(BIN) bench step --model ecgan --size 64 --ngf 16 --threads $$threads --iters 5 || exit 1; done
	$(BIN) bench loader
	$(MPIRUN) -np 2 $(BIN) bench allreduce --iters 60

clean:
	rm -rf .build
