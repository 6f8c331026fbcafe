"""Convert the MSRVTT multiple-choice test set (JSFusion's MSR_MC_test.csv
or the JSON-lines msrvtt_mc_test.jsonl) to Clover's schema.

Usage::

    python tools/data/msrvtt_mc/convert.py --mc-file MSR_MC_test.csv \
        --out-dir data/msrvtt_mc/annotations
"""
import argparse

from clover.datasets.converters.msrvtt_mc import convert


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--mc-file', required=True,
                        help='MSR_MC_test.csv or msrvtt_mc_test.jsonl')
    parser.add_argument('--out-dir', default='data/msrvtt_mc/annotations')
    parser.add_argument('--video-ext', default='.mp4')
    args = parser.parse_args()
    counts = convert(args.mc_file, args.out_dir, args.video_ext)
    for split, count in counts.items():
        print(f'{split}: {count} questions')


if __name__ == '__main__':
    main()
