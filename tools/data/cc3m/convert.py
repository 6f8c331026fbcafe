"""Convert Conceptual Captions 3M's TSV files to Clover's annotation schema.

Usage (images downloaded by img2dataset into data/cc3m/images/{train,val})::

    python tools/data/cc3m/convert.py \
        --train-tsv data/cc3m/Train_GCC-training.tsv \
        --val-tsv data/cc3m/Validation_GCC-1.1.0-Validation.tsv \
        --image-root data/cc3m/images --out-dir data/cc3m/annotations
"""
import argparse

from clover.datasets.converters.cc3m import IMAGE_LAYOUTS, convert


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--train-tsv', help='Train_GCC-training.tsv')
    parser.add_argument(
        '--val-tsv', help='Validation_GCC-1.1.0-Validation.tsv')
    parser.add_argument(
        '--image-root', default='data/cc3m/images',
        help='image directory the records are relative to')
    parser.add_argument(
        '--train-subdir', default='train',
        help='folder of the training images inside --image-root')
    parser.add_argument(
        '--val-subdir', default='val',
        help='folder of the validation images inside --image-root')
    parser.add_argument(
        '--images-from', choices=IMAGE_LAYOUTS, default='img2dataset',
        help="'img2dataset': its --output_format files shards; 'pattern': "
        'one file per row named by --image-pattern')
    parser.add_argument(
        '--image-pattern', default='{index}.jpg',
        help='file name of row {index} (0-based) or of the URL\'s {crc32}, '
        "e.g. '{index:08d}.jpg' or '{crc32}'")
    parser.add_argument(
        '--out-dir', default='data/cc3m/annotations',
        help='where {train,val}.json are written')
    return parser.parse_args()


def main():
    args = parse_args()
    counts = convert(args.out_dir, args.image_root, args.train_tsv,
                     args.val_tsv, args.images_from, args.image_pattern,
                     args.train_subdir, args.val_subdir)
    summary = ', '.join(f'{split} {count}' for split, count in counts.items())
    print(f'CC3M: {summary} images -> {args.out_dir}')


if __name__ == '__main__':
    main()
