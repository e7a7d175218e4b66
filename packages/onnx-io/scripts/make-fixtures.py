#!/usr/bin/python3
"""Regenerates the PyTorch-exported ONNX fixtures in ../fixtures with Debian's python3-torch.

Run from anywhere:  /usr/bin/python3 packages/onnx-io/scripts/make-fixtures.py

Writes torch-mlp.onnx, torch-cnn.onnx and torch-mixed.onnx (NCHW input [N,1,28,28], dynamic batch) and, for a fixed
seeded input, the input and PyTorch's outputs as JSON, so the tests need no Python.
"""
import json
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(784, 32)
        self.bn = nn.BatchNorm1d(32)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.flatten(x)
        x = torch.relu(self.fc1(x))
        x = self.drop(self.bn(x))
        return self.fc2(x)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.bn = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 12, 3, stride=1, padding=0)
        self.flatten = nn.Flatten()
        self.drop = nn.Dropout(0.25)
        self.fc1 = nn.Linear(12 * 6 * 6, 24)
        self.fc2 = nn.Linear(24, 10)

    def forward(self, x):
        x = self.bn(self.pool(torch.relu(self.conv1(x))))  # BN after pooling: not folded into the conv
        x = self.pool(torch.relu(self.conv2(x)))
        x = self.drop(self.flatten(x))
        x = torch.relu(self.fc1(x))
        return torch.softmax(self.fc2(x), dim=1)


class Mixed(nn.Module):
    """Strided conv, ReLU6 (Clip), depthwise conv (groups), average pooling and a raw MatMul + Add."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.dw = nn.Conv2d(4, 8, 3, padding=1, groups=4)
        self.pool = nn.AvgPool2d(2)
        self.w = nn.Parameter(torch.randn(8 * 7 * 7, 16) * 0.05)
        self.b = nn.Parameter(torch.randn(16) * 0.1)
        self.out = nn.Linear(16, 10)

    def forward(self, x):
        x = nn.functional.relu6(self.conv(x))
        x = torch.sigmoid(self.pool(self.dw(x)))
        x = torch.flatten(x, 1)
        x = torch.tanh(torch.matmul(x, self.w) + self.b)
        return self.out(x)


def randomize_bn(bn, gen):
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(bn.num_features, generator=gen) * 0.2)
        bn.running_var.copy_(torch.rand(bn.num_features, generator=gen) + 0.5)
        bn.weight.copy_(torch.rand(bn.num_features, generator=gen) + 0.5)
        bn.bias.copy_(torch.randn(bn.num_features, generator=gen) * 0.1)


def export(model, name, opset, x):
    model.eval()
    path = os.path.join(OUT, f"{name}.onnx")
    torch.onnx.export(
        model,
        x,
        path,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        opset_version=opset,
    )
    with torch.no_grad():
        y = model(x)
    with open(os.path.join(OUT, f"{name}.expected.json"), "w") as f:
        json.dump({"inputShape": list(x.shape), "input": x.flatten().tolist(), "outputShape": list(y.shape), "output": y.flatten().tolist()}, f)
    print("wrote", path, os.path.getsize(path), "bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(4, 1, 28, 28, generator=gen)
    mlp = Mlp()
    randomize_bn(mlp.bn, gen)
    export(mlp, "torch-mlp", 11, x)
    cnn = Cnn()
    randomize_bn(cnn.bn, gen)
    export(cnn, "torch-cnn", 13, x)
    export(Mixed(), "torch-mixed", 17, x)


if __name__ == "__main__":
    main()
