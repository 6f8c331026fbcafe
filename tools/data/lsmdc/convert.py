"""Convert LSMDC retrieval (LSMDC 2016 split, 1k test) to Clover's
annotation schema.

Usage::

    python tools/data/lsmdc/convert.py \
        --train-csv data/lsmdc/LSMDC16_annos_training.csv \
        --val-csv data/lsmdc/LSMDC16_annos_val.csv \
        --test-csv data/lsmdc/LSMDC16_challenge_1000_publictect.csv \
        --out-dir data/lsmdc/annotations
"""
import argparse

from clover.datasets.converters.lsmdc import convert


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--train-csv', help='LSMDC16_annos_training.csv')
    parser.add_argument('--val-csv', help='LSMDC16_annos_val.csv')
    parser.add_argument(
        '--test-csv', help='LSMDC16_challenge_1000_publictect.csv')
    parser.add_argument(
        '--video-ext', default='.avi',
        help='extension of the clips (.mp4 after transcoding)')
    parser.add_argument(
        '--out-dir', default='data/lsmdc/annotations',
        help='where {train,val,test}.json are written')
    return parser.parse_args()


def main():
    args = parse_args()
    counts = convert(args.out_dir, args.train_csv, args.val_csv,
                     args.test_csv, args.video_ext)
    summary = ', '.join(f'{split} {count}' for split, count in counts.items())
    print(f'LSMDC: {summary} clips -> {args.out_dir}')


if __name__ == '__main__':
    main()
