"""Convert the LSMDC 2016 multiple-choice files to Clover's schema.

Usage::

    python tools/data/lsmdc_mc/convert.py --ann-dir <LSMDC MC dir> \
        --out-dir data/lsmdc_mc/annotations
"""
import argparse

from clover.datasets.converters.lsmdc_mc import convert


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--ann-dir', required=True,
                        help='directory of LSMDC16_multiple_choice_*.csv')
    parser.add_argument('--out-dir', default='data/lsmdc_mc/annotations')
    parser.add_argument('--video-ext', default='.avi')
    parser.add_argument('--flat', action='store_true',
                        help='clips in one directory, not one per movie')
    args = parser.parse_args()
    counts = convert(args.ann_dir, args.out_dir, args.video_ext, args.flat)
    for split, count in counts.items():
        print(f'{split}: {count} questions')


if __name__ == '__main__':
    main()
