#!/usr/bin/env bash
# Nothing lost, nothing hung (issue 13): runs of `i2i train` and `i2i translate` as an unlucky user makes them.
#   every kept checkpoint corrupt: --resume auto refuses and changes nothing; two runs with one --name: the second
#   fails at once naming the holder; translate into its own input folder: refused; SIGTERM to mpirun during steps
#   longer than mpirun's kill delay: a checkpoint every time; SIGUSR1: a checkpoint; ranks started with different
#   options: stopped naming the option; a zero-byte image: reported before step 1; a full disk: no temp folder
#   left, resume once freed; a stopped rank: named within --collective-timeout; out-of-range numbers: one-line errors.
# Usage: scripts/fault-tests.sh [BINARY]   (default .build/release/i2i)
set -u
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/i2i}
[ -x "$BIN" ] || { echo "fault-tests: $BIN not built (swift build -c release --product i2i)" >&2; exit 2; }
. scripts/test-lib.sh
tiny() {
  echo --model cyclegan --dataroot data/fashion-shoes --checkpoints-dir "$work/ck" --input-nc 1 --output-nc 1 \
    --load-size 32 --crop-size 32 --ngf 8 --ndf 8 --netG resnet_6blocks --n-epochs 1 --n-epochs-decay 0 --threads 1 \
    --print-freq 1000
}
sums() { find "$1" -type f -name '*.safetensors' | sort | xargs md5sum; }

echo "== every kept checkpoint corrupt: --resume auto refuses, names them, and changes nothing"
$BIN train $(tiny) --name allbad --max-steps 6 --save-every-steps 2 --keep 3 >"$work/log" 2>&1
for s in 2 4 6; do truncate -s 100 "$work/ck/allbad/step-0000000$s/net_D_B.safetensors"; done
before=$(sums "$work/ck/allbad")
$BIN train $(tiny) --name allbad --max-steps 8 --save-every-steps 2 --keep 3 --resume auto >"$work/log" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "none of the 3 checkpoint(s) .* verifies" "$work/log" && grep -q "step-00000006: net_D_B" "$work/log" &&
  [ "$(sums "$work/ck/allbad")" = "$before" ] && [ -d "$work/ck/allbad/step-00000002" ]
rc=$?; [ $rc -eq 0 ] || tail -3 "$work/log"; record "all checkpoints corrupt: resume refuses, files kept" $rc

echo "== two runs with the same --name: the second fails at once, naming the first"
$BIN train $(tiny) --name twice --max-steps 100000 >"$work/log1" 2>&1 &
first=$!
for _ in $(seq 1 300); do [ -e "$work/ck/twice/train_opt.json" ] && break; sleep 0.1; done
start=$(date +%s)
$BIN train $(tiny) --name twice --max-steps 3 --resume auto >"$work/log" 2>&1
rc=$?; elapsed=$(( $(date +%s) - start ))
kill -TERM $first; wait $first
[ $rc -ne 0 ] && [ $elapsed -lt 20 ] && grep -q "in use by another run (pid $first on" "$work/log"
rc=$?; [ $rc -eq 0 ] || tail -3 "$work/log"; record "concurrent run with the same name refused" $rc

echo "== translate into its own input folder (or a folder inside it) is refused; the originals stay"
mkdir -p "$work/in" && cp data/fashion-shoes/testA/*.png "$work/in/"
before=$(md5sum "$work/in"/*.png)
$BIN translate --checkpoint "$work/ck/allbad/step-00000006" --input "$work/in" --output "$work/in" >"$work/log" 2>&1
a=$?
$BIN translate --checkpoint "$work/ck/allbad/step-00000006" --input "$work/in" --output "$work/in/out" >>"$work/log" 2>&1
b=$?
[ $a -ne 0 ] && [ $b -ne 0 ] && grep -q "is the input folder" "$work/log" && grep -q "inside the input folder" "$work/log" &&
  [ "$(md5sum "$work/in"/*.png)" = "$before" ]
rc=$?; [ $rc -eq 0 ] || tail -3 "$work/log"; record "translate refuses its input folder" $rc
# The generator of step 6 is intact (only net_D_B was truncated): translating needs nothing else.
$BIN translate --checkpoint "$work/ck/allbad/step-00000006" --input "$work/in" --output "$work/tr" >"$work/log" 2>&1
rc=$?; [ $rc -eq 0 ] || tail -3 "$work/log"; record "translate works when only a discriminator file is corrupt" $rc

echo "== SIGTERM to the launcher during 3-second steps: every try ends with a checkpoint at a step boundary"
# mpirun itself kills the ranks 1-2 s after its own SIGTERM (odls_base_sigkill_timeout); cluster/forward-signals.sh,
# which make and the Slurm kits launch through, passes the first TERM on as USR1, which mpirun forwards.
ok=0
for try in $(seq 1 10); do
  rm -rf "$work/ck/long"
  cluster/forward-signals.sh $MPIRUN -np 2 $BIN train $(tiny) --ngf 16 --ndf 16 --batch-size 140 --n-epochs 100 \
    --name long --max-steps 1000 >"$work/log" 2>&1 &
  for _ in $(seq 1 600); do [ -e "$work/ck/long/train_opt.json" ] && break; sleep 0.1; done
  sleep "$(( try % 4 )).$(( try * 37 % 10 ))"  # at different points of a step
  kill -TERM %1; wait %1
  if grep -q "stopped by a signal at step" "$work/log" && $BIN inspect "$work/ck/long" >/dev/null; then ok=$((ok + 1))
  else tail -3 "$work/log"; fi
done
echo "checkpointed in $ok of 10 tries"
[ $ok -eq 10 ]; record "SIGTERM with 3-second steps: checkpoint in 10 of 10 tries" $?

echo "== SIGUSR1 to mpirun itself (Slurm's --signal=USR1 after the kit's forwarding): a checkpoint, then exit"
rm -rf "$work/ck/usr1"
$MPIRUN -np 2 $BIN train $(tiny) --name usr1 --max-steps 100000 >"$work/log" 2>&1 &
for _ in $(seq 1 600); do [ -e "$work/ck/usr1/train_opt.json" ] && break; sleep 0.1; done
sleep 1
kill -USR1 %1; wait %1; rc=$?
[ $rc -ne 0 ] && grep -q "stopped by a signal at step" "$work/log" && $BIN inspect "$work/ck/usr1" >/dev/null
rc=$?; [ $rc -eq 0 ] || tail -3 "$work/log"; record "SIGUSR1: checkpoint and stop" $rc

echo "== ranks started with different options stop, naming the option and both values"
$MPIRUN -np 1 $BIN train $(tiny) --name mismatch --max-steps 2 --lambda-A 10 : \
  -np 1 $BIN train $(tiny) --name mismatch --max-steps 2 --lambda-A 0.001 >"$work/log" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q -- "--lambda-A: rank 0 has 10, rank 1 has 0.001" "$work/log" && [ ! -d "$work/ck/mismatch/step-00000002" ]
rc=$?; [ $rc -eq 0 ] || tail -3 "$work/log"; record "mismatched options across ranks stop the job" $rc

echo "== a zero-byte image among 400 is reported before the first step, on 2 ranks"
mkdir -p "$work/data" && cp -r data/fashion-shoes/trainA data/fashion-shoes/trainB "$work/data/"
bad=$(ls "$work/data/trainA"/*.png | sed -n 350p)
: >"$bad"
$MPIRUN -np 2 $BIN train $(tiny) --dataroot "$work/data" --name zero --max-steps 400 >"$work/log" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "$(basename "$bad"): empty file" "$work/log" && ! grep -q "step 1/" "$work/log" &&
  [ ! -e "$work/ck/zero/latest" ]
rc=$?; [ $rc -eq 0 ] || tail -3 "$work/log"; record "zero-byte image reported before step 1" $rc

echo "== an image that passes the start-up check but does not decode: every rank checkpoints, then the job stops"
mkdir -p "$work/data2" && cp -r data/fashion-shoes/trainA data/fashion-shoes/trainB "$work/data2/"
bad=$(ls "$work/data2/trainA"/*.png | sed -n 9p)
size=$(stat -c %s "$bad")
printf '\xff%.0s' $(seq 1 24) | dd of="$bad" bs=1 seek=$(( size / 2 )) conv=notrunc status=none  # inside the image data
$MPIRUN -np 2 $BIN train $(tiny) --dataroot "$work/data2" --serial-batches --name middecode --max-steps 40 >"$work/log" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "$(basename "$bad")" "$work/log" && [ -e "$work/ck/middecode/latest" ] &&
  $BIN inspect "$work/ck/middecode" >/dev/null && grep -q "saved checkpoint .*step-0000000[1-4]" "$work/log"
rc=$?; [ $rc -eq 0 ] || tail -4 "$work/log"; record "mid-run decode error: every rank checkpoints, then stops naming the file" $rc

echo "== a full disk: the failed checkpoint leaves no temp folder, says the space needed; resume works once freed"
disk="$work/disk"; mkdir -p "$disk"
if mount -t tmpfs -o size=24M tmpfs "$disk"; then
  $BIN train $(tiny) --checkpoints-dir "$disk" --name full --max-steps 2 >"$work/log" 2>&1
  size=$(du -sm "$disk/full/step-00000002" | cut -f1)
  fallocate -l "$(( 24 - size * 2 + 1 ))M" "$disk/filler" 2>/dev/null || dd if=/dev/zero of="$disk/filler" bs=1M count=$(( 24 - size * 2 + 1 )) status=none
  mkdir "$disk/full/.step-00000009.tmp-999999"   # what a SIGKILLed writer (pid 999999, gone) left
  $BIN train $(tiny) --checkpoints-dir "$disk" --name full --max-steps 4 --resume auto >"$work/log" 2>&1
  a=$?
  left=$(ls -a "$disk/full" | grep -c '^\.step-')
  grep -q "MiB free in" "$work/log" && grep -q "removed .*step-00000009.tmp-999999" "$work/log"
  b=$?
  rm -f "$disk/filler"
  $BIN train $(tiny) --checkpoints-dir "$disk" --name full --max-steps 4 --resume auto >>"$work/log" 2>&1 &&
    grep -q "resuming from .*step-00000002" "$work/log" && [ -d "$disk/full/step-00000004" ]
  c=$?
  umount "$disk"
  [ $a -ne 0 ] && [ "$left" = 0 ] && [ $b -eq 0 ] && [ $c -eq 0 ]
  rc=$?; [ $rc -eq 0 ] || { echo "exit $a, temp folders left $left, messages $b, resume $c"; tail -3 "$work/log"; }
else
  echo "cannot mount a tmpfs here (the test needs root)"; rc=1
fi
record "full disk: no temp folder left, space named, resume after freeing" $rc

echo "== a stopped rank: the others give up after --collective-timeout, naming it"
$MPIRUN -np 3 $BIN train $(tiny) --name stalled --max-steps 100000 --collective-timeout 5 >"$work/log" 2>&1 &
for _ in $(seq 1 300); do [ -e "$work/ck/stalled/train_opt.json" ] && break; sleep 0.1; done
sleep 1
victim=$(pgrep -f "i2i train .*--name stalled" | tail -1)
victim_rank=$(tr '\0' '\n' <"/proc/$victim/environ" | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
kill -STOP "$victim"
start=$(date +%s)
wait %1; rc=$?
elapsed=$(( $(date +%s) - start ))
kill -CONT "$victim" 2>/dev/null; kill -9 "$victim" 2>/dev/null
echo "rank $victim_rank stopped; mpirun exit $rc after ${elapsed}s"
[ $rc -ne 0 ] && [ $elapsed -lt 30 ] && grep -q "collective-timeout 5 s: .*rank $victim_rank did not answer" "$work/log"
rc=$?; [ $rc -eq 0 ] || tail -3 "$work/log"; record "stopped rank named within the watchdog time" $rc

echo "== out-of-range numbers: a one-line error naming the option, no crash, no run folder"
bad=0
for case in "--batch-size 99999999999" "--lr nan" "--beta1 2" "--threads -1" "--threads 100000" "--name ../../x" \
            "--collective-timeout -1"; do
  $BIN train $(tiny) --name ranges $case --max-steps 1 >"$work/log" 2>&1
  rc=$?
  option=${case%% *}
  if [ $rc -eq 0 ] || [ $rc -gt 128 ] || ! grep -q -- "$option" "$work/log" || grep -q -i "fatal error\|backtrace" "$work/log" ||
     [ -e "$work/ck/ranges" ] || [ -e "$work/x" ]; then
    echo "  $case: exit $rc: $(head -2 "$work/log")"; bad=1
  fi
done
for cmd in "self-check --threads 0" "data prepare fashion --out $work/prep --size 100000" \
           "data prepare fashion --out $work/prep --train-limit -1"; do
  $BIN $cmd >"$work/log" 2>&1
  rc=$?
  if [ $rc -eq 0 ] || [ $rc -gt 128 ] || grep -q -i "fatal error\|backtrace" "$work/log" || [ -e "$work/prep" ]; then
    echo "  i2i $cmd: exit $rc: $(head -2 "$work/log")"; bad=1
  fi
done
record "out-of-range numbers give one-line errors" $bad

echo "== another run's checkpoint needs --allow-other-run; a path error says what is wrong with which path"
$BIN train $(tiny) --name other --seed 7 --max-steps 2 >"$work/log" 2>&1 || tail -3 "$work/log"
$BIN train $(tiny) --name mine --max-steps 3 --resume "$work/ck/other" >"$work/log" 2>&1
a=$?
grep -q "belongs to another run (--name other there, mine here; --seed 7 there, 0 here)" "$work/log"
b=$?
$BIN train $(tiny) --name mine2 --max-steps 3 --resume "$work/ck/other" --allow-other-run >>"$work/log" 2>&1
c=$?
: >"$work/plainfile"
$BIN train $(tiny) --checkpoints-dir "$work/plainfile" --name x --max-steps 1 >"$work/log2" 2>&1
d=$?
grep -q "error: $work/plainfile/x: cannot be written (Not a directory)" "$work/log2" && ! grep -q NSCocoaErrorDomain "$work/log2"
e=$?
$BIN train --model cut --dataroot data/fashion-shoes --negatives global --nce-includes-all-negatives-from-minibatch \
  >"$work/log3" 2>&1
f=$?
[ $a -ne 0 ] && [ $b -eq 0 ] && [ $c -eq 0 ] && [ $d -ne 0 ] && [ $e -eq 0 ] && [ $f -ne 0 ] && grep -q "conflicts with --negatives global" "$work/log3"
rc=$?; [ $rc -eq 0 ] || { echo "$a $b $c $d $e $f"; tail -2 "$work/log" "$work/log2" "$work/log3"; }
record "other run's checkpoint refused without --allow-other-run; readable path and conflict errors" $rc

summary fault-tests
