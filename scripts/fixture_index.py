"""Writing PyTorch fixtures the way the Swift tests read them (shared by the scripts/make_*.py fixture scripts):
Tests/Fixtures/<name>.safetensors, world-readable, and its entry in Tests/Fixtures/INDEX.json (metadata and
tensor shapes, sorted by name)."""
import json, os
from safetensors.torch import save_file


def save_fixture(out, name, tensors, meta):
    """Writes `tensors` (float32, contiguous) as out/<name>.safetensors with `meta`; returns (path, index entry)."""
    tensors = {k: v.detach().contiguous().float() for k, v in tensors.items()}
    path = os.path.join(out, name + '.safetensors')
    save_file(tensors, path, metadata=meta)
    os.chmod(path, 0o644)
    return path, {'meta': meta, 'tensors': {k: list(v.shape) for k, v in sorted(tensors.items())}}


def update_index(out, entries):
    """Sets `entries` ({name: index entry}) in out/INDEX.json, keeping the others."""
    path = os.path.join(out, 'INDEX.json')
    index = json.load(open(path)) if os.path.exists(path) else {}
    index.update(entries)
    with open(path, 'w') as f:
        json.dump(dict(sorted(index.items())), f, indent=1)
        f.write('\n')
