"""Export a trained checkpoint into one self-contained folder:

    python tools/misc/export_model.py CONFIG CHECKPOINT --out DIR

DIR gets ``config.py`` (pre-trained paths detached, the tokenizer pointed
at the folder's copy), ``tokenizer/``, ``model.safetensors`` and
``meta.json`` (the dataset meta, e.g. a QA model's answer vocabulary).
Load it anywhere with ``clover.apis.init_model(DIR)`` or give DIR as the
config of the demo and tools scripts (without a checkpoint).
"""
import argparse
import sys


def parse_args():
    parser = argparse.ArgumentParser(
        description='Export a checkpoint with its config and tokenizer')
    parser.add_argument('config', help='config file the model was trained '
                        'with')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='output folder')
    return parser.parse_args()


def main():
    args = parse_args()
    from clover.apis import init_model
    from clover.apis.export import export_model
    from clover.apis.model import CheckpointMismatchError

    try:
        model = init_model(args.config, args.checkpoint)
        changes = export_model(model, args.out)
    except (FileNotFoundError, CheckpointMismatchError) as err:
        sys.exit(f'error: {err}')
    for change in changes:
        print(f'  {change}')
    print(f'exported to {args.out}')


if __name__ == '__main__':
    main()
