#!/usr/bin/env python3
"""torchvision's ImageNet VGG19 as the safetensors file `i2i train --model ecgan --vgg-weights FILE` reads: the
convs of `vgg19().features` up to relu5_1 (features.0 … features.28, torchvision's own keys), which is what
SPADE/ECGAN's perceptual loss uses (spec ecgan-mclnet-egscit.md §1.5). One-off; needs Python with torch,
torchvision and safetensors (i2i itself never runs Python).

  scripts/convert_vgg19.py --out vgg19.safetensors                   # downloads torchvision's VGG19_Weights.IMAGENET1K_V1
  scripts/convert_vgg19.py --pth vgg19-dcbb9e9d.pth --out vgg19.safetensors   # from a file you already have
"""
import argparse, hashlib
import torch
from safetensors.torch import save_file

LAST = 28  # features.28 is conv5_1; relu5_1 (features.29) ends the last slice


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--out', required=True)
    p.add_argument('--pth', help="torchvision's vgg19 state dict (vgg19-dcbb9e9d.pth); default: download it")
    a = p.parse_args()
    if a.pth:
        state = torch.load(a.pth, map_location='cpu', weights_only=True)
    else:
        import torchvision
        state = torchvision.models.vgg19(weights=torchvision.models.VGG19_Weights.IMAGENET1K_V1).state_dict()
    kept = {k: v.float().contiguous() for k, v in state.items()
            if k.startswith('features.') and int(k.split('.')[1]) <= LAST}
    if len(kept) != 26:
        raise SystemExit(f'convert_vgg19: expected 13 convs (26 tensors) in features.0-{LAST}, found {len(kept)}')
    save_file(kept, a.out, metadata={'source': a.pth or 'torchvision VGG19_Weights.IMAGENET1K_V1',
                                     'layers': f'features.0-{LAST} (up to relu5_1)'})
    digest = hashlib.sha256(open(a.out, 'rb').read()).hexdigest()[:16]
    print(f'wrote {a.out}: {len(kept)} tensors, sha256 {digest}…')


if __name__ == '__main__':
    main()
