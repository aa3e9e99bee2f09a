#!/usr/bin/env python3
"""Training-step parity fixtures: the official code's own `optimize_parameters`, run on a fixed batch, recorded so
that a Swift test can run i2i's `trainStep` from the same weights on the same batch and compare (issue 12).

Needs Python with torch, torchvision, pillow and safetensors, and a checkout of the official repository, only to
regenerate; the build and the tests read the committed Tests/Fixtures/step_parity_<model>.safetensors.

  git clone https://github.com/taesungp/contrastive-unpaired-translation /tmp/cut   (b3ac297 was used)
  scripts/make_step_parity.py --repo /tmp/cut --model cycle_gan      (and cut, fastcut)
  git clone https://github.com/XiudingCai/EnCo-pytorch /tmp/enco   (0d404a7 was used)
  scripts/make_step_parity.py --repo /tmp/enco --model enco

What is recorded (keys of the safetensors file):
  A, B                 the batch: the first images of data/fashion-shoes/trainA and trainB, as the reference's
                       unaligned loader gives them with --preprocess none --no_flip (gray, [-1, 1], 1×1×32×32)
  init.<net>.<key>     every network's state dict before the first step (the official init, normal(0, 0.02))
  step<k>.loss.<name>  the official get_current_losses() after step k (k = 1, 2, 3)
  step<k>.<net>.<key>  every network's state dict after step k
  step<k>.grad.<net>.<key>  each parameter's .grad after step k (that step's G or D backward)
  step<k>.ids.<term>.<layer>  CUT/FastCUT: the patch positions PatchSampleF drew (term 0: NCE(A, G(A)), 1: the
                       identity term), as floats; step<k>.flipped: FastCUT's flip coin (1: mirrored)
  step<k>.ids.<pair>.<image>  EnCo: the DAG positions of each layer pair and image; step<k>.flippedA/B: its coins
Metadata: the official options, the kink margin, torch version, repository commit.

Kinks: a training step runs the generators six times and the discriminators four times; a ReLU/LeakyReLU input
within rounding distance of 0 makes the two implementations' gradients differ by more than rounding (issue 11).
The script measures the smallest |input| / rms(input) over every activation call of the three steps, and draws
the initial weights again (another torch seed) until it is at least MARGIN; the margin is recorded as
`kink_margin` and the Swift test asserts its forward error is well below it.
"""
import argparse, json, os, subprocess, sys
import numpy as np
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_index

MARGIN = 1e-5
STEPS = 3
CUT_COMMON = ('--no_flip --preprocess none --load_size 32 --crop_size 32 --batch_size 1 --gpu_ids -1 --input_nc 1 '
              '--output_nc 1 --ngf 8 --ndf 8 --netG resnet_6blocks --num_patches 64 --netF_nc 32')
REPOSITORY = {'cut': 'taesungp/contrastive-unpaired-translation', 'enco': 'XiudingCai/EnCo-pytorch'}
OPTIONS = {
    # XiudingCai/EnCo-pytorch (0d404a7): the README's method options on the small networks above (9 blocks, so the
    # default layer pairs (3, 28), (7, 24), (13, 18) apply).
    'enco': ('--model enco --netF mlp_sample_with_DAG --lambda_IDT 10 --lambda_NCE 2 --lr_G 5e-5 --lr_F 5e-5 '
             '--lr_D 2e-4 --flip_equivariance True --nce_layers 3,7,13,18,24,28 '
             + CUT_COMMON.replace('resnet_6blocks', 'resnet_9blocks')),
    'cut': '--model cut --CUT_mode CUT ' + CUT_COMMON,
    'fastcut': '--model cut --CUT_mode FastCUT ' + CUT_COMMON,
    'cycle_gan': ('--model cycle_gan --no_antialias --no_antialias_up --init_type normal --netG resnet_6blocks '
                  '--ngf 8 --ndf 8 --input_nc 1 --output_nc 1 --pool_size 0 --load_size 32 --crop_size 32 '
                  '--preprocess none --no_flip --batch_size 1 --gpu_ids -1 --lr 0.0002 --beta1 0.5'),
}


def load_gray(path):
    from PIL import Image
    image = np.asarray(Image.open(path).convert('L'), dtype=np.float32) / 255.0
    return torch.from_numpy((image - 0.5) / 0.5)[None, None]


def track_kinks(nets):
    """Records min |x| / rms(x) over every ReLU/LeakyReLU call in these networks."""
    state = {'margin': float('inf')}

    def hook(module, inputs):
        x = inputs[0].detach()
        rms = x.pow(2).mean().sqrt().item()
        if rms > 0:
            state['margin'] = min(state['margin'], (x.abs().min().item()) / rms)

    for net in nets:
        for m in net.modules():
            if isinstance(m, (torch.nn.ReLU, torch.nn.LeakyReLU)):
                m.register_forward_pre_hook(hook)
    return state


class ContiguousGradient(torch.autograd.Function):
    """Identity whose backward hands on a contiguous gradient."""
    @staticmethod
    def forward(ctx, x):
        return x.clone()  # a copy: the in-place ReLU after an instance norm may not modify a custom-Function view

    @staticmethod
    def backward(ctx, g):
        return g.contiguous()


def work_around_instance_norm_backward():
    """PyTorch 2.15's CPU InstanceNorm2d backward is wrong when the incoming gradient is channels-last strided
    (found here; a 10-line check: the same module, a cotangent r and r.contiguous(memory_format=channels_last), give
    different input gradients, and central differences side with the contiguous one). CUT's PatchSampleF permutes its
    features to (B, H·W, C), so the gradient reaching a residual block's last instance norm is such a tensor and the
    official G gradient comes out wrong (G.model.1.weight[0]: −29.06 against −53.49 by differences). Every instance
    norm here sees a contiguous gradient, which is what the official code means to compute."""
    forward = torch.nn.InstanceNorm2d.forward
    torch.nn.InstanceNorm2d.forward = lambda self, x: ContiguousGradient.apply(forward(self, x))


def run(repo, model_name, seed, batch, scratch, extra=''):
    sys.path.insert(0, repo)
    from options.train_options import TrainOptions
    from models import create_model
    line = OPTIONS[model_name] + f' {extra} --dataroot {scratch} --checkpoints_dir {scratch} --name parity'
    # NOTE: cut_model.py's modify_commandline_options parses sys.argv itself, so the line goes there too.
    saved, sys.argv = sys.argv, [sys.argv[0]] + line.split()
    try:
        opt = TrainOptions(cmd_line=line).parse()
    finally:
        sys.argv = saved
    # NOTE: the repository's cycle_gan_model.py reads opt.amp, which no option defines (its train.py fails the same
    # way); False is what the code does without mixed precision.
    opt.amp = getattr(opt, 'amp', False)
    torch.manual_seed(seed)
    np.random.seed(seed)
    model = create_model(opt)
    if hasattr(model, 'set_epoch'):
        model.set_epoch(1)  # EnCo reads the epoch (its train.py sets it)
    names = model.model_names
    nets = {n: getattr(model, 'net' + n) for n in names}
    model.set_input(batch)
    try:
        model.data_dependent_initialize(batch)
    except TypeError:  # cycle_gan takes no batch
        model.data_dependent_initialize()
    model.setup(opt)
    kinks = track_kinks(nets.values())
    # The random draws of a step, recorded for i2i to replay: PatchSampleF's patch ids (np.random.permutation, one
    # list per layer, in the order of the calls) and FastCUT's flip coin.
    drawn = []
    if 'F' in nets:
        forward = nets['F'].forward

        def recording(feats, num_patches=64, patch_ids=None, **kw):
            out, ids = forward(feats, num_patches, patch_ids, **kw)
            if patch_ids is None:
                drawn.append(ids)
            return out, ids
        nets['F'].forward = recording
    record = {'A': batch['A'], 'B': batch['B']}
    for n, net in nets.items():
        for k, v in net.state_dict().items():
            record[f'init.{n}.{k}'] = v.clone()
    for step in range(1, STEPS + 1):
        model.set_input(batch)
        if model_name == 'enco':  # its set_input flips real_A and real_B by their own np.random coins
            record[f'step{step}.flippedA'] = torch.tensor([0.0 if torch.equal(model.real_A, batch['A']) else 1.0])
            record[f'step{step}.flippedB'] = torch.tensor([0.0 if torch.equal(model.real_B, batch['B']) else 1.0])
        drawn.clear()
        model.optimize_parameters()
        for term, ids in enumerate(drawn):
            for layer, positions in enumerate(ids):
                if isinstance(positions, list):  # EnCo's DAG: one id list per image
                    for image, p in enumerate(positions):
                        record[f'step{step}.ids.{layer}.{image}'] = torch.as_tensor(p, dtype=torch.float32)
                else:
                    record[f'step{step}.ids.{term}.{layer}'] = torch.as_tensor(positions, dtype=torch.float32)
        if getattr(model, 'flipped_for_equivariance', None) is not None and model.opt.flip_equivariance:
            record[f'step{step}.flipped'] = torch.tensor([1.0 if model.flipped_for_equivariance else 0.0])
        for name, value in model.get_current_losses().items():
            record[f'step{step}.loss.{name}'] = torch.tensor([float(value)])
        for n, net in nets.items():
            for k, v in net.state_dict().items():
                record[f'step{step}.{n}.{k}'] = v.clone()
            for k, p in net.named_parameters():
                if p.grad is not None:
                    record[f'step{step}.grad.{n}.{k}'] = p.grad.clone()
    return record, kinks['margin'], opt


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--repo', required=True, help='checkout of taesungp/contrastive-unpaired-translation')
    p.add_argument('--model', default='cycle_gan', choices=sorted(OPTIONS))
    p.add_argument('--seed', type=int, default=0, help='first torch/numpy seed to try')
    p.add_argument('--extra', default='', help='more official options (for investigating a difference)')
    p.add_argument('--name', default=None, help='fixture name (default step_parity_<model>)')
    p.add_argument('--commit', default=None, help="the checkout's commit, when it is not a git work tree")
    p.add_argument('--repository', default=None,
                   help='its name (default: taesungp/contrastive-unpaired-translation, or XiudingCai/EnCo-pytorch for enco)')
    p.add_argument('--data', default=os.path.join(os.path.dirname(__file__), '..', 'data', 'fashion-shoes'))
    p.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'Tests', 'Fixtures'))
    a = p.parse_args()
    torch.set_num_threads(1)
    work_around_instance_norm_backward()
    first = lambda d: os.path.join(a.data, d, sorted(os.listdir(os.path.join(a.data, d)))[0])
    batch = {'A': load_gray(first('trainA')), 'B': load_gray(first('trainB')),
             'A_paths': [first('trainA')], 'B_paths': [first('trainB')]}
    scratch = '/tmp/i2i-step-parity'
    os.makedirs(scratch, exist_ok=True)
    for seed in range(a.seed, a.seed + 1000):
        record, margin, opt = run(a.repo, a.model, seed, batch, scratch, a.extra)
        print(f'seed {seed}: kink margin {margin:.3g}')
        if margin >= MARGIN:
            break
    else:
        sys.exit('make_step_parity: no seed keeps every activation off its kink')
    commit = subprocess.run(['git', '-C', a.repo, 'rev-parse', '--short', 'HEAD'], capture_output=True,
                            text=True).stdout.strip() or a.commit or 'unknown'
    meta = {'model': a.model, 'options': OPTIONS[a.model], 'seed': str(seed), 'steps': str(STEPS),
            'kink_margin': f'{margin:.6g}', 'torch': torch.__version__,
            'repository': f'{a.repository or REPOSITORY.get(a.model, REPOSITORY["cut"])} {commit}',
            'note': 'made by scripts/make_step_parity.py; init.* weights, step<k>.* after the official optimize_parameters'}
    name = a.name or f'step_parity_{a.model}'
    path, entry = fixture_index.save_fixture(a.out, name, record, meta)
    fixture_index.update_index(a.out, {name: entry})
    print(f'wrote {path}: {len(record)} tensors, kink margin {margin:.3g}')


if __name__ == '__main__':
    main()
