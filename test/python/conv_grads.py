"""Oracle for the wasm backend's conv2d gradients (ours): PyTorch's own, for the filter and the input.

Usage: python3 conv_grads.py CASES.json   (torch 1.13 on the host, or torch 2.x in the trixie root)
CASES.json is a list of {"x": [n,h,w,cin] NHWC values (flat), "xShape", "dy": flat NHWC, "dyShape",
"w": flat, "filterShape": [kh,kw,cin,cout]}. For each case prints, in one JSON object {"torch": version,
"grads": [{"filter", "input"}...]}, the gradients of sum(conv2d(x, W) * dy) (stride 1, no padding)
with respect to W, in tfjs's filter layout [kh, kw, cin, cout], and to x (NHWC), flattened,
computed in float64. "W" is the case's "w" (tfjs layout, flat).
"""
import json, sys

import torch

cases = json.load(open(sys.argv[1]))
grads = []
for c in cases:
    n, h, w, cin = c["xShape"]
    kh, kw, _, cout = c["filterShape"]
    x = torch.tensor(c["x"], dtype=torch.float64).reshape(n, h, w, cin).permute(0, 3, 1, 2).contiguous().requires_grad_()
    dy = torch.tensor(c["dy"], dtype=torch.float64).reshape(c["dyShape"]).permute(0, 3, 1, 2)
    weight = torch.tensor(c["w"], dtype=torch.float64).reshape(kh, kw, cin, cout).permute(3, 2, 0, 1).contiguous().requires_grad_()
    torch.nn.functional.conv2d(x, weight).backward(dy)
    grads.append({"filter": weight.grad.permute(2, 3, 1, 0).reshape(-1).tolist(), "input": x.grad.permute(0, 2, 3, 1).reshape(-1).tolist()})
print(json.dumps({"torch": torch.__version__, "grads": grads}))
