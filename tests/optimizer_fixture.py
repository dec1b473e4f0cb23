"""PyTorch's own optimizer steps, for the native test that Filterlab's optimizers are PyTorch's
(app/core/tests/optimizer.rs). From one start model of the notebook's network (seeded), five steps
on one batch of 64 images (the 8-vs-1 train split's first 32 eights and first 32 ones, as
Filterlab splits MNIST) with torch.optim.SGD(lr=0.05, momentum=0.9), writes
tests/fixtures/notebook/momentum-steps.json: the start and final parameters (flattened in the
state dict's order: conv1.weight, conv1.bias, fc.weight, fc.bias), the five batch losses and
the gradient's L2 norms at each step (conv1's weight and bias together, then fc's).

Usage (the torch venv of tests/bench): python tests/optimizer_fixture.py
"""
import gzip, json, os

import numpy as np
import torch
import torch.nn.functional as F
from notebook_classifier import classifier

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out_dir = os.path.join(root, "tests", "fixtures", "notebook")


def idx(name, offset):
    return np.frombuffer(gzip.open(os.path.join(root, "public", "mnist", name)).read(), dtype=np.uint8, offset=offset)


pixels = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
labels = idx("train-labels-idx1-ubyte.gz", 8)
# A pair's first 1000 images of each digit are its test set: the train split starts after them.
take = lambda digit: np.nonzero(labels == digit)[0][1000:1032]
batch = np.concatenate([take(8), take(1)])
x = torch.from_numpy(pixels[batch].copy()).float().unsqueeze(1) / 255
y = torch.tensor([0] * 32 + [1] * 32)

torch.manual_seed(7)

model = classifier()
flat = lambda: torch.cat([p.detach().flatten() for p in model.state_dict().values()]).tolist()
start = flat()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
losses, grad_norms = [], []
for _ in range(5):
    optimizer.zero_grad()
    loss = F.nll_loss(model(x), y)
    loss.backward()
    norm = lambda layer: torch.sqrt(sum((p.grad ** 2).sum() for p in layer.parameters())).item()
    grad_norms.append([norm(model.conv1), norm(model.fc)])
    optimizer.step()
    losses.append(loss.item())
out = {"optimizer": "torch.optim.SGD(lr=0.05, momentum=0.9)", "lr": 0.05, "start": start, "after": flat(), "losses": losses, "grad_norms": grad_norms}
with open(os.path.join(out_dir, "momentum-steps.json"), "w") as f:
    json.dump(out, f)
print("losses", losses)
