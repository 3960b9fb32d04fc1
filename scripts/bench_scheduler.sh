#!/usr/bin/env bash
# Compute to reach a population's target under the three allocations of
# `vp exchange run` (atp, equal, halving), over several population seeds.
#
#   scripts/bench_scheduler.sh CONFIG EXPERTS BUDGET_SECONDS SEED...
#   scripts/bench_scheduler.sh configs/exchange_cartpole.yaml 8 600 1 101 201 301
#
# Prints one markdown row per seed (device-seconds and jobs of each
# allocation; a run that stopped short of the target is marked) and the
# sums. Uses target/debug/vp (VP=... to choose another build). Run folders
# go under ${OUT:-/tmp/bench_scheduler}.
set -euo pipefail
config=$1 experts=$2 budget=$3
shift 3
vp=${VP:-target/debug/vp}
out=${OUT:-/tmp/bench_scheduler}
mkdir -p "$out"
echo "| seed | atp s (jobs) | equal s (jobs) | halving s (jobs) |"
echo "|---|---|---|---|"
declare -A total
for seed in "$@"; do
  row="| $seed |"
  for a in atp equal halving; do
    d=$out/$(basename "$config" .yaml)-$a-$seed
    rm -rf "$d" "$d.json"
    "$vp" exchange run --config "$config" --experts "$experts" --budget-seconds "$budget" \
      --allocation $a --seed "$seed" --run-dir "$d" --json > "$d.json" 2> "$d.log" || true
    cell=$(python3 - "$d.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
mark = "" if s["stop"] == "target" else " (" + s["stop"] + ")"
print("%.2f (%d)%s" % (s["device_seconds"], s["jobs"], mark))
PY
)
    secs=${cell%% *}
    total[$a]=$(python3 -c "print(round(${total[$a]:-0} + $secs, 2))")
    row="$row $cell |"
  done
  echo "$row"
done
echo "| sum | ${total[atp]} | ${total[equal]} | ${total[halving]} |"
