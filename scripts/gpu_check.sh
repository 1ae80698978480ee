#!/usr/bin/env bash
# GPU check for issue 12: one command, about 8 minutes on one GPU, no network.
#
#   scripts/gpu_check.sh [OUT_DIR]        # OUT_DIR defaults to $OUT (the device tool's folder), else gpu-check/
#
# Runs, each under its own time limit inside one overall budget (MMRL_GPU_CHECK_BUDGET_S, default 460 s):
#   bench-tiny          mmrl bench train --shape tiny                    (what CI runs, here on the GPU)
#   bench-256m-fast     mmrl bench train --shape smolvlm-256m            (the 256m config: generation.fast on)
#   bench-256m-dynamic  the same with generation.fast=false              (today's dynamic cache, for the ratio)
#   eval-256m           mmrl bench eval --shape smolvlm-256m             (evaluation throughput)
#   pipeline-256m       mmrl pipeline --config experiments/smolvlm-256m.yaml end to end on the bundled sample
#                       with a locally built model of the 256m shape (short: 3 GRPO steps, 4 eval docs)
# and writes summary.json, summary.md, logs.txt and env.txt into OUT_DIR.
#
# Packages: wheels in .whl/ (made by scripts/gpu_wheels.sh where pip works; carry .whl with the tree) are
# installed into /tmp/site first. Models are built locally (random init, SmolVLM shapes); data is the bundled
# sample. MMRL_GPU_CHECK_SMOKE=1 shrinks everything (tiny shapes, few tokens) for a dry run on a CPU.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
DEST=${1:-${OUT:-$ROOT/gpu-check}}
WORK=${MMRL_GPU_CHECK_WORK:-/tmp/mmrl-gpu-check}
BUDGET=${MMRL_GPU_CHECK_BUDGET_S:-460}
SMOKE=${MMRL_GPU_CHECK_SMOKE:-0}
PY=${PYTHON:-python3}
START=$(date +%s)
rm -rf "$WORK" && mkdir -p "$WORK" "$DEST"

if [ "$SMOKE" != 1 ] && compgen -G ".whl/*.whl" >/dev/null; then  # a CPU dry run uses the local environment
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    >"$WORK/install.log" 2>&1 || { echo "wheel install failed"; tail -20 "$WORK/install.log"; }
  export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$ROOT:${PYTHONPATH:-}
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
export MMRL_CACHE_DIR=${MMRL_CACHE_DIR:-$WORK/cache}
export MLFLOW_TRACKING_URI=sqlite:///$WORK/mlruns.db
MMRL=("$PY" -m harness)

if [ "$SMOKE" = 1 ]; then
  BIG=tiny; STEPS=2; WARM=1
  SHRINK=(--set grpo.max_completion_length=16 --set eval.gen_kwargs.max_gen_toks=16 --set grpo.bf16=false
          --set grpo.gradient_checkpointing=false)
else
  BIG=smolvlm-256m; STEPS=6; WARM=2; SHRINK=()
fi
CONFIG=$ROOT/experiments/smolvlm-256m.yaml
cd "$WORK"  # MLflow puts a SQLite store's artifacts under ./mlruns: keep them out of the checkout

{ nvidia-smi 2>&1 || echo "no nvidia-smi"; "$PY" -c "import sys, torch; print(sys.version); \
print('torch', torch.__version__, 'cuda', torch.cuda.is_available())
import importlib
for name in ('transformers', 'trl', 'datasets', 'lm_eval', 'mlflow', 'latex2sympy2_extended', 'pyarrow', 'accelerate'):
    try:
        print(name, getattr(importlib.import_module(name), '__version__', '?'))
    except Exception as exc:
        print(name, 'IMPORT FAILED:', repr(exc))" 2>&1; } >"$WORK/env.txt"

# phase NAME CAP_S CMD...: run CMD (stdout -> NAME.json, stderr -> NAME.log) within min(CAP_S, what the budget has left)
phase() {
  local name=$1 cap=$2; shift 2
  local left=$(( BUDGET - ($(date +%s) - START) - 20 ))
  local limit=$(( cap < left ? cap : left ))
  printf '%q ' "$@" >"$WORK/$name.cmd"
  if [ "$limit" -lt 30 ]; then echo skipped >"$WORK/$name.rc"; echo "$name: skipped (budget)"; return; fi
  timeout -k 10 "$limit" "$@" >"$WORK/$name.json" 2>"$WORK/$name.log"
  local rc=$?
  echo "$rc" >"$WORK/$name.rc"
  echo "$name: rc=$rc after $(( $(date +%s) - START )) s"
}

M256=$("$PY" -c "import torch; from harness.bench import build_shape; \
print(build_shape('$BIG', dtype=torch.float32 if '$SMOKE' == '1' else torch.bfloat16))" 2>"$WORK/build.log" | tail -1)
echo "built $BIG at ${M256:-FAILED} after $(( $(date +%s) - START )) s"

phase bench-tiny 90 "${MMRL[@]}" bench train --shape tiny --steps 4 --json
phase bench-256m-fast 150 "${MMRL[@]}" bench train --shape "$BIG" --config "$CONFIG" --steps "$STEPS" \
  --warmup-steps "$WARM" --json "${SHRINK[@]}"
phase bench-256m-dynamic 90 "${MMRL[@]}" bench train --shape "$BIG" --config "$CONFIG" --steps 2 --warmup-steps 1 \
  --json --set generation.fast=false "${SHRINK[@]}"
phase eval-256m 90 "${MMRL[@]}" bench eval --shape "$BIG" --config "$CONFIG" --limit 8 --batch-size 4 --json \
  "${SHRINK[@]}"
echo "$WORK/pipeline-256m" >"$WORK/pipeline-256m.dir"
phase pipeline-256m 240 "${MMRL[@]}" pipeline --config "$CONFIG" --set data.source=sample \
  --set "model.name_or_path=$M256" --set "output_dir=$WORK/pipeline-256m" --set grpo.max_steps=3 \
  --set grpo.save_steps=100 --set eval.limit=4 --set eval.probe_prompts=2 --set eval.probe_samples=2 "${SHRINK[@]}"

"$PY" -m harness.bench.summary "$WORK" "$DEST" >"$WORK/summary.out" 2>&1 || tail -20 "$WORK/summary.out"
cp "$WORK/env.txt" "$DEST/env.txt"
cat "$DEST/summary.md" 2>/dev/null
echo "GPU check done in $(( $(date +%s) - START )) s; summary in $DEST"
