"""Convert TGIF-QA's {Train,Test}_{action,transition,frameqa}_question.csv
to Clover's schema.

Usage::

    python tools/data/tgif_qa/convert.py --ann-dir <tgif-qa>/dataset \
        --out-dir data/tgif_qa/annotations [--video-ext .mp4]
"""
import argparse

from clover.datasets.converters.tgif_qa import TASKS, VOCAB_SIZE, convert


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--ann-dir', required=True,
                        help='directory of the original .csv files')
    parser.add_argument('--out-dir', default='data/tgif_qa/annotations')
    parser.add_argument('--tasks', nargs='+', choices=TASKS, default=TASKS)
    parser.add_argument('--vocab-size', type=int, default=VOCAB_SIZE,
                        help='FrameQA answer vocabulary size')
    parser.add_argument('--video-ext', default='.gif',
                        help='.mp4 if the GIFs were converted')
    args = parser.parse_args()
    counts = convert(args.ann_dir, args.out_dir, args.tasks,
                     args.vocab_size, args.video_ext)
    for name, count in counts.items():
        print(f'{name}: {count} questions')


if __name__ == '__main__':
    main()
