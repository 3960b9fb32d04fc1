#!/usr/bin/env bash
# SAC on Pendulum-v1: Stable-Baselines3 against `vp train --algorithm sac`,
# same settings, for steps per second (and the final deterministic return).
#
#   scripts/bench_sac_sb3.sh [STEPS] [SEED]      (defaults 30000 and 1)
#
# Environment: VP (the vp binary, default target/release/vp: build it with
# `cargo build --release -p train`), SB3_VENV (default /tmp/sb3venv, made
# with `python3 -m venv $SB3_VENV && $SB3_VENV/bin/pip install
# stable-baselines3 gymnasium` when missing), OUT (default
# /tmp/bench_sac_sb3), THREADS (torch threads, default: torch's choice).
#
# Settings (CleanRL's sac_continuous_action.py, as `vp` uses them):
# MlpPolicy with net_arch 256-256 for actor and critics, buffer 1e6,
# learning_starts 5000, batch 256, gamma 0.99, tau 0.005, train_freq 1,
# gradient_steps 1, ent_coef "auto" (starts at 1, target entropy -|A|),
# target update every step. Differences SB3 cannot remove:
# - SB3 has one learning rate for actor, critics and alpha; this uses
#   1e-3 (CleanRL's q lr, rl-zoo's Pendulum value); vp uses 3e-4 for the
#   actor and 1e-3 for the critics and log alpha.
# - SB3's SAC has no policy delay: every gradient step updates critics,
#   actor and alpha once. CleanRL and vp update the critics every step and
#   the actor and alpha twice every second step (on the same batch), so
#   both do one actor update per env step on average.
# - SB3 clips the actor's log-std to [-20, 2]; CleanRL and vp squash it
#   with tanh into [-5, 2].
# Both run on the CPU. Time them on an otherwise idle machine: a build
# running beside them changes steps/s, not the learning.
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS="${1:-30000}"
SEED="${2:-1}"
VP="${VP:-target/release/vp}"
SB3_VENV="${SB3_VENV:-/tmp/sb3venv}"
OUT="${OUT:-/tmp/bench_sac_sb3}"
mkdir -p "$OUT"

if [ ! -x "$SB3_VENV/bin/python" ] || ! "$SB3_VENV/bin/python" -c "import stable_baselines3" 2>/dev/null; then
  echo "== installing stable-baselines3 and gymnasium into $SB3_VENV (minutes)"
  python3 -m venv "$SB3_VENV"
  "$SB3_VENV/bin/pip" install -q stable-baselines3 gymnasium
fi
if [ ! -x "$VP" ]; then
  echo "no vp binary at $VP: build it with cargo build --release -p train (or set VP)" >&2
  exit 1
fi

echo "== Stable-Baselines3 SAC, Pendulum-v1, $STEPS steps, seed $SEED"
THREADS="${THREADS:-}" "$SB3_VENV/bin/python" - "$STEPS" "$SEED" "$OUT" <<'PY'
import json, os, sys, time

import gymnasium as gym
import numpy as np
import stable_baselines3
import torch
from stable_baselines3 import SAC

steps, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
if os.environ.get("THREADS"):
    torch.set_num_threads(int(os.environ["THREADS"]))
env = gym.make("Pendulum-v1")
model = SAC(
    "MlpPolicy",
    env,
    learning_rate=1e-3,
    buffer_size=1_000_000,
    learning_starts=5000,
    batch_size=256,
    tau=0.005,
    gamma=0.99,
    train_freq=1,
    gradient_steps=1,
    ent_coef="auto",
    target_update_interval=1,
    policy_kwargs=dict(net_arch=[256, 256]),
    seed=seed,
    device="cpu",
    verbose=0,
)
start = time.perf_counter()
model.learn(total_timesteps=steps)
wall = time.perf_counter() - start

# Deterministic evaluation on 20 held-out seeds (5000..5019).
eval_env = gym.make("Pendulum-v1")
returns = []
for k in range(20):
    obs, _ = eval_env.reset(seed=5000 + k)
    done, total = False, 0.0
    while not done:
        action, _ = model.predict(obs, deterministic=True)
        obs, reward, terminated, truncated, _ = eval_env.step(action)
        total += float(reward)
        done = terminated or truncated
    returns.append(total)
result = {
    "impl": f"stable-baselines3 {stable_baselines3.__version__} (torch {torch.__version__}, {torch.get_num_threads()} threads)",
    "steps": steps,
    "seed": seed,
    "wall_s": round(wall, 1),
    "steps_per_s": round(steps / wall, 1),
    "eval_mean_return_20": round(float(np.mean(returns)), 1),
}
print(json.dumps(result))
with open(os.path.join(out, f"sb3_seed{seed}.json"), "w") as f:
    json.dump(result, f)
PY

echo "== vp train --algorithm sac, Pendulum-v1, $STEPS steps, seed $SEED"
RUN="$OUT/vp_seed$SEED"
rm -rf "$RUN"
start=$(date +%s.%N)
"$VP" train --algorithm sac --config configs/pendulum_sac.yaml --total-steps "$STEPS" \
  --seed "$SEED" --run-dir "$RUN" --eval-episodes 20 >"$OUT/vp_seed$SEED.log" 2>&1
end=$(date +%s.%N)
"$VP" evaluate --policy "$RUN/checkpoints/model_latest" --episodes 20 --seed 5000 --json \
  >"$OUT/vp_seed${SEED}_eval.json" 2>/dev/null
python3 - "$STEPS" "$SEED" "$start" "$end" "$OUT/vp_seed${SEED}_eval.json" <<'PY'
import json, sys
steps, seed, start, end, path = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
wall = end - start
ret = json.load(open(path))["mean_return"]
print(json.dumps({"impl": "vp (burn CPU backend)", "steps": steps, "seed": seed,
                  "wall_s": round(wall, 1), "steps_per_s": round(steps / wall, 1),
                  "eval_mean_return_20": round(ret, 1)}))
PY
tail -1 "$OUT/vp_seed$SEED.log"
