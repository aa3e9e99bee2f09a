#!/usr/bin/env python3
"""Whole-network PyTorch fixtures that cannot flip: Tests/Fixtures/<name>.safetensors and their INDEX.json entries.

Needs Python with torch and safetensors, only to regenerate; the build and the tests read the committed files.
usage: scripts/make_network_fixtures.py [--out Tests/Fixtures] [--only NAME ...]

Why: a network gradient compared across two implementations is only well defined when no activation kink lies
within rounding distance of an input. A ReLU input at +9e-7 in one implementation and -4e-7 in the other passes the
gradient in one and blocks it in the other, and an instance norm behind it spreads that difference over every
upstream weight gradient: the comparison then measures rounding luck (issue 11). So each fixture here is *built*
so that every ReLU/LeakyReLU input stays at least MARGIN x (that tensor's RMS) away from 0:

  walk the activations in execution order; at the first one with elements inside the margin, redraw the weights
  (and, with no norm in between, the bias) of the conv output channels that feed those elements; run forward
  again; repeat until no activation is inside the margin.

Earlier layers never change when a later channel is redrawn, so the walk ends. The smallest margin found is
recorded in the fixture's metadata as `kink_margin` (relative to each tensor's RMS); the Swift test asserts that
its forward error, relative to the output's RMS, is well below it before it compares gradients, so a gradient
mismatch there means a real difference. The networks have no max-pool, |x| or L1 terms; the loss is smooth:
loss = sum(y * gy) with a random gy, so every grad.<name> = d loss / d<name>.

Layouts follow the reference code (junyanz/pytorch-CycleGAN-and-pix2pix and taesungp/contrastive-unpaired-translation
networks.py): ResnetGenerator, NLayerDiscriminator, and CUT's antialiased variants (Downsample/Upsample with
binomial filters as buffers `filt`). Weights and biases are drawn from normal(0, 0.02), as init_type normal.
"""
import argparse, json, math, os, sys
import torch, torch.nn as nn, torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_index

MARGIN = 1e-3      # every activation input at least MARGIN * rms(that tensor) from its kink
INIT_STD = 0.02


def binomial(k):
    a = torch.tensor({3: [1., 2., 1.], 4: [1., 3., 3., 1.]}[k])
    f = a[:, None] * a[None, :]
    return f / f.sum()


class Downsample(nn.Module):
    """CUT's Downsample: reflect-pad 1, depthwise 3x3 binomial blur, stride 2."""
    def __init__(self, c):
        super().__init__()
        self.register_buffer('filt', binomial(3)[None, None].repeat(c, 1, 1, 1))

    def forward(self, x):
        return F.conv2d(F.pad(x, (1, 1, 1, 1), mode='reflect'), self.filt, stride=2, groups=x.shape[1])


class Upsample(nn.Module):
    """CUT's Upsample: replicate-pad 1, depthwise transposed 4x4 binomial blur x4, stride 2, crop 1 on each side."""
    def __init__(self, c):
        super().__init__()
        self.register_buffer('filt', (binomial(4) * 4)[None, None].repeat(c, 1, 1, 1))

    def forward(self, x):
        y = F.conv_transpose2d(F.pad(x, (1, 1, 1, 1), mode='replicate'), self.filt, stride=2, padding=2,
                               groups=x.shape[1])
        return y[:, :, 1:, 1:][:, :, :-1, :-1]


class ResnetBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv_block = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c), nn.ReLU(),
                                        nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c))

    def forward(self, x):
        return x + self.conv_block(x)


class Wrapper(nn.Module):
    """One Sequential under `model`, as the reference networks hold it (keys model.<idx>...)."""
    def __init__(self, layers):
        super().__init__()
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


def resnet_generator(ngf, blocks, nc=3, antialias=False):
    L = [nn.ReflectionPad2d(3), nn.Conv2d(nc, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU()]
    c = ngf
    for _ in range(2):
        if antialias:
            L += [nn.Conv2d(c, 2 * c, 3, 1, 1), nn.InstanceNorm2d(2 * c), nn.ReLU(), Downsample(2 * c)]
        else:
            L += [nn.Conv2d(c, 2 * c, 3, 2, 1), nn.InstanceNorm2d(2 * c), nn.ReLU()]
        c *= 2
    L += [ResnetBlock(c) for _ in range(blocks)]
    for _ in range(2):
        if antialias:
            L += [Upsample(c), nn.Conv2d(c, c // 2, 3, 1, 1)]
        else:
            L += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1)]
        L += [nn.InstanceNorm2d(c // 2), nn.ReLU()]
        c //= 2
    L += [nn.ReflectionPad2d(3), nn.Conv2d(c, nc, 7), nn.Tanh()]
    return Wrapper(L)


def patchgan(ndf, layers=3, nc=3, antialias=False):
    s = 1 if antialias else 2
    L = [nn.Conv2d(nc, ndf, 4, s, 1), nn.LeakyReLU(0.2)]
    if antialias:
        L.append(Downsample(ndf))
    mult = 1
    for n in range(1, layers + 1):
        prev, mult = mult, min(2 ** n, 8)
        L += [nn.Conv2d(ndf * prev, ndf * mult, 4, s if n < layers else 1, 1), nn.InstanceNorm2d(ndf * mult),
              nn.LeakyReLU(0.2)]
        if antialias and n < layers:
            L.append(Downsample(ndf * mult))
    L.append(nn.Conv2d(ndf * mult, 1, 4, 1, 1))
    return Wrapper(L)


def execution_order(net):
    """The leaf modules in the order they run (these networks are Sequentials of Sequentials)."""
    return [m for m in net.modules() if len(list(m.children())) == 0]


def kink_owners(net):
    """(activation, conv that feeds it, whether a norm sits between) for every ReLU/LeakyReLU."""
    owners, conv, normed = [], None, False
    for m in execution_order(net):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            conv, normed = m, False
        elif isinstance(m, nn.InstanceNorm2d):
            normed = True
        elif isinstance(m, (nn.ReLU, nn.LeakyReLU)):
            owners.append((m, conv, normed))
    return owners


def activation_inputs(net, x, owners):
    seen = {}
    hooks = [a.register_forward_pre_hook(lambda m, inp, i=i: seen.__setitem__(i, inp[0].detach().clone()))
             for i, (a, _, _) in enumerate(owners)]
    with torch.no_grad():
        net(x)
    for h in hooks:
        h.remove()
    return [seen[i] for i in range(len(owners))]


def relative_margin(v):
    rms = v.pow(2).mean().sqrt()
    return (v.abs() / rms), rms


def redraw_channels(conv, channels, normed, gen):
    with torch.no_grad():
        for c in channels:
            if isinstance(conv, nn.ConvTranspose2d):  # weight (in, out, k, k)
                conv.weight[:, c].copy_(torch.randn(conv.weight[:, c].shape, generator=gen) * INIT_STD)
            else:                                     # weight (out, in, k, k)
                conv.weight[c].copy_(torch.randn(conv.weight[c].shape, generator=gen) * INIT_STD)
            if conv.bias is not None and not normed:
                conv.bias[c] = torch.randn((), generator=gen) * INIT_STD


def keep_off_kinks(net, x, gen, max_rounds=20000):
    """Redraws conv channels until every activation input is >= MARGIN * rms away from 0; returns the margin."""
    owners = kink_owners(net)
    for rounds in range(max_rounds):
        inputs = activation_inputs(net, x, owners)
        for (act, conv, normed), v in zip(owners, inputs):
            rel, _ = relative_margin(v)
            bad = (rel < MARGIN).any(dim=(0, 2, 3)).nonzero().flatten().tolist()
            if bad:
                redraw_channels(conv, bad, normed, gen)
                break
        else:
            margin = min(relative_margin(v)[0].min().item() for v in inputs)
            print(f"  {len(owners)} activations off their kinks after {rounds} redraw rounds; margin {margin:.3g}")
            return margin
    sys.exit(f"make_network_fixtures: no kink-free draw after {max_rounds} rounds")


def initialise(net, gen):
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * INIT_STD)


FIXTURES = {
    # name: (builder, input shape, description)
    'resnet_generator_ngf8_2blocks': (lambda: resnet_generator(8, 2), (2, 3, 32, 32),
        "CycleGAN ResNet generator (reflect-pad 7x7 conv, 2 stride-2 convs, 2 residual blocks, 2 transposed convs, "
        "reflect-pad 7x7 conv, tanh), ngf 8, instance norm without affine, no dropout"),
    'resnet_generator_ngf16_6blocks': (lambda: resnet_generator(16, 6), (2, 3, 32, 32),
        "CycleGAN ResNet generator resnet_6blocks, ngf 16, 3 channels, instance norm, no dropout"),
    'resnet_generator_ngf16_9blocks': (lambda: resnet_generator(16, 9), (2, 3, 32, 32),
        "CycleGAN ResNet generator resnet_9blocks, ngf 16, 3 channels, instance norm, no dropout"),
    'cut_generator_ngf16_9blocks': (lambda: resnet_generator(16, 9, antialias=True), (2, 3, 32, 32),
        "CUT antialiased ResNet generator (stride-1 conv + Downsample blur, Upsample blur + conv), resnet_9blocks, "
        "ngf 16, instance norm, no dropout; blur filters as buffers model.<idx>.filt"),
    'patchgan_ndf8': (lambda: patchgan(8), (2, 3, 64, 64),
        "PatchGAN discriminator, 3 layers, ndf 8, kernel 4, LeakyReLU 0.2, instance norm without affine; "
        "strides 2,2,2,1,1"),
    'patchgan_ndf16': (lambda: patchgan(16), (2, 3, 64, 64),
        "PatchGAN discriminator (basic, 3 layers), ndf 16, instance norm; strides 2,2,2,1,1"),
    'cut_patchgan_ndf16': (lambda: patchgan(16, antialias=True), (2, 3, 64, 64),
        "CUT antialiased PatchGAN (stride-1 convs + Downsample blur), 3 layers, ndf 16, instance norm"),
}


def make(name, out, seed):
    build, shape, description = FIXTURES[name]
    print(name)
    gen = torch.Generator().manual_seed(seed)
    net = build()
    initialise(net, gen)
    x = torch.rand(shape, generator=gen) * 2 - 1
    margin = keep_off_kinks(net, x, gen)
    y = net(x)
    gy = torch.randn(y.shape, generator=gen) / math.sqrt(y.numel())
    loss = (y * gy).sum()
    loss.backward()
    tensors = {'x': x, 'gy': gy, 'y': y.detach(), 'loss': loss.detach().reshape(1)}
    for k, v in net.state_dict().items():
        tensors['param.' + k] = v
    for k, p in net.named_parameters():
        tensors['grad.' + k] = p.grad
    tensors = {k: v.detach().contiguous().float() for k, v in tensors.items()}
    meta = {'op': description,
            'loss': 'sum(y * gy), gy ~ normal(0, 1/numel(y)); grad.<name> = dloss/dparam',
            'keys': 'param.<state-dict key> (parameters and buffers, reference names), grad.<parameter key>',
            'kink_margin': f'{margin:.6g}',
            'kink_margin_note': 'smallest |ReLU/LeakyReLU input| / RMS of that input tensor over every activation; '
                                'made by scripts/make_network_fixtures.py',
            'seed': str(seed), 'torch': torch.__version__}
    path, entry = fixture_index.save_fixture(out, name, tensors, meta)
    return meta, entry['tensors']


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'Tests', 'Fixtures'))
    p.add_argument('--only', nargs='*', default=None)
    p.add_argument('--seed', type=int, default=11)
    a = p.parse_args()
    torch.set_num_threads(1)
    index = {}
    for i, name in enumerate(a.only or FIXTURES):
        meta, shapes = make(name, a.out, a.seed + i)
        index[name] = {'meta': meta, 'tensors': shapes}
    fixture_index.update_index(a.out, index)


if __name__ == '__main__':
    main()
