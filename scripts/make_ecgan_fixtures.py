#!/usr/bin/env python3
"""ECGAN network fixtures (issue 15 item 2): Tests/Fixtures/<name>.safetensors and their INDEX.json entries.

Needs Python with torch and safetensors and a checkout of the official ECGAN code at 984be01 (the network code was
deleted from HEAD in e5e6edb), only to regenerate; the build and the tests read the committed files.

  git clone https://github.com/Ha0Tang/ECGAN /tmp/ecgan && git -C /tmp/ecgan checkout 984be01
  scripts/make_ecgan_fixtures.py --repo /tmp/ecgan [--out Tests/Fixtures] [--only NAME ...]

The reference modules are the official classes themselves (SPADE, SPADEResnetBlock, MultiscaleDiscriminator,
GANLoss), imported from the checkout. The generator is the one exception: the official SPADEGenerator always has
7 ResBlks (head_0, G_middle_0, G_middle_1, up_0 ... up_3), so ECGAN-mini (spec section 7: ngf 16, 4 ResBlks) needs
a copy whose trunk length is a parameter (`Generator` below: head_0, optional middle blocks, up_0 ... up_(n-1)). The
script first checks that the copy *is* the official generator where both exist: at the official shape, with the
official state dict loaded strictly, its three outputs and its spectral-norm buffers after a training forward
are bit-identical to SPADEGenerator's, for num_upsampling_layers normal and more.

Conventions (as scripts/make_network_fixtures.py): loss = sum over outputs of sum(y * gy), gy ~ normal(0,
1/numel(y)); grad.<name> = dloss/dparam for every parameter (zeros, listed in `no_gradient`, for a parameter the
forward does not use: the official generator's fc1); g<input> = dloss/d<input>; param.<key> = the state dict
before the forward (parameters and buffers, official names); after.<key> = the buffers after it (spectral norm's
weight_u/weight_v after one power iteration, batch norms' running statistics). Weights are PyTorch's construction
defaults (U(+-1/sqrt(fan_in)) for weights and biases), not init_weights' xavier(0.02), so that every branch
(gamma, beta, the shortcut, the attention gates) carries a signal of order 1.

Kinks (issue 11): each fixture is built so that every ReLU/LeakyReLU input lies at least MARGIN x (the RMS of that
tensor) from 0: walk the activations in execution order and, at the first with elements inside the margin, redraw
the weights and bias of the conv output channels that feed those elements (for the activation after a SPADE, its
mlp_beta channel; for the trunk output that the heads read, the last ResBlk's conv_1 channel), then run again
from the same buffers. The semantic map's own channels, fed to a LeakyReLU in the semantic-preserving module, are
exactly 0 or 1 in both implementations, so they are not kinks that rounding can flip. The discriminator fixture
also keeps the hinge inputs 1 -+ D and the feature-matching differences fake - real at least LOSS_MARGIN x RMS from
0 (chosen by redrawing the input images). The smallest margins are recorded as `kink_margin` and `loss_margin`.
"""
import argparse, copy, json, math, os, pickle, sys, types
from argparse import Namespace
import torch, torch.nn as nn, torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_index

MARGIN = 1e-3
LOSS_MARGIN = 1e-4
LABEL_NC, SEMANTIC_NC = 5, 6          # 5 classes, no dontcare, plus the instance-edge channel
COMMIT = '984be01'


def import_official(repo):
    """The official classes; util/util.py imports dill only for pickling options, which nothing here does."""
    dill = types.ModuleType('dill')
    dill.__dict__.update(pickle.__dict__)
    dill.extend = lambda *a, **k: None
    sys.modules.setdefault('dill', dill)
    sys.path.insert(0, repo)
    from models.networks.normalization import SPADE
    from models.networks.architecture import SPADEResnetBlock
    from models.networks.generator import SPADEGenerator
    from models.networks.discriminator import MultiscaleDiscriminator
    from models.networks.loss import GANLoss
    return Namespace(SPADE=SPADE, SPADEResnetBlock=SPADEResnetBlock, SPADEGenerator=SPADEGenerator,
                     MultiscaleDiscriminator=MultiscaleDiscriminator, GANLoss=GANLoss)


# ----------------------------------------------------------------------------------------------------------------
# Kink tracking: every activation input with the conv that owns its channels

class Kinks:
    def __init__(self):
        self.records, self.hooks = [], []

    def add(self, v, owner):
        self.records.append((v.detach().clone(), owner))

    def watch_spade(self, spade, activated):
        """SPADE's mlp_shared ReLU; and its output, when a LeakyReLU follows (ResBlk norm_0, norm_1)."""
        relu = spade.mlp_shared[1]
        self.hooks.append(relu.register_forward_pre_hook(lambda m, inp: self.add(inp[0], spade.mlp_shared[0])))
        if activated:
            self.hooks.append(spade.register_forward_hook(lambda m, inp, out: self.add(out, spade.mlp_beta)))

    def watch_block(self, block):
        self.watch_spade(block.norm_0, True)
        self.watch_spade(block.norm_1, True)
        if block.learned_shortcut:
            self.watch_spade(block.norm_s, False)

    def watch_discriminator(self, d):
        for scale in d.children():
            conv = None
            for m in scale.modules():
                if isinstance(m, nn.Conv2d):
                    conv = m
                elif isinstance(m, nn.LeakyReLU):
                    self.hooks.append(m.register_forward_pre_hook(lambda m, inp, c=conv: self.add(inp[0], c)))


def relative(v):
    return v.abs() / v.pow(2).mean().sqrt()


def redraw(conv, channels, gen):
    """Conv output channels `channels`: weight rows and bias from U(+-1/sqrt(fan_in)). Under spectral norm a weight
    row changes sigma and so every channel, which would undo the channels already fixed: there only the bias is
    redrawn when there is one (the discriminator's spectral convs have none; the instance norm after them cancels
    the common scale)."""
    spectral = hasattr(conv, 'weight_orig')
    weight = conv.weight_orig if spectral else conv.weight
    bound = 1 / math.sqrt(weight[0].numel())
    with torch.no_grad():
        for c in channels:
            if not (spectral and conv.bias is not None):
                weight[c].copy_((torch.rand(weight[c].shape, generator=gen) * 2 - 1) * bound)
            if conv.bias is not None:
                conv.bias[c] = (torch.rand((), generator=gen) * 2 - 1) * bound


def buffers_of(net):
    return {k: v.clone() for k, v in net.named_buffers()}


def restore_buffers(net, saved):
    with torch.no_grad():
        for k, v in net.named_buffers():
            v.copy_(saved[k])


def keep_off_kinks(net, kinks, run, gen, max_rounds=3000):
    """Redraws owner channels until every recorded activation input is >= MARGIN * rms from 0; returns the margin.
    `run` does the fixture's forward passes; the buffers are restored before each try."""
    saved, failures = buffers_of(net), {}
    for rounds in range(max_rounds):
        restore_buffers(net, saved)
        kinks.records = []
        with torch.no_grad():
            run()
        for index, (v, owner) in enumerate(kinks.records):
            bad = (relative(v) < MARGIN).transpose(0, 1).reshape(v.shape[1], -1).any(dim=1).nonzero().flatten().tolist()
            if bad:
                redraw(owner, bad, gen)
                failures[index] = failures.get(index, 0) + 1
                break
        else:
            restore_buffers(net, saved)
            margin = min(relative(v).min().item() for v, _ in kinks.records)
            print(f'  {len(kinks.records)} activation inputs off their kinks after {rounds} redraw rounds; margin {margin:.3g}')
            for h in kinks.hooks:
                h.remove()
            return margin
    sys.exit(f'make_ecgan_fixtures: no kink-free draw after {max_rounds} rounds (redraws per activation: {failures})')


# ----------------------------------------------------------------------------------------------------------------
# Inputs

def get_edges(t):
    """The official Pix2PixModel.get_edges: 1 where a 4-neighbour has another instance id."""
    edge = torch.zeros(t.shape, dtype=torch.bool)
    edge[:, :, :, 1:] |= t[:, :, :, 1:] != t[:, :, :, :-1]
    edge[:, :, :, :-1] |= t[:, :, :, 1:] != t[:, :, :, :-1]
    edge[:, :, 1:, :] |= t[:, :, 1:, :] != t[:, :, :-1, :]
    edge[:, :, :-1, :] |= t[:, :, 1:, :] != t[:, :, :-1, :]
    return edge.float()


def semantic_map(n, h, w, gen, block=4):
    """One-hot labels (LABEL_NC classes, constant on block x block cells) and the instance-edge channel."""
    coarse = torch.randint(0, LABEL_NC, (n, 1, h // block, w // block), generator=gen)
    labels = coarse.repeat_interleave(block, 2).repeat_interleave(block, 3)
    one_hot = torch.zeros(n, LABEL_NC, h, w).scatter_(1, labels, 1.0)
    instances = torch.randint(0, 3, (n, 1, h // block, w // block), generator=gen)
    instances = instances.repeat_interleave(block, 2).repeat_interleave(block, 3) + labels * 10
    return torch.cat([one_hot, get_edges(instances)], dim=1)


def cotangent(y, gen):
    return torch.randn(y.shape, generator=gen) / math.sqrt(y.numel())


def collect(net, tensors, params, no_grad=()):
    for k, v in params.items():
        tensors['param.' + k] = v
    for k, v in net.named_buffers():
        tensors['after.' + k] = v
    for k, p in net.named_parameters():
        tensors['grad.' + k] = torch.zeros_like(p) if p.grad is None else p.grad
    assert sorted(no_grad) == sorted(k for k, p in net.named_parameters() if p.grad is None), no_grad


# ----------------------------------------------------------------------------------------------------------------
# The generator: a copy of the official SPADEGenerator with the trunk length as a parameter

class Generator(nn.Module):
    """SPADEGenerator (984be01 models/networks/generator.py) without use_vae: head_0, [G_middle_0, G_middle_1,]
    up_0 ... up_(up_blocks-1), head_0 at ngf * 2**up_blocks; the official code is middle=True, up_blocks=4. Modules
    are registered in the official order, so state dicts are interchangeable where the shapes agree."""
    def __init__(self, O, opt, ngf, up_blocks, middle, more=False, heads=(32, 16, 8)):
        super().__init__()
        self.middle, self.more, self.up_blocks = middle, more, up_blocks
        nf, top = ngf, ngf << up_blocks
        self.fc = nn.Conv2d(opt.semantic_nc, top, 3, padding=1)
        self.head_0 = O.SPADEResnetBlock(top, top, opt)
        if middle:
            self.G_middle_0 = O.SPADEResnetBlock(top, top, opt)
            self.G_middle_1 = O.SPADEResnetBlock(top, top, opt)
        for k in range(up_blocks):
            setattr(self, f'up_{k}', O.SPADEResnetBlock(nf << (up_blocks - k), nf << (up_blocks - k - 1), opt))
        w = [nf, *heads, 3]
        for k in range(4):
            setattr(self, f'conv_img{k + 1}', nn.Conv2d(w[k], w[k + 1], 3, padding=1))
        for k in range(4):
            setattr(self, f'conv_edge{k + 1}', nn.Conv2d(w[k], w[k + 1], 3, padding=1))
        comb = nf + 3 + 3 + opt.semantic_nc
        self.conv_comb = nn.Conv2d(comb, 3, 3, padding=1)
        self.conv_comb1 = nn.Conv2d(comb, opt.label_nc, 3, padding=1)
        self.conv_comb2 = nn.Conv2d(opt.label_nc, comb, 3, padding=1)
        self.fc1 = nn.Linear(opt.label_nc, opt.label_nc)
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.up = nn.Upsample(scale_factor=2)
        self.kinks = None

    def blocks(self):
        names = ['head_0'] + (['G_middle_0', 'G_middle_1'] if self.middle else []) + [f'up_{k}' for k in range(self.up_blocks)]
        return [getattr(self, n) for n in names]

    def lrelu(self, v, owner):
        if self.kinks is not None and owner is not None:
            self.kinks.add(v, owner)
        return F.leaky_relu(v, 2e-1)

    def forward(self, seg):
        ups = self.up_blocks + (1 if self.middle else 0) + (1 if self.more else 0)
        x = F.interpolate(seg, size=(seg.shape[2] >> ups, seg.shape[3] >> ups))
        x = self.fc(x)
        x = self.head_0(x, seg)
        if self.middle:
            x = self.up(x)
            x = self.G_middle_0(x, seg)
            if self.more:
                x = self.up(x)
            x = self.G_middle_1(x, seg)
        for k in range(self.up_blocks):
            x = self.up(x)
            x = getattr(self, f'up_{k}')(x, seg)
        last = self.blocks()[-1].conv_1
        A = self.lrelu
        edge1 = self.conv_edge1(A(x, last)); edge1_att = torch.sigmoid(edge1)
        edge2 = self.conv_edge2(A(edge1, self.conv_edge1)); edge2_att = torch.sigmoid(edge2)
        edge3 = self.conv_edge3(A(edge2, self.conv_edge2)); edge3_att = torch.sigmoid(edge3)
        image1 = self.conv_img1(A(x, None))
        image1 = image1 * edge1_att + image1
        image2 = self.conv_img2(A(image1, self.conv_img1))
        image2 = image2 * edge2_att + image2
        image3 = self.conv_img3(A(image2, self.conv_img2))
        image3 = image3 * edge3_att + image3
        edge4 = self.conv_edge4(A(edge3, self.conv_edge3))
        edge_att = torch.sigmoid(torch.tanh(edge4))
        edge = torch.tanh(edge4)
        image4 = self.conv_img4(A(image3, self.conv_img3))
        image = torch.tanh(image4)
        image = image * edge_att + image
        combined = torch.cat((x, image, edge, seg), 1)
        if self.kinks is not None:  # the LeakyReLU input, part by part (seg is exact)
            self.kinks.add(x, last); self.kinks.add(image, self.conv_img4); self.kinks.add(edge, self.conv_edge4)
        class_feature = self.conv_comb1(F.leaky_relu(combined, 2e-1))
        b, c, _, _ = class_feature.size()
        gamma = torch.sigmoid(self.avg_pool(class_feature).view(b, c)).view(b, c, 1, 1)
        refined = class_feature + class_feature * gamma
        refined = self.conv_comb2(A(refined, self.conv_comb1))
        image2 = torch.tanh(self.conv_comb(A(refined, self.conv_comb2)))
        self.features = x
        return image, image2, edge


def generator_opt(norm, ngf=16, crop=64, aspect=1.0, upsampling='normal'):
    return Namespace(norm_G=norm, semantic_nc=SEMANTIC_NC, label_nc=LABEL_NC, ngf=ngf, crop_size=crop,
                     aspect_ratio=aspect, num_upsampling_layers=upsampling, use_vae=False)


def check_copy_is_official(O):
    """At the official shapes the copy gives the official generator's outputs and buffers bit for bit."""
    for upsampling, crop, aspect, h, w in [('normal', 64, 1.0, 64, 64), ('more', 128, 2.0, 64, 128)]:
        torch.manual_seed(3)
        opt = generator_opt('spectralspadesyncbatch3x3', ngf=4, crop=crop, aspect=aspect, upsampling=upsampling)
        official = O.SPADEGenerator(opt)
        mine = Generator(O, opt, ngf=4, up_blocks=4, middle=True, more=upsampling == 'more')
        mine.load_state_dict(official.state_dict(), strict=True)
        seg = semantic_map(2, h, w, torch.Generator().manual_seed(4))
        a, b = official(seg, None), mine(seg)
        assert all(torch.equal(x, y) for x, y in zip(a, b)), f'generator copy differs from the official ({upsampling})'
        sa, sb = official.state_dict(), mine.state_dict()
        assert list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa), 'state after forward differs'
    print('  the Generator copy equals the official SPADEGenerator (normal and more), outputs and buffers')


# ----------------------------------------------------------------------------------------------------------------
# Fixtures

def block_pass(net, x, seg, kinks, gen):
    """A block's fixture tensors: its input and label map kept off the kinks, a training forward with a random
    cotangent and backward (every gradient, the buffers after it), then y_eval in eval mode from that state."""
    margin = keep_off_kinks(net, kinks, lambda: net(x, seg), gen)
    params = {k: v.clone() for k, v in net.state_dict().items()}
    x, seg = x.requires_grad_(), seg.requires_grad_()
    y = net(x, seg)
    gy = cotangent(y, gen)
    loss = (y * gy).sum()
    loss.backward()
    t = {'x': x, 'seg': seg, 'y': y, 'gy': gy, 'loss': loss.reshape(1), 'gx': x.grad, 'gseg': seg.grad}
    collect(net, t, params)
    net.eval()
    with torch.no_grad():
        t['y_eval'] = net(x, seg)
    return t, margin


def spade_fixture(O, gen, norm):
    net = O.SPADE(f'spade{norm}3x3', 8, SEMANTIC_NC)
    x = torch.randn(2, 8, 8, 8, generator=gen) * 1.5 + 0.3
    seg = semantic_map(2, 16, 16, gen)
    kinks = Kinks()
    kinks.watch_spade(net, False)
    t, margin = block_pass(net, x, seg, kinks, gen)
    desc = (f'official SPADE(spade{norm}3x3, norm_nc 8, label_nc {SEMANTIC_NC}): param-free {norm} norm, seg resized '
            f'nearest 16x16 -> 8x8, mlp_shared conv3x3 -> 128 + ReLU, mlp_gamma, mlp_beta; training forward, then '
            f'y_eval in eval mode from the state after it')
    return t, margin, desc, {}


def resblk_fixture(O, gen):
    opt = Namespace(norm_G='spectralspadesyncbatch3x3', semantic_nc=SEMANTIC_NC)
    net = O.SPADEResnetBlock(16, 8, opt)
    x = torch.randn(2, 16, 8, 8, generator=gen) * 1.5 + 0.3
    seg = semantic_map(2, 16, 16, gen)
    kinks = Kinks()
    kinks.watch_block(net)
    t, margin = block_pass(net, x, seg, kinks, gen)
    desc = ('official SPADEResnetBlock(16 -> 8, norm_G spectralspadesyncbatch3x3, semantic_nc 6): learned shortcut '
            '(norm_s + conv_s 1x1 no bias), spectral norm on conv_0, conv_1, conv_s; SynchronizedBatchNorm2d on one '
            'process is batch norm (it does not count num_batches_tracked); training forward (one power iteration '
            'each), then y_eval in eval mode (no iteration, running statistics)')
    return t, margin, desc, {}


def generator_fixture(O, gen):
    opt = generator_opt('spectralspadeinstance3x3')
    net = Generator(O, opt, ngf=16, up_blocks=3, middle=False)
    seg = semantic_map(2, 32, 32, gen)
    kinks = Kinks()
    for b in net.blocks():
        kinks.watch_block(b)
    net.kinks = kinks
    margin = keep_off_kinks(net, kinks, lambda: net(seg), gen)
    net.kinks = None
    params = {k: v.clone() for k, v in net.state_dict().items()}
    seg = seg.requires_grad_()
    outputs = dict(zip(['image', 'refined_image', 'edge'], net(seg)))
    t = {'seg': seg, 'y.features': net.features}
    loss = 0
    for k, y in outputs.items():
        t['y.' + k], t['gy.' + k] = y, cotangent(y, gen)
        loss = loss + (y * t['gy.' + k]).sum()
    loss.backward()
    t.update({'loss': loss.reshape(1), 'gseg': seg.grad})
    collect(net, t, params, no_grad=['fc1.weight', 'fc1.bias'])
    desc = ('ECGAN generator at mini size (spec section 7): the official SPADEGenerator with head_0, up_0, up_1, up_2 '
            '(ngf 16: 128 -> 64 -> 32 -> 16 channels, 3 upsamplings, latent 4x4 from a 32x32 map), '
            'norm_G spectralspadeinstance3x3, heads 32/16/8, semantic-preserving module; loss = sum over image, '
            'refined_image, edge of sum(y * gy); y.features is the trunk output the heads read (not in the loss)')
    return t, margin, desc, {'no_gradient': 'fc1.weight, fc1.bias (built, never used by the official forward)'}


def discriminator_fixture(O, gen):
    opt = Namespace(netD_subarch='n_layer', num_D=2, n_layers_D=3, ndf=16, norm_D='spectralinstance',
                    label_nc=LABEL_NC, output_nc=3, contain_dontcare_label=False, no_instance=False,
                    no_ganFeat_loss=False, gan_mode='hinge', lambda_feat=10.0)
    net = O.MultiscaleDiscriminator(opt)
    gan = O.GANLoss('hinge', tensor=torch.FloatTensor, opt=opt)
    l1 = nn.L1Loss()

    def discriminate(seg, fake, real):  # Pix2PixModel.discriminate and divide_pred
        out = net(torch.cat([torch.cat([seg, fake], 1), torch.cat([seg, real], 1)], 0))
        return [[t[:t.size(0) // 2] for t in p] for p in out], [[t[t.size(0) // 2:] for t in p] for p in out], out

    def g_side(seg, fake, real):  # the official compute_generator_loss for one image pair
        pf, pr, out = discriminate(seg, fake, real)
        g_gan = gan(pf, True, for_discriminator=False)
        fm = torch.zeros(1)
        for i in range(len(pf)):
            for j in range(len(pf[i]) - 1):
                fm = fm + l1(pf[i][j], pr[i][j].detach()) * opt.lambda_feat / len(pf)
        return g_gan, fm, pf, pr, out

    def d_side(seg, fake, real):  # compute_discriminator_loss for one pair
        pf, pr, out = discriminate(seg, fake.detach(), real)
        return gan(pf, False, for_discriminator=True), gan(pr, True, for_discriminator=True), pf, pr, out

    for attempt in range(1000):
        # NOTE: 16x16 images: every feature-matching element |fake - real| must clear LOSS_MARGIN, and at 32x32
        # (36k elements) hardly any draw has no element inside 1e-4 of the RMS; 12k elements leave one in five.
        seg = semantic_map(2, 16, 16, gen)
        fake = torch.tanh(torch.randn(2, 3, 16, 16, generator=gen))
        real = torch.tanh(torch.randn(2, 3, 16, 16, generator=gen))
        kinks = Kinks()
        kinks.watch_discriminator(net)
        margin = keep_off_kinks(net, kinks, lambda: (g_side(seg, fake, real), d_side(seg, fake, real)), gen)
        saved = buffers_of(net)
        with torch.no_grad():
            _, _, pf, pr, _ = g_side(seg, fake, real)
            fm_margin = min((pf[i][j] - pr[i][j]).abs().min().item() / pf[i][j].pow(2).mean().sqrt().item()
                            for i in range(len(pf)) for j in range(len(pf[i]) - 1))
            _, _, pf, pr, _ = d_side(seg, fake, real)
            hinge_margin = min(min((1 + p[-1]).abs().min().item(), (1 - q[-1]).abs().min().item())
                               / torch.cat([p[-1], q[-1]]).pow(2).mean().sqrt().item() for p, q in zip(pf, pr))
        restore_buffers(net, saved)
        if min(fm_margin, hinge_margin) >= LOSS_MARGIN:
            break
    else:
        sys.exit('make_ecgan_fixtures: no input draw keeps the loss kinks away')
    print(f'  inputs drawn {attempt + 1} times')
    print(f'  loss margins: feature matching {fm_margin:.3g}, hinge {hinge_margin:.3g}')
    params = {k: v.clone() for k, v in net.state_dict().items()}
    t = {'seg': seg, 'fake': fake, 'real': real}
    seg_a, fake_a = seg.clone().requires_grad_(), fake.clone().requires_grad_()
    g_gan, fm, _, _, out = g_side(seg_a, fake_a, real)
    (g_gan + fm).sum().backward()
    for i, p in enumerate(out):
        for j, v in enumerate(p):
            t[f'a.out.{i}.{j}'] = v
    t.update({'a.loss_gan': g_gan.reshape(1), 'a.loss_fm': fm.reshape(1), 'a.gseg': seg_a.grad, 'a.gfake': fake_a.grad})
    for k, p in net.named_parameters():
        t['a.grad.' + k] = p.grad.clone()
    for k, v in net.named_buffers():
        t['a.after.' + k] = v.clone()
    net.zero_grad(set_to_none=True)
    seg_b, fake_b, real_b = seg.clone().requires_grad_(), fake.clone().requires_grad_(), real.clone().requires_grad_()
    d_fake, d_real, _, _, out = d_side(seg_b, fake_b, real_b)
    (d_fake + d_real).sum().backward()
    for i, p in enumerate(out):
        for j, v in enumerate(p):
            t[f'b.out.{i}.{j}'] = v
    t.update({'b.loss_fake': d_fake.reshape(1), 'b.loss_real': d_real.reshape(1), 'b.gseg': seg_b.grad,
              'b.greal': real_b.grad})
    # NOTE: the official D step detaches the fake before D sees it, so the D losses send no gradient to it.
    for k, p in net.named_parameters():
        t['b.grad.' + k] = p.grad.clone()
    for k, v in net.named_buffers():
        t['b.after.' + k] = v.clone()
    for k, v in params.items():
        t['param.' + k] = v
    desc = ('official MultiscaleDiscriminator (num_D 2, n_layers_D 3, ndf 16, norm_D spectralinstance, input '
            'semantic 6 + image 3), GANLoss hinge, L1 feature matching with lambda_feat 10 / num_D. Pass a (generator '
            'side): D(cat(seg, fake) ; cat(seg, real)), loss_gan = hinge G of the fake half, loss_fm over the 3 '
            'intermediate outputs of each scale against the detached real half, backward of their sum: a.grad.*, '
            'a.gfake, a.gseg; a.out.<scale>.<layer> the whole batch (fake first). Pass b (discriminator side, from '
            'the buffers after a): the same with the fake detached, loss_fake + loss_real (hinge D), backward: '
            'b.grad.*, b.greal, b.gseg. a.after.* / b.after.*: weight_u, weight_v after each pass\'s power iteration')
    return t, margin, desc, {'loss_margin': f'{min(fm_margin, hinge_margin):.6g}',
                             'loss_margin_note': 'smallest |fake - real| of a feature-matching term and |1 -+ D| of '
                                                 'a hinge term, relative to that tensor\'s RMS'}


FIXTURES = {
    'ecgan_spade_instance': lambda O, g: spade_fixture(O, g, 'instance'),
    'ecgan_spade_batch': lambda O, g: spade_fixture(O, g, 'batch'),
    'ecgan_spade_resblk_sn': resblk_fixture,
    'ecgan_generator_mini': generator_fixture,
    'ecgan_multiscale_discriminator': discriminator_fixture,
}


def make(O, name, out, seed):
    print(name)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    tensors, margin, description, extra = FIXTURES[name](O, gen)
    tensors = {k: v.detach().contiguous().float() for k, v in tensors.items()}
    meta = {'op': description,
            'loss': 'sum(y * gy), gy ~ normal(0, 1/numel(y)); grad.<name> = dloss/dparam, g<input> = dloss/d<input>',
            'keys': 'param.<state-dict key> before the forward (official names), after.<buffer> after it, '
                    'grad.<parameter key>',
            'kink_margin': f'{margin:.6g}',
            'kink_margin_note': 'smallest |ReLU/LeakyReLU input| / RMS of that input tensor over every activation; '
                                'made by scripts/make_ecgan_fixtures.py',
            'reference': f'Ha0Tang/ECGAN@{COMMIT} models/networks', 'seed': str(seed), 'torch': torch.__version__,
            **extra}
    path, entry = fixture_index.save_fixture(out, name, tensors, meta)
    print(f'  {len(tensors)} tensors, {os.path.getsize(path) / 1e6:.1f} MB')
    return meta, entry['tensors']


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--repo', required=True, help=f'checkout of github.com/Ha0Tang/ECGAN at {COMMIT}')
    p.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'Tests', 'Fixtures'))
    p.add_argument('--only', nargs='*', default=None)
    p.add_argument('--seed', type=int, default=15)
    a = p.parse_args()
    torch.set_num_threads(1)
    O = import_official(a.repo)
    check_copy_is_official(O)
    index = {}
    for i, name in enumerate(FIXTURES):
        if a.only and name not in a.only:
            continue
        meta, shapes = make(O, name, a.out, a.seed + i)
        index[name] = {'meta': meta, 'tensors': shapes}
    fixture_index.update_index(a.out, index)


if __name__ == '__main__':
    main()
