"""Convert the LSMDC 2016 fill-in-the-blank files to Clover's schema.

Usage::

    python tools/data/lsmdc_fib/convert.py --ann-dir <LSMDC FIB dir> \
        --out-dir data/lsmdc_fib/annotations
"""
import argparse

from clover.datasets.converters.lsmdc_fib import VOCAB_SIZE, convert


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--ann-dir', required=True,
                        help='directory of LSMDC16_annos_*_FIB.csv')
    parser.add_argument('--out-dir', default='data/lsmdc_fib/annotations')
    parser.add_argument('--vocab-size', type=int, default=VOCAB_SIZE)
    parser.add_argument('--keep-case', action='store_true',
                        help='do not lower-case the answers')
    parser.add_argument('--video-ext', default='.avi')
    parser.add_argument('--flat', action='store_true',
                        help='clips in one directory, not one per movie')
    args = parser.parse_args()
    counts = convert(args.ann_dir, args.out_dir, args.vocab_size,
                     not args.keep_case, args.video_ext, args.flat)
    for split, count in counts.items():
        print(f'{split}: {count} questions')


if __name__ == '__main__':
    main()
