"""Model files written by real PyTorch, running the notebook's own `classifier` (its shape made a
parameter), for the native tests of Filterlab's import (app/core/tests/notebook_files.rs).

For each network it trains one epoch with Adam on the task's train split (as Filterlab splits
MNIST: a pair's first 1000 images of each digit are its test set, the rest train; all ten digits
train on the train file and test on t10k), then writes, into tests/fixtures/notebook/:
  NAME.pt           torch.save(model.state_dict())
  NAME.safetensors  safetensors.torch.save_file(model.state_dict())
  NAME.json         the shape, PyTorch's outputs (log-probabilities) for four test images, and
                    its test accuracy and correct count on the whole test split
and, for the notebook's network, notebook-checkpoint.pt: a checkpoint dict
{"epoch", "state_dict", "optimizer"} as training scripts save it. Then files Filterlab must refuse:
  hostile-os-system.pt      a state dict with an object whose unpickling runs os.system
  hostile-zip-bomb.pt       a data.pkl that inflates to 64 MB
  rgb.pt                    another architecture: a conv over 3 colour channels
  too-many-filters.safetensors  64 filters: outside the lab's knobs

Usage (the torch venv of tests/bench, with safetensors): python tests/notebook_fixtures.py
"""
import gzip, json, os, sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from notebook_classifier import classifier
from safetensors.torch import save_file

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
data_dir = os.path.join(root, "public", "mnist")
out_dir = os.path.join(root, "tests", "fixtures", "notebook")
os.makedirs(out_dir, exist_ok=True)
torch.manual_seed(42)


def idx(name):
    raw = gzip.open(os.path.join(data_dir, name)).read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def images(name):
    return torch.from_numpy(idx(name).copy()).float() / 255


train_x, train_y = images("train-images-idx3-ubyte.gz"), torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))




def pair_split(negative, positive):
    """Class 0 is `negative`, class 1 `positive`; each digit's first 1000 images test."""
    parts = [(train_x[train_y == d], c) for c, d in enumerate((negative, positive))]
    train = [(x[1000:], torch.full((len(x) - 1000,), c)) for x, c in parts]
    test = [(x[:1000], torch.full((1000,), c)) for x, c in parts]
    cat = lambda ps: (torch.cat([p[0] for p in ps]), torch.cat([p[1] for p in ps]))
    return cat(train), cat(test), [0, 1, 1000, 1001]


def ten_split():
    test_x, test_y = images("t10k-images-idx3-ubyte.gz"), torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    return (train_x, train_y), (test_x, test_y), [0, 1, 2, 3]


def fixture(name, shape, digits, split):
    (tx, ty), (vx, vy), picked = split
    model = classifier(**shape)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(tx))
    model.train()
    for start in range(0, len(tx), 64):
        batch = order[start : start + 64]
        optimizer.zero_grad()
        loss = F.nll_loss(model(tx[batch].unsqueeze(1)), ty[batch])
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        out = model(vx.unsqueeze(1))
        correct = int((out.argmax(1) == vy).sum())
        picked_out = out[picked].tolist()
    sd = model.state_dict()
    torch.save(sd, os.path.join(out_dir, f"{name}.pt"))
    save_file(sd, os.path.join(out_dir, f"{name}.safetensors"))
    if name == "notebook":
        torch.save({"epoch": 1, "state_dict": sd, "optimizer": optimizer.state_dict()}, os.path.join(out_dir, "notebook-checkpoint.pt"))
    record = {
        "shape": shape,
        "digits": digits,
        "test_images": picked,
        "log_probs": picked_out,
        "test_correct": correct,
        "test_count": len(vy),
        "test_accuracy": correct / len(vy),
        "torch": torch.__version__,
    }
    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        json.dump(record, f, indent=1)
    print(f"{name}: test accuracy {correct}/{len(vy)}")


fixture("notebook", dict(filters=8, kernel=3, pool=7, classes=2), "8,1", pair_split(8, 1))
fixture("wide", dict(filters=16, kernel=5, pool=4, classes=2), "8,1", pair_split(8, 1))
fixture("ten", dict(filters=8, kernel=3, pool=7, classes=10), "all", ten_split())


class Evil:
    """Unpickled by Python, this would run a shell command."""

    def __reduce__(self):
        return (os.system, ("echo unpickled",))


evil = dict(classifier().state_dict())
evil["evil"] = Evil()
torch.save(evil, os.path.join(out_dir, "hostile-os-system.pt"))

import zipfile

with zipfile.ZipFile(os.path.join(out_dir, "hostile-zip-bomb.pt"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.writestr("bomb/data.pkl", b"N" * (64 << 20))

rgb = classifier()
rgb.conv1 = nn.Conv2d(3, 8, 3, padding=1)
torch.save(rgb.state_dict(), os.path.join(out_dir, "rgb.pt"))
save_file(classifier(filters=64).state_dict(), os.path.join(out_dir, "too-many-filters.safetensors"))
print("and the files to refuse")
