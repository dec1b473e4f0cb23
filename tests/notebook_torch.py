"""The notebook's own PyTorch code (model, data loaders, train and test loops, unchanged in what
they compute), timed per epoch on the CPU for the benchmark. Reads MNIST from public/mnist instead
of torchvision's download. Usage: python notebook_torch.py DATA_DIR THREADS|default EPOCHS OUT.json
"""
import gzip, json, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

data_dir, threads, n_epochs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if threads != "default":
    torch.set_num_threads(int(threads))
torch.manual_seed(42)


def idx(name):
    raw = gzip.open(f"{data_dir}/{name}").read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


images = torch.from_numpy(idx("train-images-idx3-ubyte.gz").copy()).float() / 255
labels = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))

# The notebook's cells from here on.
eights = torch.stack([i for (i, l) in zip(images, labels) if l == 8])
ones = torch.stack([i for (i, l) in zip(images, labels) if l == 1])
bs = 64
l8 = torch.tensor(0, dtype=torch.long)
eights_dataset = [[e.unsqueeze(0), l8] for e in eights]
l1 = torch.tensor(1, dtype=torch.long)
ones_dataset = [[e.unsqueeze(0), l1] for e in ones]
train_dataset = eights_dataset[1000:] + ones_dataset[1000:]
test_dataset = eights_dataset[:1000] + ones_dataset[:1000]
train_loader = torch.utils.data.DataLoader(train_dataset, batch_size=bs, shuffle=True)
test_loader = torch.utils.data.DataLoader(test_dataset, batch_size=bs, shuffle=True)


class classifier(nn.Module):
    def __init__(self):
        super(classifier, self).__init__()
        self.conv1 = nn.Conv2d(in_channels=1, out_channels=8, kernel_size=3, padding=1)
        self.fc = nn.Linear(in_features=128, out_features=2)

    def forward(self, x):
        x = self.conv1(x)
        x = F.max_pool2d(x, kernel_size=7, stride=7)
        x = torch.flatten(x, 1)
        x = self.fc(x)
        x = F.log_softmax(x, dim=1)
        return x


def train(model, data_loader, loss_fn, optimizer, n_epochs=1):
    model.train(True)
    for epoch_num in range(n_epochs):
        running_corrects = 0.0
        running_loss = 0.0
        size = 0
        for data in data_loader:
            inputs, labels = data
            bs = labels.size(0)
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = loss_fn(outputs, labels)
            loss.backward()
            optimizer.step()
            _, preds = torch.max(outputs, 1)
            running_loss += loss.item() * bs
            running_corrects += torch.sum(preds == labels.data).item()
            size += bs
        return running_loss / size, running_corrects / size


def test(model, data_loader, loss_fn):
    model.train(False)
    running_corrects = 0.0
    running_loss = 0.0
    size = 0
    with torch.no_grad():
        for data in data_loader:
            inputs, labels = data
            bs = labels.size(0)
            outputs = model(inputs)
            loss = loss_fn(outputs, labels)
            _, preds = torch.max(outputs, 1)
            running_loss += loss.item() * bs
            running_corrects += torch.sum(preds == labels.data).item()
            size += bs
    return running_loss / size, running_corrects / size


conv_class = classifier()
loss_fn = nn.NLLLoss()
optimizer_cl = torch.optim.SGD(conv_class.parameters(), lr=1e-3)

# One epoch = one pass of the notebook's train loop plus its test loop, as Filterlab's epochs are.
seconds = []
for epoch in range(n_epochs):
    start = time.perf_counter()
    train_loss, train_acc = train(conv_class, train_loader, loss_fn, optimizer_cl, n_epochs=1)
    test_loss, test_acc = test(conv_class, test_loader, loss_fn)
    seconds.append(time.perf_counter() - start)
    print(f"Epoch {epoch+1}/{n_epochs} - Loss: {train_loss:.4f} Acc: {train_acc:.4f} - Time: {seconds[-1]:.2f}s")
    print(f"Test - Loss: {test_loss:.4f} Acc: {test_acc:.4f}")

json.dump(
    {"torch": torch.__version__, "threads": torch.get_num_threads(), "epoch_seconds": seconds, "test_acc": round(test_acc, 4)},
    open(out, "w"),
)
