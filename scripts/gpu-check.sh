#!/usr/bin/env bash
# GPU readiness check, for a machine with a CUDA device (under 8 minutes on one GPU).
#
#   HEBBIAN_TORCH='torch==2.13.0' scripts/gpu-check.sh [OUT_DIR]
#
# HEBBIAN_TORCH is the torch requirement scripts/setup.sh installs (see there): pick a
# CUDA build of torch for your machine (on Linux the PyPI wheel `torch==X` is one; from
# another index, e.g. `--index-url https://download.pytorch.org/whl/cu126 torch==X`,
# set PIP_INDEX_URL as well). Outputs go to OUT_DIR (default runs/gpu-check):
#
#   gpu.txt                  the GPU and the torch build seen
#   pytest-cuda.log          the tests that skip without CUDA, run here (pytest -k cuda):
#                            estimators (OjaPCA/SangerPCA), CompetingHiddenUnits and
#                            competing_epoch, the plastic networks, the Hebbian layer and
#                            rules, the spiking neurons, STDP and Song-Abbott network, the
#                            pattern data sets; plus the one-line refusal of device='cuda'
#                            where CUDA is missing (simulated)
#   competing-cuda.json      benchmarks/competing.py --device cuda (the GPU row)
#   plastic-cuda.json        benchmarks/plastic.py --quick --device cuda (the GPU row)
#   same-numbers.json        krotov-digits, bcm-selectivity and plastic-patterns at the
#                            tour's settings on the GPU and on the CPU, side by side
#   summary.txt              one line per step: ok or FAILED
#
# benchmarks/hopfield.py and benchmarks/stdp.py have no --device option: they compare
# with CPU peers (NumPy, Brian2) and are CPU-only, so they are not run here.
#
# Without a CUDA device it stops at once with one line, "no CUDA device: ...", exit 1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/runs/gpu-check}"

no_cuda() {
  echo "no CUDA device: $1" >&2
  exit 1
}

# fail fast, before installing anything, where there is plainly no NVIDIA GPU
if ! command -v nvidia-smi >/dev/null 2>&1 && ! ls /dev/nvidia0 >/dev/null 2>&1; then
  no_cuda "nvidia-smi is not installed and /dev/nvidia0 does not exist; run this on a CUDA machine"
fi

# shellcheck source=scripts/setup.sh
HEBBIAN_NO_BROWSER=1 source "$ROOT/scripts/setup.sh"
cd "$ROOT"

reason="$(python - <<'EOF'
import torch
if not torch.cuda.is_available():
    build = torch.version.cuda or "none (a CPU build)"
    print(f"torch {torch.__version__} (CUDA build: {build}) sees no GPU; "
          "set HEBBIAN_TORCH to a CUDA build of torch (see scripts/setup.sh)")
EOF
)"
[ -z "$reason" ] || no_cuda "$reason"

mkdir -p "$OUT"
: > "$OUT/summary.txt"
failed=0
step() {  # step NAME SECONDS COMMAND...: run with a time limit, log, record ok/FAILED
  local name="$1" limit="$2"
  shift 2
  local started=$SECONDS
  echo "gpu-check: $name ..." >&2
  if timeout "$limit" "$@" > "$OUT/$name.log" 2>&1; then
    echo "ok      $name ($((SECONDS - started)) s)" | tee -a "$OUT/summary.txt"
  else
    echo "FAILED  $name (exit $?, $((SECONDS - started)) s; see $OUT/$name.log)" \
      | tee -a "$OUT/summary.txt"
    failed=1
  fi
}

{
  nvidia-smi -L 2>/dev/null || true
  python -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda,
'device', torch.cuda.get_device_name(0), 'count', torch.cuda.device_count())"
} > "$OUT/gpu.txt"
cat "$OUT/gpu.txt" >&2

# 1. the tests that skip without CUDA; none may be skipped here
step pytest-cuda 120 python -m pytest tests -k cuda -p no:cacheprovider -q -rs
if grep -q "SKIPPED" "$OUT/pytest-cuda.log"; then
  echo "FAILED  pytest-cuda: some CUDA tests were skipped (see $OUT/pytest-cuda.log)" \
    | tee -a "$OUT/summary.txt"
  failed=1
fi

# 2. the benchmarks' GPU rows (the full competing epoch needs Fashion-MNIST)
if python -c "from hebbian.data import load_dataset; load_dataset('fashion-mnist', 'train')" \
    >/dev/null 2>&1; then
  quick=()
else
  quick=(--quick)  # 6,000 random stand-in images; the full epoch needs Fashion-MNIST in
  # --data-dir, $HEBBIAN_DATA or /usr/share/datasets (apt-get install dataset-fashion-mnist)
fi
step competing-cuda 150 python benchmarks/competing.py ${quick[@]+"${quick[@]}"} --device cuda \
  --numpy-batches 5 --out "$OUT/competing-cuda.json"
step plastic-cuda 150 python benchmarks/plastic.py --quick --device cuda \
  --output "$OUT/plastic-cuda.json"

# 3. the same recipes on the GPU and the CPU: discrete results must agree
step same-numbers 150 python - "$OUT" <<'EOF'
import json, math, sys, tempfile
import torch
from hebbian.experiments import build_config, execute, get_recipe
from hebbian.report.html import flatten_results

out = sys.argv[1]
# fractions of counted outcomes (argmax, signs): they differ only if training itself
# drifted apart; listed, not failed (float32 training noise can grow over many steps)
COUNTED = ("accuracy", "bit_error")
report, disagree, counted = {}, [], []
for name in ("krotov-digits", "bcm-selectivity", "plastic-patterns"):
    recipe = get_recipe(name)
    config = build_config(recipe.config_type, recipe.tour)
    runs = {}
    for device in ("cpu", "cuda"):
        with tempfile.TemporaryDirectory() as folder:
            runs[device] = flatten_results(execute(recipe, config, folder, device=device)["results"])
    rows = {}
    for key, cpu in runs["cpu"].items():
        if key.endswith("_wall_seconds"):
            continue
        gpu = runs["cuda"][key]
        rows[key] = {"cpu": cpu, "cuda": gpu}
        if isinstance(cpu, float) and isinstance(gpu, float) and math.isfinite(cpu):
            rows[key]["relative_difference"] = abs(gpu - cpu) / max(abs(cpu), 1e-30)
            if cpu != gpu and any(word in key for word in COUNTED):
                counted.append(f"{name}: {key} cpu={cpu!r} cuda={gpu!r}")
        elif cpu != gpu:  # ints, lists, None: discrete outcomes must be equal
            disagree.append(f"{name}: {key} cpu={cpu!r} cuda={gpu!r}")
    report[name] = rows
    print(name, "done", flush=True)
with open(f"{out}/same-numbers.json", "w") as handle:
    json.dump(
        {"results": report, "discrete_disagreements": disagree, "counted_fractions_that_differ": counted},
        handle, indent=2,
    )
for line in disagree:
    print("differs:", line)
for line in counted:
    print("counted fraction differs (not failed):", line)
sys.exit(1 if disagree else 0)
EOF

echo "gpu-check: outputs in $OUT" >&2
cat "$OUT/summary.txt" >&2
exit "$failed"
