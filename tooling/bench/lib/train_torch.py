"""PyTorch training baseline for the `train` benchmark: same models, batch, optimizer and timing as
the tfjs runs. Prints one JSON object on stdout. Run with Debian's /usr/bin/python3 (python3-torch)."""
import json
import sys
import time


def resnet(nn):
    """The ResNet-style model of tooling/bench/lib/models.js: stem, blocks at 16, 32 (stride 2), 64 (stride 2)."""

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout),
            )
            self.shortcut = (
                nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                if stride != 1 or cin != cout else nn.Identity()
            )
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.relu(self.body(x) + self.shortcut(x))

    return nn.Sequential(
        nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10),
    )


def main() -> None:
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    model_name = args.get("model", "mlp")
    batch = int(args.get("batch", "128"))
    warmup = int(args.get("warmup", "5"))
    steps = int(args.get("steps", "20"))
    windows = int(args.get("windows", "3"))
    threads = int(args.get("threads", "1"))
    pool = int(args.get("pool", "16"))
    try:
        import torch
        from torch import nn
    except ImportError as error:  # reported as a skipped row by the harness
        print(json.dumps({"skipped": f"torch not importable: {error}"}))
        return

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    if model_name == "mlp":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        shape = (784,)
    elif model_name == "resnet":
        model = resnet(nn)
        shape = (1, 28, 28)
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10),
        )
        shape = (1, 28, 28)
    # Several distinct batches with random labels, cycled: one repeated batch would be memorised and
    # its vanishing gradients fill Adam's state with denormals, which slows every runtime down.
    data = [(torch.randn(batch, *shape), torch.randint(0, 10, (batch,))) for _ in range(pool)]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    counter = [0]

    def step() -> float:
        x, y = data[counter[0] % pool]
        counter[0] += 1
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return float(loss)

    for _ in range(warmup):
        step()
    per_window = []
    for _ in range(windows):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        per_window.append((time.perf_counter() - start) / steps)
    print(json.dumps({
        "msPerStep": [t * 1000 for t in per_window],
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
