#!/bin/bash
# Translation quality of i2i against the official PyTorch code, trained side by side with `make run`'s settings on
# data/fashion-shoes and judged by `i2i eval score` (the committed classifier: fraction judged the target class, and
# KID×10³ against the real test images of that class). Measurement only: needs Python + torch + dominate and
# checkouts of the official repositories; nothing in the build or the tests runs it.
#
# Usage: scripts/quality-vs-official.sh OUT CUT_REPO ENCO_REPO MODELS SEEDS
#   e.g. scripts/quality-vs-official.sh /work/quality /work/official/cut /work/official/enco "cyclegan cut enco" "1 2"
#   CUT_REPO: taesungp/contrastive-unpaired-translation (CycleGAN and CUT); ENCO_REPO: XiudingCai/EnCo-pytorch.
# Both sides train with a global batch of 4: i2i as `make run` does (2 ranks × batch 2), the official code as one
# process with --batch_size 4 (instance norm is per image, so the two are the same step). Official runs go through
# scripts/run_official.py (a fixed seed, and three documented fixes without which the CUT repository's code does
# not run on gray images or at all for cycle_gan). Results: OUT/results.tsv and a markdown table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 5 ] || { sed -n 2,12p "$0"; exit 2; }
OUT=$(mkdir -p "$1" && cd "$1" && pwd); CUT_REPO=$2; ENCO_REPO=$3; MODELS=$4; SEEDS=$5
BIN=.build/release/i2i
[ -x "$BIN" ] || swift build -c release --product i2i
DATA=$PWD/data/fashion-shoes
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN="mpirun --oversubscribe --bind-to none -np 2"
# make run's settings (Makefile RUN_ARGS), for both sides.
I2I_ARGS="--dataroot $DATA --input-nc 1 --output-nc 1 --load-size 32 --crop-size 32 --ngf 32 --ndf 32
  --netG resnet_6blocks --batch-size 2 --n-epochs 3 --n-epochs-decay 3 --save-epoch-freq 100 --print-freq 400"
OFFICIAL_ARGS="--dataroot $DATA --input_nc 1 --output_nc 1 --load_size 32 --crop_size 32 --ngf 32 --ndf 32
  --netG resnet_6blocks --batch_size 4 --n_epochs 3 --n_epochs_decay 3 --gpu_ids -1 --display_id 0 --no_html
  --print_freq 400 --save_epoch_freq 3"   # 3 divides the 6 epochs: the official train.py saves only then

official_model_args() {  # the official options that choose the method (i2i's defaults for the model)
  case $1 in
    cyclegan) echo "--model cycle_gan --no_antialias --no_antialias_up --init_type normal" ;;
    cut) echo "--model cut --num_patches 64" ;;
    enco) echo "--model enco --netF mlp_sample_with_DAG --lambda_IDT 10 --lambda_NCE 2 --lr_G 5e-5 --lr_F 5e-5
      --lr_D 2e-4 --flip_equivariance True --nce_layers 3,7,13,15,21,25 --num_patches 64 --warmup_epochs 2" ;;
  esac
}
official_test_args() { official_model_args "$1" | sed 's/--warmup_epochs [0-9]*//'; }  # a train.py option
official_repo() { [ "$1" = enco ] && echo "$ENCO_REPO" || echo "$CUT_REPO"; }
# CycleGAN has no --num-patches (each model takes only its own options).
i2i_model_args() {
  case $1 in
    cyclegan) echo "--model cyclegan" ;;
    enco) echo "--model enco --warmup-epochs 2 --num-patches 64" ;;
    *) echo "--model $1 --num-patches 64" ;;
  esac
}

score() {  # score SIDE MODEL SEED DIRECTION FOLDER CLASS REAL
  local line
  line=$("$BIN" eval score --images "$5" --class "$6" --real "$7" | grep '^eval:')
  local judged=${line#*judged=}; judged=${judged%% *}; local kid=${line#*kid1e3=}
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$judged" "$kid" >>"$OUT/results.tsv"
}

: >"$OUT/results.tsv"
for model in $MODELS; do
  for seed in $SEEDS; do
    name=$model-seed$seed
    # i2i, as make run (a finished run in OUT is kept: rerunning the script only redoes what is missing)
    if [ ! -e "$OUT/i2i/$name/latest" ]; then
      rm -rf "$OUT/i2i/$name"
      $MPIRUN "$BIN" train $(i2i_model_args $model) $I2I_ARGS --seed "$seed" --name "$name" \
        --checkpoints-dir "$OUT/i2i" >"$OUT/i2i-$name.log" 2>&1
    fi
    rm -rf "$OUT/i2i-results/$name"
    "$BIN" translate --checkpoint "$OUT/i2i/$name" --direction AtoB --input "$DATA/testA" \
      --output "$OUT/i2i-results/$name/AtoB" >>"$OUT/i2i-$name.log" 2>&1
    score i2i $model $seed AtoB "$OUT/i2i-results/$name/AtoB" ankle-boot "$DATA/testB"
    if [ $model = cyclegan ]; then
      "$BIN" translate --checkpoint "$OUT/i2i/$name" --direction BtoA --input "$DATA/testB" \
        --output "$OUT/i2i-results/$name/BtoA" >>"$OUT/i2i-$name.log" 2>&1
      score i2i $model $seed BtoA "$OUT/i2i-results/$name/BtoA" sneaker "$DATA/testA"
    fi
    # the official code
    repo=$(official_repo $model)
    if ! ls "$OUT/official/$name"/latest_net_G*.pth >/dev/null 2>&1; then
      rm -rf "$OUT/official/$name"
      python3 scripts/run_official.py --repo "$repo" --seed "$seed" train.py $(official_model_args $model) \
        $OFFICIAL_ARGS --name "$name" --checkpoints_dir "$OUT/official" >"$OUT/official-$name.log" 2>&1
    fi
    rm -rf "$OUT/official-results/$name"
    python3 scripts/run_official.py --repo "$repo" --seed "$seed" test.py $(official_test_args $model) \
      --dataroot "$DATA" --input_nc 1 --output_nc 1 --load_size 32 --crop_size 32 --ngf 32 --ndf 32 \
      --netG resnet_6blocks --gpu_ids -1 --name "$name" --checkpoints_dir "$OUT/official" \
      --results_dir "$OUT/official-results" --num_test 100 >"$OUT/official-$name-test.log" 2>&1
    images="$OUT/official-results/$name/test_latest/images"
    score official $model $seed AtoB "$images/fake_B" ankle-boot "$DATA/testB"
    [ $model != cyclegan ] || score official $model $seed BtoA "$images/fake_A" sneaker "$DATA/testA"
  done
done

echo "| side | model | seed | direction | judged target class | KID×10³ vs real test images |"
echo "|---|---|---|---|---|---|"
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$OUT/results.tsv"
