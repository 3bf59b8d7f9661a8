#!/usr/bin/env bash
# On a machine with a CUDA GPU: ResNet-18 SimCLR on CIFAR-10 for 10 minutes, then views/s and kNN on the
# 10,000 test images (memory: the 50,000 training images), as issue 13's GPU row asks.
#
#   bench/gpu.sh [CIFAR10_JPEG_ZIP] [SECONDS]
#
# The zip is the CIFAR-10 JPEG release (train/<class>/*.jpg, test/<class>/*.jpg); it is converted once into
# torchvision's cifar-10-batches-py layout under $SIMCLR_DATA (default /tmp/simclr-gpu-data). Without a
# zip, CIFAR-10 must already be there (python -m simclr.data download cifar10 --root "$SIMCLR_DATA").
set -euo pipefail
ZIP=${1:-../shared/data/cifar10-jpeg.zip}
SECONDS_BUDGET=${2:-600}
export SIMCLR_DATA=${SIMCLR_DATA:-/tmp/simclr-gpu-data}
RUN=${RUN:-/tmp/simclr-gpu-run-$(date +%Y%m%d-%H%M%S)}
python - <<'PY'
import torch
assert torch.cuda.is_available(), "bench/gpu.sh needs a CUDA GPU"
print("GPU:", torch.cuda.get_device_name(0), "| torch", torch.__version__)
PY
if [ ! -f "$SIMCLR_DATA/cifar-10-batches-py/test_batch" ]; then
  python -m bench.cifar_jpeg "$ZIP" "$SIMCLR_DATA"
fi
nvidia-smi --query-gpu=name,memory.used,memory.total,utilization.gpu --format=csv || true
# The paper's CIFAR-10 setting (appendix B.9) on ResNet-18, bf16 autocast, channels_last, compiled.
python -m simclr.train --recipe "Paper B.9 (CIFAR-10)" --seconds "$SECONDS_BUDGET" --device cuda \
  --compile --eval-every 1000 --eval-images 50000 --out "$RUN"
python - "$RUN" <<'PY'
import json, sys
from pathlib import Path
import torch
from simclr.data import load_dataset
from simclr.evaluate.embed import embed
from simclr.evaluate.knn import knn_accuracy
from simclr.model.checkpoint import load_checkpoint
run = Path(sys.argv[1])
summary = json.loads((run / "summary.json").read_text())
model, _ = load_checkpoint(run / "last.pt")
model = model.cuda()
train, test = load_dataset("cifar10", split="train"), load_dataset("cifar10", split="test")
h_train, _ = embed(model, train.images, device="cuda")
h_test, _ = embed(model, test.images, device="cuda")
knn = knn_accuracy(h_train, train.labels, h_test, test.labels, k=20)
pixels = knn_accuracy(train.images.flatten(1).float(), train.labels, test.images.flatten(1).float(), test.labels, k=20)
print(f"steps {summary['steps']}, {summary['seconds']:.0f} s, {summary['views_per_second']:,.0f} views/s")
print(f"kNN (k=20) on the 10,000 test images: {knn:.4f} (raw pixels {pixels:.4f})")
PY
