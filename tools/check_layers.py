#!/usr/bin/env python3
"""tools/check_layers.py — fails (exit 1) on an #include that runs up the layers.

hearth's source folders are layers; each may include its own folder and the
folders below it, never one above (docs/design.md, "Layers"). Every quoted
include names its folder ("rooms/hub.h"), so where a dependency comes from is
visible at the include. Run from the repository root: python3 tools/check_layers.py
"""
import glob
import os
import re
import sys

# bottom to top
LAYERS = ['util', 'protocol', 'config', 'rooms', 'node', 'community', 'clients', 'server']
RANK = {name: i for i, name in enumerate(LAYERS)}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main():
    bad = []
    nfiles = 0
    for layer in LAYERS:
        for path in sorted(glob.glob(os.path.join(layer, '**', '*.[ch]'), recursive=True)):
            nfiles += 1
            text = open(path, encoding='utf-8').read()
            for m in INCLUDE.finditer(text):
                target = m.group(1)
                line = text.count('\n', 0, m.start()) + 1
                folder = target.split('/')[0] if '/' in target else None
                if folder is None or folder not in RANK:
                    bad.append(f'{path}:{line}: #include "{target}" does not name a layer folder')
                elif RANK[folder] > RANK[layer]:
                    bad.append(f'{path}:{line}: {layer}/ includes "{target}" from {folder}/, a layer above it')
    for b in bad:
        print(b)
    print(f'check_layers: {nfiles} files, {len(bad)} upward or unnamed includes')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
