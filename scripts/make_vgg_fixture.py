#!/usr/bin/env python3
"""The VGG19 perceptual loss fixture (issue 15): Tests/Fixtures/vgg_perceptual_loss.safetensors and its INDEX.json
entry. The loss is ECGAN's (Ha0Tang/ECGAN@984be01 `models/networks/loss.py` VGGLoss: Σ w_i·L1(φ_i(x), φ_i(y).detach()),
w = 1/32 … 1, over the official `architecture.py` VGG19's five slices of torchvision's vgg19().features), with the
official VGG19 module itself; only its weights differ: torchvision's ImageNet weights cannot be fetched here (and
would be 80 MB), so every conv gets the closed-form weights below, which the Swift test rebuilds:

  features.<i>.weight, flat element e:  sin(0.7·e + i) · sqrt(2 / fan_in)    (float64, then float32)
  features.<i>.bias,   element e:       0.01 · sin(e + i)

Needs Python with torch, torchvision and safetensors and a checkout of the official ECGAN code at 984be01, only to
regenerate; the tests read the committed file.

  scripts/make_vgg_fixture.py --repo /tmp/ecgan

Kinks: the ReLU inputs are measured per channel (min |x| / rms) and the inputs drawn again until the margin is at
least 1e-6 (the best of 200 draws). Recorded: x, y (1×3×32×32), loss, gx = dloss/dx.
"""
import argparse, json, math, os, sys
import numpy as np
import torch, torch.nn.functional as F
import torchvision
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_index

MARGIN = 1e-6


def closed_form(features):
    for i, m in enumerate(features):
        if isinstance(m, torch.nn.Conv2d):
            fan_in = m.weight[0].numel()
            e = np.arange(m.weight.numel(), dtype=np.float64)
            m.weight.data = torch.tensor(np.sin(0.7 * e + i) * math.sqrt(2 / fan_in), dtype=torch.float32).reshape(m.weight.shape)
            e = np.arange(m.bias.numel(), dtype=np.float64)
            m.bias.data = torch.tensor(0.01 * np.sin(e + i), dtype=torch.float32)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--repo', required=True)
    p.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'Tests', 'Fixtures'))
    a = p.parse_args()
    torch.set_num_threads(1)
    # util/util.py imports dill only for pickling options, which nothing here does (as make_ecgan_fixtures.py).
    import pickle, types
    dill = types.ModuleType('dill')
    dill.__dict__.update(pickle.__dict__)
    sys.modules.setdefault('dill', dill)
    sys.path.insert(0, a.repo)
    real_vgg19 = torchvision.models.vgg19
    torchvision.models.vgg19 = lambda pretrained=False, **kw: real_vgg19(weights=None)
    from models.networks.architecture import VGG19
    vgg = VGG19()
    features = torch.nn.Sequential(*[m for s in [vgg.slice1, vgg.slice2, vgg.slice3, vgg.slice4, vgg.slice5] for m in s])
    closed_form(features)
    weights = [1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0]
    relu = F.relu
    def run(seed):
        margin = [float('inf')]

        def measuring(x, inplace=False):
            c = x.detach().transpose(0, 1).reshape(x.shape[1], -1)
            for row in c:
                rms = row.pow(2).mean().sqrt()
                if rms > 0:
                    margin[0] = min(margin[0], float(row.abs().min() / rms))
            return relu(x, inplace)
        F.relu = measuring
        try:
            g = torch.Generator().manual_seed(seed)
            x = (torch.rand(1, 3, 32, 32, generator=g) * 2 - 1).requires_grad_()
            y = torch.rand(1, 3, 32, 32, generator=g) * 2 - 1
            x_vgg, y_vgg = vgg(x), vgg(y)
            loss = 0
            for i in range(len(x_vgg)):
                loss += weights[i] * F.l1_loss(x_vgg[i], y_vgg[i].detach())
        finally:
            F.relu = relu
        return margin[0], x, y, loss
    margins = [(run(seed)[0], seed) for seed in range(200)]
    best, seed = max(margins)
    print(f'best kink margin {best:.3g} at seed {seed}')
    if best < MARGIN:
        sys.exit('make_vgg_fixture: no seed keeps every ReLU input off its kink')
    margin, x, y, loss = run(seed)
    margin = [margin]
    loss.backward()
    tensors = {'x': x.detach(), 'y': y, 'loss': loss.detach().reshape(1), 'gx': x.grad}
    meta = {'kink_margin': f'{margin[0]:.6g}', 'seed': str(seed), 'torch': torch.__version__,
            'repository': 'Ha0Tang/ECGAN 984be01', 'note': 'made by scripts/make_vgg_fixture.py; closed-form conv weights'}
    path, entry = fixture_index.save_fixture(a.out, 'vgg_perceptual_loss', tensors, meta)
    fixture_index.update_index(a.out, {'vgg_perceptual_loss': entry})
    print(f'wrote {path}: loss {float(loss.detach()):.6g}')


if __name__ == '__main__':
    main()
