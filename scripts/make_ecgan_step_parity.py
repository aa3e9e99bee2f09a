#!/usr/bin/env python3
"""ECGAN training-step parity fixture (issue 15): the official Pix2PixTrainer's run_generator_one_step and
run_discriminator_one_step (Ha0Tang/ECGAN@984be01 `trainers/pix2pix_trainer.py`, `models/pix2pix_model.py`) run
for two steps on a fixed batch of the embedded brain set, recorded so that a Swift test can run i2i's ECGAN
`trainStep` from the same weights on the same batch and compare (Tests/ModelsTests/StepParityTests.swift).

Needs Python with torch and safetensors and a checkout of the official code at 984be01, only to regenerate; the
build and the tests read the committed Tests/Fixtures/step_parity_ecgan.safetensors.

  git clone https://github.com/Ha0Tang/ECGAN /tmp/ecgan && git -C /tmp/ecgan checkout 984be01
  scripts/make_ecgan_step_parity.py --repo /tmp/ecgan

The model is the official Pix2PixModel with its own losses (GANLoss hinge, feature matching, no VGG: the
perceptual term needs torchvision's ImageNet weights, which i2i takes from --vgg-weights and this fixture leaves
off), its own MultiscaleDiscriminator and its create_optimizers (TTUR: G lr/2, D 2·lr, Adam β (0, 0.9)). Its
generator is the trunk-length copy of scripts/make_ecgan_fixtures.py (`Generator`, checked there to equal the
official SPADEGenerator bit for bit where both exist), because the official one always has 7 ResBlks; it is
initialised by the official init_weights (xavier, gain 0.02), as create_network does. The sizes are small (ngf 4,
head_0 and 2 up blocks, ndf 16) to keep the file small: SPADE's hard-coded 128 hidden channels make most of G.

What is recorded (keys of the safetensors file):
  label, image, edge   the batch: the first two slices of data/brain/train_label and train_img, centre 32×32 crops
                       (label: class ids as floats, N×1×32×32; image: RGB in [-1, 1], the gray slice on three
                       channels as the reference's RGB loader gives it; edge: canny.m's edges of the image crop
                       (scripts/canny_reference.py) in [0, 1], N×1×32×32; the model sees it as 3 channels in [-1, 1])
  init.<net>.<key>     G's and D's state dicts before the first step (the official init; spectral norm's u, v)
  step<k>.loss.<name>  the official G_losses and D_losses after step k (GAN, GAN_Feat, D_Fake, D_real)
  step<k>.<net>.<key>  every network's state dict after step k
  step<k>.grad.<net>.<key>  each parameter's .grad after step k (G's from the G step, D's from the D step)
Metadata: the options, the kink margin, torch version, repository commit.

Kinks: every LeakyReLU/ReLU input of the three steps (F.leaky_relu and F.relu, which the official modules call)
is measured per channel as min |x| / rms(x) over its non-zero elements (exact zeros are the label map's one-hot
channels, exact on both sides); the initial weights are drawn again (another torch seed) until the margin is at least
MARGIN. (The hinge's torch.min(D ∓ 1, 0) kinks are not measured: D's scores stay within ~1e-2 of 0 at this init.)
"""
import argparse, importlib.util, json, os, pickle, subprocess, sys, types
from argparse import Namespace
import numpy as np
import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_index

MARGIN = 1e-6
STEPS = 2
CROP = 32
HERE = os.path.dirname(os.path.abspath(__file__))
OPTIONS = dict(label_nc=4, contain_dontcare_label=False, no_instance=True, ngf=4, up_blocks=2,
               norm_G='spectralspadeinstance3x3', netD='multiscale', netD_subarch='n_layer', num_D=2, n_layers_D=3,
               ndf=16, norm_D='spectralinstance', gan_mode='hinge', lambda_feat=10.0, lambda_vgg=10.0,
               no_vgg_loss=True, no_ganFeat_loss=False, lr=2e-4, beta1=0.0, beta2=0.9, no_TTUR=False,
               init_type='xavier', init_variance=0.02)


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def batch(data):
    """The first two training slices, centre-cropped to CROP: ids, RGB image in [-1, 1], canny.m edges in [0, 1]."""
    canny = load_script('canny_reference')
    names = sorted(os.listdir(os.path.join(data, 'train_label')))[:2]
    labels, images, edges = [], [], []
    for name in names:
        label = canny.read_png(os.path.join(data, 'train_label', name))
        image = canny.read_png(os.path.join(data, 'train_img', name))
        h, w = label.shape[:2]
        top, left = (h - CROP) // 2, (w - CROP) // 2
        crop = lambda a: a[top:top + CROP, left:left + CROP]
        label, image = crop(label), crop(image)
        labels.append(torch.tensor(label.reshape(1, CROP, CROP).astype(np.float32)))
        gray = torch.tensor(image.reshape(1, CROP, CROP).astype(np.float32)) / 255 * 2 - 1
        images.append(gray.expand(3, CROP, CROP).clone())
        edges.append(torch.tensor(canny.canny(image).reshape(1, CROP, CROP).astype(np.float32)) / 255)
    return {'label': torch.stack(labels), 'image': torch.stack(images), 'edge': torch.stack(edges), 'names': names}


class KinkMeter:
    """The smallest |x| / rms(x) over every LeakyReLU/ReLU input (the official modules call F.leaky_relu/F.relu)."""
    def __init__(self):
        self.margin = float('inf')
        self.leaky, self.relu = F.leaky_relu, F.relu
        meter = self

        def leaky(x, negative_slope=0.01, inplace=False):
            meter.add(x)
            return meter.leaky(x, negative_slope, inplace)

        def relu(x, inplace=False):
            meter.add(x)
            return meter.relu(x, inplace)
        F.leaky_relu, F.relu = leaky, relu

    def add(self, x):
        """Per channel: the semantic-preserving module's LeakyReLU reads cat(features, I′, I′_e, one-hot map), whose
        parts differ in scale by orders of magnitude, and a value's rounding is relative to its own channel's terms.
        Exact zeros are structural (the one-hot channels), exact on both sides, and are not counted."""
        x = x.detach()
        channels = x.transpose(0, 1).reshape(x.shape[1], -1) if x.dim() == 4 else x.reshape(1, -1)
        for c in channels:
            rms = c.pow(2).mean().sqrt()
            nonzero = c[c != 0]
            if rms > 0 and nonzero.numel() > 0:
                self.margin = min(self.margin, float(nonzero.abs().min() / rms))

    def close(self):
        F.leaky_relu, F.relu = self.leaky, self.relu


def official_trainer(repo, options, crop, seed):
    """The official Pix2PixTrainer (its Pix2PixModel, losses and TTUR optimisers) with the trunk-length generator
    copy at `options`' sizes, initialised by the official init_weights."""
    fixtures = load_script('make_ecgan_fixtures')
    O = fixtures.import_official(repo)
    from trainers.pix2pix_trainer import Pix2PixTrainer
    from models.networks.base_network import BaseNetwork
    o = Namespace(**options)
    semantic_nc = o.label_nc + (1 if o.contain_dontcare_label else 0) + (0 if o.no_instance else 1)
    # The official Pix2PixModel builds its 7-ResBlk SPADEGenerator at ngf 1 (cheap), then takes the copy.
    opt = Namespace(**options, semantic_nc=semantic_nc, output_nc=3, gpu_ids=[], isTrain=True, use_vae=False,
                    continue_train=False, netG='spade', num_upsampling_layers='normal', crop_size=crop,
                    aspect_ratio=1.0, z_dim=256, checkpoints_dir='/tmp', name='ecgan-parity')
    torch.manual_seed(seed)
    official_ngf, opt.ngf = opt.ngf, 1
    trainer = Pix2PixTrainer(opt)
    model = trainer.pix2pix_model
    opt.ngf = official_ngf

    class MiniGenerator(fixtures.Generator):
        def forward(self, seg, label_existence=None, z=None):
            return super().forward(seg)
    model.netG = MiniGenerator(O, opt, ngf=opt.ngf, up_blocks=o.up_blocks, middle=False)
    BaseNetwork.init_weights(model.netG, opt.init_type, opt.init_variance)
    trainer.optimizer_G, trainer.optimizer_D = model.create_optimizers(opt)
    return trainer


def run(repo, seed, data_batch):
    trainer = official_trainer(repo, OPTIONS, CROP, seed)
    model = trainer.pix2pix_model
    nets = {'G': model.netG, 'D': model.netD}
    data = {'label': data_batch['label'], 'image': data_batch['image'], 'instance': torch.zeros(1),
            'edge': data_batch['edge'].expand(-1, 3, -1, -1) * 2 - 1}
    record = {k: data_batch[k] for k in ('label', 'image', 'edge')}
    for n, net in nets.items():
        for k, v in net.state_dict().items():
            record[f'init.{n}.{k}'] = v.clone()
    meter = KinkMeter()
    try:
        for step in range(1, STEPS + 1):
            trainer.run_generator_one_step(data)
            trainer.run_discriminator_one_step(data)
            for name, value in trainer.get_latest_losses().items():
                record[f'step{step}.loss.{name}'] = torch.tensor([float(value.mean())])
            for n, net in nets.items():
                for k, v in net.state_dict().items():
                    record[f'step{step}.{n}.{k}'] = v.clone()
                for k, p in net.named_parameters():
                    if p.grad is not None:
                        record[f'step{step}.grad.{n}.{k}'] = p.grad.clone()
    finally:
        meter.close()
    return record, meter.margin


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--repo', required=True, help='checkout of Ha0Tang/ECGAN at 984be01')
    p.add_argument('--seed', type=int, default=0, help='first torch seed to try')
    p.add_argument('--data', default=os.path.join(HERE, '..', 'data', 'brain'))
    p.add_argument('--out', default=os.path.join(HERE, '..', 'Tests', 'Fixtures'))
    a = p.parse_args()
    torch.set_num_threads(1)
    data_batch = batch(a.data)
    for seed in range(a.seed, a.seed + 200):
        record, margin = run(a.repo, seed, data_batch)
        print(f'seed {seed}: kink margin {margin:.3g}')
        if margin >= MARGIN:
            break
    else:
        sys.exit('make_ecgan_step_parity: no seed keeps every activation off its kink')
    commit = subprocess.run(['git', '-C', a.repo, 'rev-parse', '--short', 'HEAD'], capture_output=True,
                            text=True).stdout.strip() or 'unknown'
    meta = {'model': 'ecgan', 'options': json.dumps(OPTIONS), 'seed': str(seed), 'steps': str(STEPS),
            'kink_margin': f'{margin:.6g}', 'torch': torch.__version__, 'repository': f'Ha0Tang/ECGAN {commit}',
            'batch': ', '.join(data_batch['names']) + f' of data/brain/train_*, centre {CROP}x{CROP}',
            'note': 'made by scripts/make_ecgan_step_parity.py; init.* weights, step<k>.* after the official G and D steps'}
    path, entry = fixture_index.save_fixture(a.out, 'step_parity_ecgan', record, meta)
    fixture_index.update_index(a.out, {'step_parity_ecgan': entry})
    print(f'wrote {path}: {len(record)} tensors, kink margin {margin:.3g}')


if __name__ == '__main__':
    main()
