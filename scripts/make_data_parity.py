#!/usr/bin/env python3
"""Data-side parity fixture: what the official code's data pipeline gives for fixed random draws, so that a Swift
test can hold i2i's to it value by value (issue 12, item 5). Needs Python + torch + Pillow and a checkout of
taesungp/contrastive-unpaired-translation; the tests read the committed Tests/Fixtures/data_parity.safetensors.

Usage: scripts/make_data_parity.py --repo CHECKOUT [--commit SHA]

Tensors (metadata `cases` is a JSON list describing each transform case):
  transform.<k>          get_transform(opt, params={'crop_pos': (x, y), 'flip': f})(image) for case k: the official
                         resize / crop / make_power_2 / flip / ToTensor / Normalize chain
  pool.input.<q>         the batch of query q to ImagePool(3) (2 images of 1×2×2)
  pool.output.<q>        what query q returned
  pool.draws.<q>         per image of query q: [p, id] where the pool was full (p = random.uniform(0, 1), id =
                         random.randint(0, 2) when p > 0.5, else -1); [-1, -1] where it was still filling
  pairing.serial         UnalignedDataset(|A| = 5, |B| = 3, serial_batches) A and B indices for items 0..9
  pairing.random_bounds  the (a, b) of the random.randint(a, b) that draws B's index, with serial_batches off
  decay.load_size        the load size the unaligned dataset uses in epochs 1..6 with n_epochs 3, load 36, crop 32
"""
import argparse, json, os, random, subprocess, sys
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_index

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
IMAGES = {'gray': os.path.join(ROOT, 'data/fashion-shoes/trainA/train_00006.png'),
          'rgb': os.path.join(ROOT, 'Tests/DataTests/Resources/resize-input-rgb.png')}
# (image, preprocess, load, crop, crop corner, flip): corners inside the resized image; sizes that make
# make_power_2 resize (crop 22 → 24, none on 13×11 → 12×12) and scale_width that keeps the crop floor.
CASES = [('gray', 'resize_and_crop', 36, 32, (3, 1), True), ('gray', 'resize_and_crop', 36, 32, (0, 4), False),
         ('gray', 'crop', 32, 22, (5, 7), True), ('gray', 'scale_width_and_crop', 40, 24, (9, 16), False),
         ('gray', 'scale_width', 20, 24, (0, 0), True), ('gray', 'none', 32, 32, (0, 0), True),
         ('rgb', 'resize_and_crop', 17, 12, (4, 2), True), ('rgb', 'scale_width_and_crop', 16, 8, (7, 5), False),
         ('rgb', 'none', 13, 13, (0, 0), False), ('rgb', 'crop', 13, 8, (5, 3), True)]


class Opt:
    def __init__(self, **kw):
        self.__dict__.update(dict(dataroot='x', no_flip=False, isTrain=True, serial_batches=False), **kw)


def transforms(repo):
    from PIL import Image
    from data.base_dataset import get_transform
    out, cases = {}, []
    for k, (name, preprocess, load, crop, corner, flip) in enumerate(CASES):
        gray = name == 'gray'
        image = Image.open(IMAGES[name]).convert('RGB')
        opt = Opt(preprocess=preprocess, load_size=load, crop_size=crop)
        t = get_transform(opt, params={'crop_pos': corner, 'flip': flip}, grayscale=gray)
        out[f'transform.{k}'] = t(image).contiguous()
        cases.append(dict(image=os.path.relpath(IMAGES[name], ROOT), channels=1 if gray else 3, preprocess=preprocess,
                          load_size=load, crop_size=crop, crop_x=corner[0], crop_y=corner[1], flip=flip))
    return out, cases


def pool():
    import util.image_pool as image_pool
    rng = random.Random(7)
    draws = []

    class Recorder:  # the module's `random`, recording what ImagePool draws
        @staticmethod
        def uniform(a, b):
            v = rng.uniform(a, b); draws.append([v, -1]); return v

        @staticmethod
        def randint(a, b):
            v = rng.randint(a, b); draws[-1][1] = v; return v
    image_pool.random = Recorder
    p, out = image_pool.ImagePool(3), {}
    g = torch.Generator().manual_seed(3)
    for q in range(6):
        batch = torch.randn(2, 1, 2, 2, generator=g)
        filling = p.num_imgs
        draws.clear()
        result = p.query(batch)
        rows = [[-1.0, -1.0]] * max(0, min(2, 3 - filling))
        out[f'pool.input.{q}'], out[f'pool.output.{q}'] = batch, result.contiguous()
        out[f'pool.draws.{q}'] = torch.tensor(rows + [[float(a), float(b)] for a, b in draws], dtype=torch.float64)
    return out


def pairing_and_decay(scratch):
    from PIL import Image
    import data.unaligned_dataset as unaligned
    for d, n in (('trainA', 5), ('trainB', 3)):
        os.makedirs(os.path.join(scratch, d), exist_ok=True)
        for i in range(n):
            Image.new('RGB', (8, 8), (i * 40, 0, 0)).save(os.path.join(scratch, d, f'{i}.png'))
    opt = Opt(dataroot=scratch, phase='train', max_dataset_size=float('inf'), direction='AtoB', input_nc=3,
              output_nc=3, preprocess='resize_and_crop', load_size=8, crop_size=8, n_epochs=3, serial_batches=True)
    ds = unaligned.UnalignedDataset(opt)
    ds.current_epoch = 1
    index = lambda path: int(os.path.basename(path)[0])
    serial = [[index(ds[i]['A_paths']), index(ds[i]['B_paths'])] for i in range(10)]
    bounds = []
    original = unaligned.random.randint
    unaligned.random.randint = lambda a, b: bounds.append([a, b]) or original(a, b)
    ds.opt.serial_batches = False
    ds[0]
    unaligned.random.randint = original
    assert len(ds) == 5
    # the decay-phase rule: the load size each epoch's transform uses
    seen = []
    original_get_transform = unaligned.get_transform
    unaligned.get_transform = lambda o, *a, **k: seen.append(o.load_size) or original_get_transform(o, *a, **k)
    loads = []
    ds.opt.load_size, ds.opt.crop_size = 36, 32
    for epoch in range(1, 7):
        ds.current_epoch = epoch
        seen.clear()
        try:
            ds[0]
        except Exception:
            pass  # an 8×8 image cannot be cropped to 32; the load size was chosen before
        loads.append(seen[0])
    unaligned.get_transform = original_get_transform
    return {'pairing.serial': torch.tensor(serial, dtype=torch.float64),
            'pairing.random_bounds': torch.tensor(bounds[0], dtype=torch.float64),
            'decay.load_size': torch.tensor(loads, dtype=torch.float64)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--repo', required=True)
    p.add_argument('--commit', default=None)
    p.add_argument('--out', default=os.path.join(ROOT, 'Tests', 'Fixtures', 'data_parity.safetensors'))
    a = p.parse_args()
    repo = os.path.abspath(a.repo)
    sys.path.insert(0, repo)
    commit = a.commit or subprocess.run(['git', '-C', repo, 'rev-parse', '--short', 'HEAD'], capture_output=True,
                                        text=True).stdout.strip()
    import tempfile
    tensors, cases = transforms(repo)
    tensors.update(pool())
    with tempfile.TemporaryDirectory() as scratch:
        tensors.update(pairing_and_decay(scratch))
    import PIL
    meta = {'cases': json.dumps(cases), 'repository': 'taesungp/contrastive-unpaired-translation', 'commit': commit,
            'torch': torch.__version__, 'pillow': PIL.__version__, 'script': 'scripts/make_data_parity.py'}
    name = os.path.basename(a.out).removesuffix('.safetensors')
    _, entry = fixture_index.save_fixture(os.path.dirname(a.out), name, tensors, meta)
    fixture_index.update_index(os.path.dirname(a.out), {name: entry})
    print(a.out, len(tensors), 'tensors')


if __name__ == '__main__':
    main()
