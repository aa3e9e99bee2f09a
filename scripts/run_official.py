#!/usr/bin/env python3
"""Runs the official code's train.py or test.py with a fixed seed, for side-by-side quality measurements
(scripts/quality-vs-official.sh). Needs Python + torch and a checkout of the official repository; nothing in the
build or the tests uses it.

Usage: run_official.py --repo CHECKOUT --seed N SCRIPT [official options...]     (SCRIPT: train.py or test.py)

Two things differ from `python SCRIPT ...` and both are said here so that a reader can judge them:
- random, numpy and torch are seeded with N (the official code seeds nothing, so its runs are not repeatable);
- the CUT repository's CycleGANModel.data_dependent_initialize takes no batch, but its train.py passes one (a
  TypeError at the first step); it is given a signature that accepts and ignores the batch (its body is `return`);
- the CUT repository's cycle_gan_model.py reads opt.amp, which no option defines; it is set to False (no mixed
  precision) when the parsed options lack it;
- the CUT repository's unaligned dataset never converts to one channel (EnCo's does, when input_nc is 1), so
  `--input_nc 1` fails at the first convolution; its get_transform is given grayscale=True when input_nc and
  output_nc are 1, as EnCo's dataset does;
- on a CPU the official train.py saves the DataParallel wrapper's state ("module." before every key: parallelize()
  wraps the networks, and save_networks unwraps only when CUDA is there), which test.py then cannot load into the
  bare network; a checkpoint whose keys all start with "module." is loaded without that prefix;
- every InstanceNorm2d sees a contiguous incoming gradient (`work_around_instance_norm_backward` in
  make_step_parity.py): PyTorch 2.15's CPU InstanceNorm2d backward is wrong for channels-last strided gradients,
  which CUT's and EnCo's PatchSampleF produce, so without it the official G is trained on wrong gradients.
"""
import os, random, runpy, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def accept_batch_in_cycle_gan_initialize():
    try:
        from models.cycle_gan_model import CycleGANModel
    except ImportError:
        return
    import inspect
    if len(inspect.signature(CycleGANModel.data_dependent_initialize).parameters) == 1:
        CycleGANModel.data_dependent_initialize = lambda self, data=None: None


def load_gray_images_when_one_channel():
    import data.unaligned_dataset as unaligned
    original = unaligned.get_transform

    def get_transform(opt, *args, grayscale=False, **kwargs):
        gray = grayscale or (opt.input_nc == 1 and opt.output_nc == 1)
        return original(opt, *args, grayscale=gray, **kwargs)
    unaligned.get_transform = get_transform


def default_amp_off():
    from options.base_options import BaseOptions
    parse = BaseOptions.parse

    def parse_with_amp(self, *args, **kwargs):
        opt = parse(self, *args, **kwargs)
        opt.amp = getattr(opt, 'amp', False)
        return opt
    BaseOptions.parse = parse_with_amp


def load_data_parallel_checkpoints_into_bare_networks():
    import torch
    load = torch.load

    def load_unwrapped(*args, **kwargs):
        state = load(*args, **kwargs)
        if isinstance(state, dict) and state and all(isinstance(k, str) and k.startswith('module.') for k in state):
            state = type(state)((k[len('module.'):], v) for k, v in state.items())
        return state
    torch.load = load_unwrapped


def main():
    args = sys.argv[1:]
    if len(args) < 5 or args[0] != '--repo' or args[2] != '--seed' or args[4] not in ('train.py', 'test.py'):
        sys.exit(__doc__)
    repo, seed, script, options = os.path.abspath(args[1]), int(args[3]), args[4], args[5:]
    import numpy as np
    import torch
    from make_step_parity import work_around_instance_norm_backward
    random.seed(seed); np.random.seed(seed); torch.manual_seed(seed)
    torch.set_num_threads(int(os.environ.get('OFFICIAL_THREADS', '2')))
    work_around_instance_norm_backward()
    os.chdir(repo)
    sys.path.insert(0, repo)
    sys.argv = [script] + options
    accept_batch_in_cycle_gan_initialize()
    load_gray_images_when_one_channel()
    default_amp_off()
    load_data_parallel_checkpoints_into_bare_networks()
    runpy.run_path(script, run_name='__main__')


if __name__ == '__main__':
    main()
