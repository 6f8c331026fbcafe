"""Convert MSRVTT-QA's {train,val,test}_qa.json to Clover's schema.

Usage::

    python tools/data/msrvtt_qa/convert.py --ann-dir <MSRVTT-QA dir> \
        --out-dir data/msrvtt_qa/annotations
"""
import argparse

from clover.datasets.converters.msrvtt_qa import VOCAB_SIZE, convert


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--ann-dir', required=True,
                        help='directory of {train,val,test}_qa.json')
    parser.add_argument('--out-dir', default='data/msrvtt_qa/annotations')
    parser.add_argument('--vocab-size', type=int, default=VOCAB_SIZE)
    parser.add_argument('--video-ext', default='.mp4')
    args = parser.parse_args()
    counts = convert(args.ann_dir, args.out_dir, args.vocab_size,
                     args.video_ext)
    for split, count in counts.items():
        print(f'{split}: {count} questions')


if __name__ == '__main__':
    main()
