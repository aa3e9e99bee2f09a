#!/usr/bin/env python3
"""Trains the official ECGAN code (Ha0Tang/ECGAN@984be01: its options, Pix2PixTrainer, losses, TTUR, its train.py
loop) on a label-folder data set such as data/brain, then translates the test label maps: the side-by-side run
for `i2i eval paired` (BENCHMARKS.md). Needs Python with torch, torchvision, pillow, numpy, and the checkout; the
project itself never runs it.

  scripts/run_official_ecgan.py --repo /tmp/ecgan --dataroot data/brain --label-nc 4 --epochs 6 --out /tmp/official

Two things the checkout cannot do as released, and what this does instead:
  - its `custom` dataset returns no edge paths (Pix2pixDataset.initialize unpacks four lists), so the edges of each
    training image are written first with scripts/canny_reference.py (canny.m's Canny) and `get_paths` returns them;
  - its SPADEGenerator always has 7 ResBlks, so the generator is the trunk-length copy of
    scripts/make_ecgan_fixtures.py at ECGAN-mini (ngf 16, head_0 + 3 up blocks, SPADE hidden 128, instance norm),
    initialised by the official init_weights, with the official optimizers rebuilt around it.
"""
import argparse, importlib.util, os, random, sys, time
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_edges(dataroot, out):
    canny = load_script('canny_reference')
    os.makedirs(out, exist_ok=True)
    for name in sorted(os.listdir(os.path.join(dataroot, 'train_img'))):
        canny.write_png(os.path.join(out, name), canny.canny(canny.read_png(os.path.join(dataroot, 'train_img', name))))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--repo', required=True)
    p.add_argument('--dataroot', required=True)
    p.add_argument('--label-nc', type=int, required=True)
    p.add_argument('--epochs', type=int, default=6)
    p.add_argument('--decay-epochs', type=int, default=0)
    p.add_argument('--size', type=int, default=64)
    p.add_argument('--batch-size', type=int, default=4)
    p.add_argument('--ndf', type=int, default=32)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed); random.seed(a.seed); np.random.seed(a.seed)
    edges = os.path.join(a.out, 'train_edge')
    write_edges(a.dataroot, edges)
    fixtures = load_script('make_ecgan_fixtures')
    O = fixtures.import_official(a.repo)
    sys.argv = [sys.argv[0], '--dataset_mode', 'custom', '--label_dir', os.path.join(a.dataroot, 'train_label'),
                '--image_dir', os.path.join(a.dataroot, 'train_img'), '--label_nc', str(a.label_nc), '--no_instance',
                '--gpu_ids', '-1', '--batchSize', str(a.batch_size), '--load_size', str(a.size), '--crop_size', str(a.size),
                '--preprocess_mode', 'resize_and_crop', '--niter', str(a.epochs), '--niter_decay', str(a.decay_epochs),
                '--ndf', str(a.ndf), '--n_layers_D', '3', '--norm_G', 'spectralspadeinstance3x3', '--no_vgg_loss',
                '--checkpoints_dir', a.out, '--name', 'official', '--nThreads', '0', '--ngf', '1', '--no_html',
                '--display_freq', '100000', '--print_freq', '100000', '--save_epoch_freq', '100000']
    import data as official_data
    from data.custom_dataset import CustomDataset
    get_paths = CustomDataset.get_paths
    CustomDataset.get_paths = lambda self, opt: (*get_paths(self, opt),
                                                 sorted(os.path.join(edges, n) for n in os.listdir(edges)))
    from options.train_options import TrainOptions
    from trainers.pix2pix_trainer import Pix2PixTrainer
    from models.networks.base_network import BaseNetwork
    opt = TrainOptions().parse()
    dataloader = official_data.create_dataloader(opt)
    trainer = Pix2PixTrainer(opt)
    model = trainer.pix2pix_model
    opt.ngf = 16

    class MiniGenerator(fixtures.Generator):
        def forward(self, seg, label_existence=None, z=None):
            return super().forward(seg)
    model.netG = MiniGenerator(O, opt, ngf=16, up_blocks=3, middle=False)
    BaseNetwork.init_weights(model.netG, opt.init_type, opt.init_variance)
    trainer.optimizer_G, trainer.optimizer_D = model.create_optimizers(opt)
    start = time.time()
    for epoch in range(1, a.epochs + a.decay_epochs + 1):  # train.py's loop: G step, then D step, lr at epoch end
        for data_i in dataloader:
            trainer.run_generator_one_step(data_i)
            trainer.run_discriminator_one_step(data_i)
        trainer.update_learning_rate(epoch)
        losses = {k: round(float(v.mean()), 3) for k, v in trainer.get_latest_losses().items()}
        print(f'epoch {epoch} ({time.time() - start:.0f} s): {losses}', flush=True)
    # test.py: the model in eval mode on each test label map.
    from PIL import Image
    model.eval()
    result = os.path.join(a.out, 'test')
    os.makedirs(result, exist_ok=True)
    for name in sorted(os.listdir(os.path.join(a.dataroot, 'test_label'))):
        label = torch.tensor(np.array(Image.open(os.path.join(a.dataroot, 'test_label', name))), dtype=torch.float32)
        d = {'label': label[None, None], 'instance': torch.zeros(1), 'image': torch.zeros(1, 3, *label.shape),
             'edge': torch.zeros(1, 3, *label.shape)}
        _, fake2, _ = model(d, mode='inference')
        img = ((fake2[0].clamp(-1, 1) + 1) / 2 * 255).round().byte().permute(1, 2, 0).numpy()
        Image.fromarray(img).save(os.path.join(result, name))
    print(f'translated {len(os.listdir(result))} test label maps into {result}')


if __name__ == '__main__':
    main()
