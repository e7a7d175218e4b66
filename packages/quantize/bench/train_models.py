"""Trains the `pnpm bench quantize` models on Fashion-MNIST with PyTorch and exports them to ONNX.

Usage: python3 train_models.py FASHION_DIR OUT_DIR [EPOCHS]
Writes OUT_DIR/{cnn,resnet,mlp}.onnx (opset 13, input [N,1,28,28] in [0,1], float logits) and
OUT_DIR/torch.json with each model's test accuracy in PyTorch.
"""
import gzip, json, os, sys, time

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(7)
np.random.seed(7)


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.out(torch.relu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(y)))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2))
        self.block1 = Block(32)
        self.down = nn.Sequential(nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU())
        self.block2 = Block(64)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.block2(self.down(self.block1(self.stem(x))))
        x = torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))

    def forward(self, x):
        return self.net(x)


def main():
    root, out = sys.argv[1], sys.argv[2]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    os.makedirs(out, exist_ok=True)
    xtr = torch.from_numpy(idx(os.path.join(root, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255).unsqueeze(1)
    ytr = torch.from_numpy(idx(os.path.join(root, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    xte = torch.from_numpy(idx(os.path.join(root, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255).unsqueeze(1)
    yte = torch.from_numpy(idx(os.path.join(root, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    results = {}
    for name, build in (("mlp", Mlp), ("cnn", Cnn), ("resnet", ResNet)):
        torch.manual_seed(7)
        model = build()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        start = time.time()
        for epoch in range(epochs):
            model.train()
            perm = torch.randperm(len(xtr))
            for i in range(0, len(xtr), 128):
                b = perm[i : i + 128]
                opt.zero_grad()
                loss = nn.functional.cross_entropy(model(xtr[b]), ytr[b])
                loss.backward()
                opt.step()
        model.eval()
        with torch.no_grad():
            acc = float(sum((model(xte[i : i + 1000]).argmax(1) == yte[i : i + 1000]).sum() for i in range(0, len(xte), 1000))) / len(xte)
        torch.onnx.export(
            model, xte[:1], os.path.join(out, f"{name}.onnx"), opset_version=13, input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True,
        )
        results[name] = {"accuracy": acc, "epochs": epochs, "seconds": time.time() - start}
        print(name, results[name], flush=True)
    with open(os.path.join(out, "torch.json"), "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
