#!/usr/bin/env bash
# The GPU checks and measurements (benchmarks/train_bench.py, whole_run_bench.py and
# cuda_graphs_check.py) as one prepared run on a lent GPU machine (about
# 7 minutes on an H100; its python3 has torch, torchvision, safetensors and pandas, no Streamlit):
#   here, once:    scripts/stage-device-data.sh
#   on the device: command "bash benchmarks/device_check.sh", carry [".device"], timeout_s 600
# Results land in $OUT. A CPU dry run of the same steps: DEVICE=cpu QUICK=1 bash benchmarks/device_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
export CNNVIZ_DATA="$PWD/.device/fashion-mnist" CNNVIZ_HOME=/tmp/cnnviz-device-home
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
# CUDA graphs are opt-in in the app until this check has passed; the measurements use them.
export CNNVIZ_CUDA_GRAPHS=${CNNVIZ_CUDA_GRAPHS:-1}
py=${PYTHON:-python3}
out=${OUT:-/tmp/cnnviz-device-out}
mkdir -p "$out"
device=${DEVICE:-cuda}
if [ -n "${QUICK:-}" ]; then epochs=1; limit="--limit 2000"; batches=20; else epochs=10; limit=""; batches=100; fi

{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
  $py -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
} 2>&1 | tee "$out/machine.txt"

echo "== smoke: python -m cnnviz train on $device" | tee "$out/smoke.txt"
$py -m cnnviz train --preset LeNet --epochs 2 --limit 5000 --device "$device" --json 2>&1 \
  | tee -a "$out/smoke.txt"

echo "== CUDA graphs against eager: same test accuracy, examples/s" | tee "$out/cuda_graphs.txt"
if [ -n "${QUICK:-}" ]; then gargs="--epochs 1 --limit 2000 --resnet-epochs 1 --resnet-limit 256"; else gargs=""; fi
# shellcheck disable=SC2086
$py benchmarks/cuda_graphs_check.py --device "$device" $gargs 2>&1 | tee -a "$out/cuda_graphs.txt"

echo "== examples/s against the plain d2l loop" | tee "$out/train_bench.txt"
$py benchmarks/train_bench.py --no-memory --repeats "${REPEATS:-2}" --batches "$batches" 2>&1 \
  | tee -a "$out/train_bench.txt"

echo "== whole runs: Start to last epoch, first point" | tee "$out/whole_run.txt"
# shellcheck disable=SC2086
$py benchmarks/whole_run_bench.py --epochs "$epochs" --models LeNet,ResNet-18 \
  --device "$device" $limit 2>&1 | tee -a "$out/whole_run.txt"
