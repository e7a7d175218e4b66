#!/usr/bin/python3
"""Regenerates the gradient fixture in ../fixtures with Debian's python3-torch and python3-onnx.

Run from anywhere:  /usr/bin/python3 packages/onnx-io/scripts/make-gradient-fixture.py

torch-invres.onnx: a small MobileNetV2-style network (torchvision's inverted residual blocks: 1x1
expansion, 3x3 depthwise with stride 1 or 2, 1x1 projection, residual Add; ReLU6; odd channel counts;
global average pooling; Linear), with random BatchNormalization statistics, exported by
torch.onnx.export in eval mode, so BatchNormalization is folded into the convolutions (Conv with bias,
Clip, Add, GlobalAveragePool, Flatten, Gemm).

torch-invres.gradients.json: for a seeded batch of image-like inputs (pixels k, input k/255) and labels, the mean cross-entropy of the
exported graph's logits and its gradient with respect to every initializer (the trainable weights
after import), computed in float64 by a direct torch evaluation of the ONNX graph itself (not of the
torch module), keyed by the Conv/Gemm node and in ONNX layout (Conv OIHW, Gemm [out, in] with transB).
"""
import json
import os

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn
from torch.nn import functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
NAME = "torch-invres"
BATCH = 32
CLASSES = 5


def conv_bn(cin, cout, kernel, stride, groups=1, relu6=True):
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU6()) if relu6 else nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.residual = stride == 1 and cin == cout
        self.conv = nn.Sequential(conv_bn(cin, hidden, 1, 1), conv_bn(hidden, hidden, 3, stride, groups=hidden), conv_bn(hidden, cout, 1, 1, relu6=False))

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class InvRes(nn.Module):
    """28x28 -> stem 14x14 -> 7x7 -> residual -> 4x4 (stride 2 on an odd size) -> residual -> 1x1 conv -> pool -> Linear."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(1, 9, 3, 2),
            InvertedResidual(9, 11, 2, 3),
            InvertedResidual(11, 11, 1, 3),
            InvertedResidual(11, 13, 2, 5),
            InvertedResidual(13, 13, 1, 6),
            conv_bn(13, 37, 1, 1),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(37, CLASSES))

    def forward(self, x):
        return self.classifier(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


def randomize_bn(model, gen):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=gen) * 0.3)


def run_graph(graph, x, params):
    """Evaluates the ONNX graph (the ops this fixture contains) in float64 torch, with `params` as its initializers."""
    values = {graph.input[0].name: x, **params}
    for node in graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        ins = [values[i] if i else None for i in node.input]
        if node.op_type == "Constant":
            out = torch.from_numpy(numpy_helper.to_array(attrs["value"]).astype(np.float64))
        elif node.op_type == "Conv":
            pads = attrs.get("pads", [0, 0, 0, 0])
            assert pads[0] == pads[2] and pads[1] == pads[3], pads
            out = F.conv2d(ins[0], ins[1], ins[2], attrs.get("strides", [1, 1]), pads[:2], attrs.get("dilations", [1, 1]), attrs.get("group", 1))
        elif node.op_type == "Clip":
            out = torch.clamp(ins[0], float(ins[1]), float(ins[2]))
        elif node.op_type == "Add":
            out = ins[0] + ins[1]
        elif node.op_type == "GlobalAveragePool":
            out = ins[0].mean((2, 3), keepdim=True)
        elif node.op_type == "Flatten":
            out = ins[0].flatten(attrs.get("axis", 1))
        elif node.op_type == "Gemm":
            assert attrs.get("transB") == 1 and attrs.get("transA", 0) == 0
            out = attrs.get("alpha", 1.0) * ins[0] @ ins[1].T + attrs.get("beta", 1.0) * ins[2]
        else:
            raise ValueError(f"op {node.op_type} not handled by this fixture's reference")
        values[node.output[0]] = out
    return values[graph.output[0].name]


def significant(t, digits=8):
    """Values rounded to `digits` significant digits (far below the tests' tolerance), to keep the JSON small."""
    return [float(f"{v:.{digits}g}") for v in t.flatten().tolist()]


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(3)
    model = InvRes()
    randomize_bn(model, gen)
    model.eval()
    path = os.path.join(OUT, f"{NAME}.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))

    graph = onnx.load(path).graph
    params = {i.name: torch.from_numpy(numpy_helper.to_array(i).astype(np.float64)).requires_grad_() for i in graph.initializer}
    pixels = torch.randint(0, 256, (BATCH, 1, 28, 28), generator=gen)  # image-like input: k / 255
    x = pixels.double() / 255
    labels = torch.randint(0, CLASSES, (BATCH,), generator=gen)
    with torch.no_grad():
        torch_logits = model.double()(x)
    logits = run_graph(graph, x, params)
    assert torch.allclose(logits, torch_logits, atol=1e-9), "the ONNX graph's evaluation differs from the torch module"
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    layers = []
    for node in graph.node:
        if node.op_type not in ("Conv", "Gemm"):
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        weight, bias = params[node.input[1]], params[node.input[2]]
        layers.append({
            "node": node.name,
            "op": node.op_type,
            "group": attrs.get("group", 1),
            "weightShape": list(weight.shape),
            "weightGrad": significant(weight.grad),
            "biasGrad": significant(bias.grad),
        })
    fixture = {"inputShape": list(x.shape), "pixels": pixels.flatten().tolist(), "labels": labels.tolist(), "loss": loss.item(), "layers": layers}
    with open(os.path.join(OUT, f"{NAME}.gradients.json"), "w") as f:
        json.dump(fixture, f)
    print("wrote", path, os.path.getsize(path), "bytes;", len(layers), "layers, loss", round(loss.item(), 6))


if __name__ == "__main__":
    main()
