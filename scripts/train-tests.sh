#!/usr/bin/env bash
# End-to-end training tests of `i2i train` on the embedded data, on 1 rank and under mpirun:
#   distributed equivalence (2 ranks × batch 1 == 1 rank × batch 2), bit-identical resume, resume on another world
#   size, a rank killed during training, a corrupt checkpoint skipped, a corrupt image named on every rank.
# Usage: scripts/train-tests.sh [BINARY] [MODEL...]   (default .build/release/i2i, models: cyclegan)
set -u
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/i2i}; shift || true
MODELS=${*:-cyclegan}
[ -x "$BIN" ] || { echo "train-tests: $BIN not built (swift build -c release --product i2i)" >&2; exit 2; }
. scripts/test-lib.sh

# A small network on 32×32 images; every run writes under $work/ck. The image models read fashion-shoes (gray);
# ECGAN reads the brain set (label maps → slices, 32×32 crops of the 64×64 slices).
small() {  # small MODEL
  if [ "$1" = ecgan ]; then
    echo --model ecgan --dataroot data/brain --checkpoints-dir "$work/ck" --load-size 64 --crop-size 32 --ngf 8 \
      --ndf 16 --spade-hidden 16 --pixels-per-class 8 --n-epochs 1 --n-epochs-decay 0 --threads 1 --print-freq 1000
    return
  fi
  echo --model "$1" --dataroot data/fashion-shoes --checkpoints-dir "$work/ck" --input-nc 1 --output-nc 1 \
    --load-size 32 --crop-size 32 --ngf 16 --ndf 16 --netG resnet_6blocks --n-epochs 1 --n-epochs-decay 0 \
    --threads 1 --print-freq 1000 $(model_args "$1")
}
# Each model takes only its own options: CycleGAN's image pool, the contrastive models' patch count; EnCo's learning
# rates are --lr-G/--lr-D/--lr-F.
model_args() { [ "$1" = cyclegan ] || echo --num-patches 32; }
# The held-out inputs a model translates.
test_inputs() { [ "$1" = ecgan ] && echo data/brain/test_label || echo data/fashion-shoes/testA; }
lr_args() { [ "$1" = enco ] && echo --lr-G "$2" --lr-D "$2" --lr-F "$2" || echo --lr "$2"; }
cursor() { grep -o '"cursorConsumed" : [0-9]*' "$1/state.json" | grep -o '[0-9]*$'; }

# Distributed equivalence: 2 ranks × batch 1 and 1 rank × batch 2 take the same steps. What can be held to a
# tolerance (issue 11):
# - Adam is not used for this check. Its first step is ≈ lr·sign(g), so a gradient at the rounding floor (a sum that
#   cancels) moves by a full ±lr in either direction, and a later step's forward pass then differs by more than
#   rounding. Plain SGD (--optimizer sgd) moves each weight by lr·g, so a rounding-level gradient difference stays a
#   rounding-level weight difference.
# - The updates (w_k − w_0, --base step 0) are compared, per tensor against the RMS of the update:
#   |Δa − Δb| ≤ 1e-2·rms(Δb) + 2·k·u·|w| (`i2i inspect --rms-tolerance`). Each gradient element is a sum of
#   K ≤ batch·H·W = 2048 terms that the two runs add in another order (one conv backward over the global batch against
#   per-rank sums and an all-reduce): worst case 2γ_K·Σ|terms| ≈ 2.4e-4·Σ|terms|, and Σ|terms| ≈ √K·|g| ≈ 45·rms(g)
#   for terms of mixed sign, so ≈ 1.1e-2·rms; 2·k·u·|w| is the rounding of the stored weights over k SGD steps.
#   Measured on 2026-12-03 (AMD EPYC, AVX-512 and OPENBLAS_CORETYPE=Haswell): ≤ 5e-3 over 5 steps at lr 2e-5.
# - The learning rate is 2e-5, not the default 2e-4: with an instance norm after every conv, a conv's gradient scales
#   as 1/|w|, and SGD at 2e-4 changes the first layers by ~13 % a step; then even one process on 1 and on 2 threads
#   (no MPI at all) part ways by step 3-4 (measured), because the rounding difference of one step flips activations
#   near zero in the next. At 2e-5 the dynamics stay smooth for the steps compared.
equivalence() {  # equivalence LABEL STEPS ARGS...: 1 rank × batch 2 against 2 ranks × batch 1, updates after STEPS
  local label=$1 steps=$2; shift 2
  rm -rf "$work/ck/eq-one" "$work/ck/eq-two"
  $BIN train "$@" --name eq-one --batch-size 2 --save-initial >"$work/log" 2>&1 &&
    $MPIRUN -np 2 $BIN train "$@" --name eq-two --batch-size 1 >>"$work/log" 2>&1 &&
    (for step in $steps; do
      $BIN inspect "$work/ck/eq-one/step-0000000$step" --compare "$work/ck/eq-two/step-0000000$step" \
        --base "$work/ck/eq-one/step-00000000" --rms-tolerance 1e-2 $inspect_extra || exit 1
    done)
  rc=$?; [ $rc -eq 0 ] || tail -5 "$work/log"; record "$label" $rc
}

for model in $MODELS; do
  echo "== $model: 2 ranks × batch 1 and 1 rank × batch 2 take the same SGD steps (updates within 1e-2·rms)"
  args="$(small $model) --seed 1 --max-steps 3 --optimizer sgd $(lr_args $model 2e-5) --save-every-steps 1 --keep 10"
  [ "$model" = cyclegan ] && args="$args --pool-size 0"
  # NOTE: EnCo's DAG sampling keeps the patches the discriminator scores lowest: a sort of near-equal values, which
  # a rounding difference in the weights reorders, so the runs pick other patches and part ways. The ranked half is
  # switched off here; a whole EnCo step with it is checked for N ranks = 1 process by i2i-mpi-tests (same weights,
  # so the same ranking).
  [ "$model" = enco ] && args="$args --random-ratio 1"
  # NOTE: EnCo's projection heads end in a batch norm over features whose mean is 0 up to rounding: its running
  # means are noise of ~1e-9 around 0 in both runs (computed from the global batch either way), so no relative
  # tolerance fits them; an absolute 1e-8 does, far below the 2e-8-2e-5 updates of the weights.
  # NOTE: EnCo is compared after its first step only. With seed 1 its 2-rank update of F's first MLP leaves the
  # 1-rank one by 8e-2·rms at step 2; with seeds 2 and 3, without the identity term, or without the mirroring, both
  # stay within 1e-2 (measured 2026-12-03), so this is one rounding-sensitive event of that seed (its NCE logits are
  # divided by τ = 0.07), not a systematic difference; holding a later step to a tolerance would be luck again. The
  # step-level EnCo checks of i2i-mpi-tests compare N ranks with one process from the same weights.
  inspect_extra=""; steps="1 3"
  [ "$model" = enco ] && { inspect_extra="--atol 1e-8"; steps="1"; }
  label="gray, ngf 16"; [ "$model" = ecgan ] && label="brain label maps, ngf 8"
  equivalence "$model: distributed equivalence ($label)" "$steps" $args
  [ "$model" = cyclegan ] &&
    equivalence "$model: distributed equivalence (RGB, ngf 8)" "$steps" $args --input-nc 3 --output-nc 3 --ngf 8 --ndf 8

  echo "== $model: 6 steps, and 3 steps then resumed to 6, end bit-identical"
  args="$(small $model) --seed 2"
  [ "$model" = cyclegan ] && args="$args --pool-size 4"
  $MPIRUN -np 2 $BIN train $args --name $model-full --max-steps 6 >"$work/log" 2>&1 &&
    $MPIRUN -np 2 $BIN train $args --name $model-half --max-steps 3 >>"$work/log" 2>&1 &&
    $MPIRUN -np 2 $BIN train $args --name $model-half --max-steps 6 --resume auto >>"$work/log" 2>&1 &&
    $BIN inspect "$work/ck/$model-full" --compare "$work/ck/$model-half" && for f in "$work/ck/$model-full"/step-00000006/*.safetensors; do
      cmp "$f" "$work/ck/$model-half/step-00000006/$(basename "$f")" || exit 1; done
  rc=$?; [ $rc -eq 0 ] || tail -5 "$work/log"; record "$model: bit-identical resume" $rc

  echo "== $model: resumed on another world size, continues from the global cursor"
  # 6 steps on 2 ranks × batch 1 consume samples 0-11; 2 more steps on 1 rank × batch 1 take samples 12 and 13.
  $BIN train $args --name $model-half --max-steps 8 --resume auto >"$work/log" 2>&1 &&
    grep -q "written by 2 rank(s), now 1" "$work/log" &&
    [ "$(cursor "$work/ck/$model-half/step-00000008")" = 14 ]
  rc=$?; [ $rc -eq 0 ] || tail -5 "$work/log"; record "$model: resume on 1 rank from a 2-rank checkpoint" $rc

  echo "== $model: translate the test images from the checkpoint"
  inputs=$(test_inputs $model)
  $BIN translate --checkpoint "$work/ck/$model-half" --input $inputs --output "$work/tr-$model" >"$work/log" 2>&1 &&
    [ "$(ls "$work/tr-$model"/*.png | wc -l)" = "$(ls $inputs/*.png | wc -l)" ] && [ -f "$work/tr-$model/index.html" ]
  rc=$?; [ $rc -eq 0 ] || tail -5 "$work/log"; record "$model: translations of the test set" $rc
done

echo "== a rank killed during training: non-zero exit within 30 s; the newest checkpoint verifies and resumes"
args="$(small cyclegan) --seed 3 --save-every-steps 2 --keep 2"
$MPIRUN -np 2 $BIN train $args --name killed --max-steps 100000 >"$work/log" 2>&1 &
for _ in $(seq 1 600); do [ -e "$work/ck/killed/latest" ] && break; sleep 0.1; done
start=$(date +%s)
victim=$(pgrep -f "i2i train .*--name killed" | tail -1)
kill -9 "$victim"
wait %1; rc=$?
elapsed=$(( $(date +%s) - start ))
echo "mpirun exit $rc after ${elapsed}s"
newest=$(ls -d "$work/ck/killed"/step-* | tail -1)
[ $rc -ne 0 ] && [ $elapsed -lt 30 ] && $BIN inspect "$newest" &&
  $MPIRUN -np 2 $BIN train $args --name killed --resume auto --max-steps $(( 10#${newest##*step-} + 1 )) >"$work/log" 2>&1 &&
  grep -q "resuming from $newest" "$work/log"
rc=$?; [ $rc -eq 0 ] || tail -5 "$work/log"; record "killed rank: exit within 30 s, checkpoint verifies and resumes" $rc

echo "== SIGTERM to mpirun: every rank saves one checkpoint at the same step and stops"
# The signal goes once a step has been logged: steps are collective, so by then every rank has installed its
# handlers (a signal during start-up, before that, would end a rank by the default action: a busy machine did that).
args="$(small cyclegan) --seed 6 --print-freq 1"
$MPIRUN -np 2 $BIN train $args --name signalled --max-steps 100000 >"$work/log" 2>&1 &
for _ in $(seq 1 1200); do [ -s "$work/ck/signalled/loss_log.jsonl" ] && break; sleep 0.1; done
kill -TERM %1
wait %1
grep -q "stopped by a signal at step" "$work/log" && $BIN inspect "$work/ck/signalled" >/dev/null &&
  $MPIRUN -np 2 $BIN train $args --name signalled --resume auto --max-steps $(( $(ls -d "$work/ck/signalled"/step-* | tail -1 | sed 's/.*step-0*//') + 1 )) >"$work/log" 2>&1
rc=$?; [ $rc -eq 0 ] || tail -5 "$work/log"; record "SIGTERM: checkpoint at a step boundary, then resumes" $rc

echo "== a truncated and a bit-flipped checkpoint file are detected and skipped"
args="$(small cyclegan) --seed 4 --save-every-steps 1 --keep 3"
$BIN train $args --name corrupt --max-steps 3 >"$work/log" 2>&1
truncate -s 100 "$work/ck/corrupt/step-00000003/net_G_A.safetensors"
printf '\x55' | dd of="$work/ck/corrupt/step-00000002/net_D_B.safetensors" bs=1 seek=200 conv=notrunc status=none
$BIN train $args --name corrupt --max-steps 4 --resume auto >"$work/log" 2>&1 &&
  grep -q "skipping checkpoint .*step-00000003.*net_G_A.safetensors is corrupt" "$work/log" &&
  grep -q "skipping checkpoint .*step-00000002.*net_D_B.safetensors is corrupt" "$work/log" &&
  grep -q "resuming from .*step-00000001" "$work/log"
rc=$?; [ $rc -eq 0 ] || tail -5 "$work/log"; record "corrupt checkpoints skipped with a message" $rc

echo "== a corrupt image stops every rank with an error naming it (or is skipped with --skip-bad-images)"
mkdir -p "$work/data" && cp -r data/fashion-shoes/trainA data/fashion-shoes/trainB "$work/data/"
bad=$(ls "$work/data/trainB"/*.png | sed -n 7p)
head -c 60 "$bad" >"$bad.tmp" && mv "$bad.tmp" "$bad"
args="$(small cyclegan) --dataroot $work/data --seed 5 --serial-batches"
start=$(date +%s)
$MPIRUN -np 2 $BIN train $args --name badimage --batch-size 4 --max-steps 40 >"$work/log" 2>&1
rc=$?; elapsed=$(( $(date +%s) - start ))
[ $rc -ne 0 ] && [ $elapsed -lt 120 ] && grep -q "$(basename "$bad")" "$work/log"
rc=$?; [ $rc -eq 0 ] || tail -5 "$work/log"; record "corrupt image: non-zero exit naming the file" $rc
$MPIRUN -np 2 $BIN train $args --name skipped --batch-size 4 --max-steps 40 --skip-bad-images >"$work/log" 2>&1 &&
  grep -q "warning: .*$(basename "$bad")" "$work/log"
rc=$?; [ $rc -eq 0 ] || tail -5 "$work/log"; record "corrupt image: skipped with a warning under --skip-bad-images" $rc

echo "== translate: native size by default; --preprocess auto shows a load-36/crop-32 generator its training scale"
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $3 * 256 + $4 "x" $7 * 256 + $8}'; }  # IHDR width, height
$BIN train $(small cyclegan) --load-size 36 --name scaled --max-steps 1 >"$work/log" 2>&1 &&
  $BIN translate --checkpoint "$work/ck/scaled" --input data/fashion-shoes/testA --output "$work/tr-auto" --preprocess auto >"$work/log" 2>&1 &&
  grep -q "resized by 36/32" "$work/log" &&
  $BIN translate --checkpoint "$work/ck/scaled" --input data/fashion-shoes/testA --output "$work/tr-none" >"$work/log" 2>&1 &&
  grep -q "native size (--preprocess none" "$work/log" &&
  first=$(ls data/fashion-shoes/testA | head -1) &&
  [ "$(png_size "$work/tr-auto/$first")" = "$(png_size "data/fashion-shoes/testA/$first")" ] &&
  ! cmp -s "$work/tr-auto/$first" "$work/tr-none/$first"
rc=$?; [ $rc -eq 0 ] || tail -3 "$work/log"; record "translate: native size by default, the training scale with --preprocess auto" $rc

summary train-tests
