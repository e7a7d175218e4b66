"""Trains the distillation benchmark's CNN teacher in PyTorch and exports it to ONNX.

Conv 3x3 32 -> ReLU -> MaxPool 2 -> Conv 3x3 64 -> ReLU -> MaxPool 2 -> Flatten -> Dense 128 -> ReLU
-> Dropout 0.5 -> Dense 10 (logits); Adam 1e-3, batch 128, seeded. Input NCHW [N, 1, 28, 28] in [0, 1].
Usage: python3 teacher.py DATA_DIR OUT.onnx EPOCHS SEED   (prints one JSON line with the test accuracy)
"""
import gzip, json, sys, time
import numpy as np
import torch
import torch.nn as nn

def idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)

def main():
    data_dir, out, epochs, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(2)
    xtr = torch.tensor(idx(f'{data_dir}/train-images-idx3-ubyte.gz'), dtype=torch.float32).div_(255).unsqueeze(1)
    ytr = torch.tensor(idx(f'{data_dir}/train-labels-idx1-ubyte.gz'), dtype=torch.int64)
    xte = torch.tensor(idx(f'{data_dir}/t10k-images-idx3-ubyte.gz'), dtype=torch.float32).div_(255).unsqueeze(1)
    yte = torch.tensor(idx(f'{data_dir}/t10k-labels-idx1-ubyte.gz'), dtype=torch.int64)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(seed)
    start = time.time()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(ytr), generator=g)
        for i in range(0, len(ytr), 128):
            idx_b = order[i:i + 128]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx_b]), ytr[idx_b])
            loss.backward()
            opt.step()
        print(f'epoch {epoch + 1}/{epochs} done after {time.time() - start:.0f} s', file=sys.stderr, flush=True)
    seconds = time.time() - start
    model.eval()
    with torch.no_grad():
        acc = sum((model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item() for i in range(0, len(yte), 1000)) / len(yte)
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), out, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}}, opset_version=13)
    print(json.dumps({'accuracy': acc, 'seconds': seconds, 'epochs': epochs, 'seed': seed}))

main()
