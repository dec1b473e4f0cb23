"""The notebook's `classifier`, its four numbers made parameters (the defaults are the notebook's:
8 filters 3×3, pool 7, 2 classes). Shared by tests/notebook_fixtures.py and tests/notebook_interop.py;
tests/notebook_torch.py keeps the notebook's own text, for the benchmark."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class classifier(nn.Module):
    def __init__(self, filters=8, kernel=3, pool=7, classes=2):
        super(classifier, self).__init__()
        self.pool = pool
        self.conv1 = nn.Conv2d(in_channels=1, out_channels=filters, kernel_size=kernel, padding=kernel // 2)
        self.fc = nn.Linear(in_features=filters * (28 // pool) ** 2, out_features=classes)

    def forward(self, x):
        x = self.conv1(x)
        x = F.max_pool2d(x, kernel_size=self.pool, stride=self.pool)
        x = torch.flatten(x, 1)
        x = self.fc(x)
        x = F.log_softmax(x, dim=1)
        return x
