"""torchvision ImageFolder + DataLoader(num_workers=2) throughput over DIR, for `pnpm bench data`.

usage: torch_loader.py DIR BATCH RESIZE CROP

Transform: Resize(RESIZE) (shorter side, bilinear, antialiased), CenterCrop(CROP), ToTensor(),
Normalize(ImageNet mean/std). Prints one JSON line: images, seconds, images/s, CPU seconds (this
process and its reaped workers).
"""
import json
import resource
import sys
import time

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

root, batch, resize, crop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(1)
transform = transforms.Compose([
    transforms.Resize(resize),
    transforms.CenterCrop(crop),
    transforms.ToTensor(),
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
])
def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


cpu_start = cpu()
start = time.perf_counter()
ds = datasets.ImageFolder(root, transform=transform)
loader = DataLoader(ds, batch_size=batch, shuffle=False, num_workers=2)
n = 0
checksum = 0.0
it = iter(loader)
for x, y in it:
    n += x.shape[0]
    checksum += float(x[:, 0, crop // 2, crop // 2].sum())
seconds = time.perf_counter() - start
del it  # shuts the worker processes down, so their CPU time is counted
print(json.dumps({'images': n, 'seconds': seconds, 'imagesPerSecond': n / seconds, 'cpuSeconds': cpu() - cpu_start, 'checksum': checksum}))
