"""PyTorch's side of tests/interop, with the notebook's own classifier and test split (class 0 =
8, class 1 = 1; each digit's first 1000 images of the train file test).
  python notebook_interop.py eval FILE.safetensors   loads it with load_state_dict, prints correct/count
  python notebook_interop.py train FILE.pt           trains one epoch (Adam), saves the state dict, prints correct/count
"""
import gzip, os, sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from notebook_classifier import classifier
from safetensors.torch import load_file

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
torch.manual_seed(7)


def idx(name):
    raw = gzip.open(os.path.join(root, "public", "mnist", name)).read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


images = torch.from_numpy(idx("train-images-idx3-ubyte.gz").copy()).float() / 255
labels = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
eights, ones = images[labels == 8], images[labels == 1]
test_x = torch.cat([eights[:1000], ones[:1000]]).unsqueeze(1)
test_y = torch.cat([torch.zeros(1000, dtype=torch.long), torch.ones(1000, dtype=torch.long)])
train_x = torch.cat([eights[1000:], ones[1000:]]).unsqueeze(1)
train_y = torch.cat([torch.zeros(len(eights) - 1000, dtype=torch.long), torch.ones(len(ones) - 1000, dtype=torch.long)])




def correct(model):
    model.eval()
    with torch.no_grad():
        return f"{int((model(test_x).argmax(1) == test_y).sum())}/{len(test_y)}"


mode, path = sys.argv[1], sys.argv[2]
m = classifier()
if mode == "eval":
    m.load_state_dict(load_file(path))
else:
    optimizer = torch.optim.Adam(m.parameters(), lr=1e-3)
    order = torch.randperm(len(train_x))
    for start in range(0, len(train_x), 64):
        batch = order[start : start + 64]
        optimizer.zero_grad()
        F.nll_loss(m(train_x[batch]), train_y[batch]).backward()
        optimizer.step()
    torch.save(m.state_dict(), path)
print(correct(m))
