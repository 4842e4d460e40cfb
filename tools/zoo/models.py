"""Small CNN architectures for the cnnpipe Fashion-MNIST model zoo (input [N,1,28,28]).

Every model ends with `pool = nn.AdaptiveAvgPool2d(1)` -> torch.flatten(x, 1) -> `fc` (Linear),
which exports to ONNX as GlobalAveragePool -> Flatten -> Gemm (/pool/GlobalAveragePool,
/Flatten, /fc/Gemm). Module names follow torchvision conventions where one exists, so ONNX node
names carry the module scopes (e.g. /layer2/layer2.1/relu_1/Relu) and users can tap
`--layer layer2`, `--layer block3`, `--layer features.5`, ...

`TAP_LAYERS[family]` lists the tappable top-level modules, in forward order;
`FEATURE_LAYER[family]` is the module whose output is global-average-pooled into fc.
"""
import torch
import torch.nn as nn


def conv_bn_relu(cin, cout, k=3, stride=1, groups=1, relu=True):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class _Head(nn.Module):
    def head(self, x):
        x = self.pool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


# --------------------------------------------------------------------------- VGG
class VGG(_Head):
    """Plain VGG-style: block1..block4 of 3x3 conv+BN+ReLU; max-pooling between blocks."""

    def __init__(self, num_classes=10, widths=(16, 32, 64, 96)):
        super().__init__()
        w1, w2, w3, w4 = widths
        self.block1 = nn.Sequential(conv_bn_relu(1, w1))                                # 28x28
        self.pool1 = nn.MaxPool2d(2)
        self.block2 = nn.Sequential(conv_bn_relu(w1, w2), conv_bn_relu(w2, w2))         # 14x14
        self.pool2 = nn.MaxPool2d(2)
        self.block3 = nn.Sequential(conv_bn_relu(w2, w3), conv_bn_relu(w3, w3))         # 7x7
        self.pool3 = nn.MaxPool2d(2, ceil_mode=True)
        self.block4 = nn.Sequential(conv_bn_relu(w3, w4))                               # 4x4
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(w4, num_classes)
        self.feature_width = w4

    def forward(self, x):
        x = self.pool1(self.block1(x))
        x = self.pool2(self.block2(x))
        x = self.pool3(self.block3(x))
        x = self.block4(x)
        return self.head(x)


# --------------------------------------------------------------------------- ResNet
class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(_Head):
    """ResNet-style (torchvision names): conv1, bn1, relu, maxpool, layer1..layer4 of BasicBlocks, pool, fc."""

    def __init__(self, num_classes=10, widths=(16, 32, 64, 128), blocks=(1, 1, 1, 1)):
        super().__init__()
        self.conv1 = nn.Conv2d(1, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(2)
        inpl = widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            stride = 1 if i == 0 else 2
            layer = []
            for j in range(n):
                layer.append(BasicBlock(inpl, w, stride if j == 0 else 1))
                inpl = w
            setattr(self, f"layer{i + 1}", nn.Sequential(*layer))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inpl, num_classes)
        self.feature_width = inpl

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))  # 28x28
        x = self.maxpool(x)                     # 14x14
        x = self.layer1(x)                      # 14x14
        x = self.layer2(x)                      # 7x7
        x = self.layer3(x)                      # 4x4
        x = self.layer4(x)                      # 2x2
        return self.head(x)


# --------------------------------------------------------------------------- MobileNetV2
class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        layers = []
        if expand != 1:
            layers.append(conv_bn_relu(cin, hidden, k=1))                          # expand 1x1
        layers += [conv_bn_relu(hidden, hidden, k=3, stride=stride, groups=hidden),  # depthwise 3x3
                   conv_bn_relu(hidden, cout, k=1, relu=False)]                     # linear project 1x1
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(_Head):
    """MobileNetV2-style: features.0 stem conv, features.1..N inverted residuals, last = 1x1 conv."""

    # (expand t, out channels c, repeats n, first stride s)
    CFG = [(1, 16, 1, 1), (4, 24, 2, 1), (4, 32, 2, 2), (4, 64, 2, 1), (4, 80, 1, 2)]

    def __init__(self, num_classes=10, last=160):
        super().__init__()
        layers = [conv_bn_relu(1, 16, stride=2)]  # 14x14
        cin = 16
        for t, c, n, s in self.CFG:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(conv_bn_relu(cin, last, k=1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(last, num_classes)
        self.feature_width = last

    def forward(self, x):
        return self.head(self.features(x))


# --------------------------------------------------------------------------- Inception
class InceptionModule(nn.Module):
    """Four branches concatenated: 1x1 | 1x1->3x3 | 1x1->3x3->3x3 (a factorised 5x5) | maxpool->1x1."""

    def __init__(self, cin, c1, c3r, c3, c5r, c5, cp):
        super().__init__()
        self.branch1x1 = conv_bn_relu(cin, c1, k=1)
        self.branch3x3 = nn.Sequential(conv_bn_relu(cin, c3r, k=1), conv_bn_relu(c3r, c3))
        self.branch5x5 = nn.Sequential(conv_bn_relu(cin, c5r, k=1), conv_bn_relu(c5r, c5),
                                       conv_bn_relu(c5, c5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, 1, 1), conv_bn_relu(cin, cp, k=1))
        self.out_channels = c1 + c3 + c5 + cp

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch3x3(x), self.branch5x5(x), self.branch_pool(x)], 1)


class Inception(_Head):
    """Inception-style: stem (+maxpool), inception1..inception4 (max-pooling after 1 and 3), pool, fc."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = conv_bn_relu(1, 24)                                           # 28x28
        self.pool1 = nn.MaxPool2d(2)                                              # 14x14
        self.inception1 = InceptionModule(24, 16, 16, 24, 8, 8, 8)                # -> 56
        self.pool2 = nn.MaxPool2d(2)                                              # 7x7
        self.inception2 = InceptionModule(56, 24, 24, 32, 8, 16, 8)               # -> 80
        self.inception3 = InceptionModule(80, 32, 32, 48, 12, 24, 16)             # -> 120
        self.pool3 = nn.MaxPool2d(2, ceil_mode=True)                              # 4x4
        self.inception4 = InceptionModule(120, 64, 48, 64, 16, 32, 32)            # -> 192
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.inception4.out_channels, num_classes)
        self.feature_width = self.inception4.out_channels

    def forward(self, x):
        x = self.pool1(self.stem(x))
        x = self.inception2(self.pool2(self.inception1(x)))
        x = self.pool3(self.inception3(x))
        x = self.inception4(x)
        return self.head(x)


# --------------------------------------------------------------------------- DenseNet
class DenseLayer(nn.Module):
    """BN-ReLU-1x1 conv (bottleneck) -> BN-ReLU-3x3 conv; output concatenated to the input."""

    def __init__(self, cin, growth, bn_size=2):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(cin)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, bn_size * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, 1, 1, bias=False)

    def forward(self, x):
        y = self.conv1(self.relu1(self.norm1(x)))
        y = self.conv2(self.relu2(self.norm2(y)))
        return torch.cat([x, y], 1)


def dense_block(cin, n, growth):
    layers = []
    for _ in range(n):
        layers.append(DenseLayer(cin, growth))
        cin += growth
    return nn.Sequential(*layers), cin


def transition(cin, cout):
    return nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(inplace=True), nn.Conv2d(cin, cout, 1, bias=False),
                         nn.AvgPool2d(2, ceil_mode=True))


class DenseNet(_Head):
    """DenseNet-style: conv0, pool0, dense1, trans1, dense2, trans2, dense3, norm (BN+ReLU), pool, fc."""

    def __init__(self, num_classes=10, growth=16, blocks=(3, 4, 4)):
        super().__init__()
        c = 2 * growth
        self.conv0 = nn.Conv2d(1, c, 3, 1, 1, bias=False)                 # 28x28
        self.pool0 = nn.MaxPool2d(2)                                      # 14x14
        self.dense1, c = dense_block(c, blocks[0], growth)                # 14x14
        self.trans1 = transition(c, c // 2); c //= 2                      # 7x7
        self.dense2, c = dense_block(c, blocks[1], growth)
        self.trans2 = transition(c, c // 2); c //= 2                      # 4x4
        self.dense3, c = dense_block(c, blocks[2], growth)
        self.norm = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=True))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)
        self.feature_width = c

    def forward(self, x):
        x = self.pool0(self.conv0(x))
        x = self.trans1(self.dense1(x))
        x = self.trans2(self.dense2(x))
        x = self.norm(self.dense3(x))
        return self.head(x)


FAMILIES = {"vgg": VGG, "resnet": ResNet, "mobilenet": MobileNetV2, "inception": Inception,
            "densenet": DenseNet}


def tap_layers(family, model=None):
    if family == "vgg":
        return ["block1", "block2", "block3", "block4"]
    if family == "resnet":
        return ["layer1", "layer2", "layer3", "layer4"]
    if family == "mobilenet":
        return [f"features.{i}" for i in range(len(model.features))]
    if family == "inception":
        return ["inception1", "inception2", "inception3", "inception4"]
    if family == "densenet":
        return ["dense1", "trans1", "dense2", "trans2", "dense3", "norm"]
    raise KeyError(family)


def feature_layer(family, model=None):
    return tap_layers(family, model)[-1]


def build(family, num_classes=10):
    return FAMILIES[family](num_classes=num_classes)
