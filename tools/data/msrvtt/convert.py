"""Convert MSR-VTT 1k-A retrieval (9k train, 1k test) to Clover's annotation
schema.

Usage::

    python tools/data/msrvtt/convert.py \
        --captions data/msrvtt/train_val_videodatainfo.json \
                   data/msrvtt/test_videodatainfo.json \
        --train-csv data/msrvtt/MSRVTT_train.9k.csv \
        --test-csv data/msrvtt/MSRVTT_JSFUSION_test.csv \
        --out-dir data/msrvtt/annotations
"""
import argparse

from clover.datasets.converters.msrvtt import convert


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--captions', nargs='+', required=True,
        help='train_val_videodatainfo.json and test_videodatainfo.json, or '
        "CLIP4Clip's MSRVTT_data.json")
    parser.add_argument(
        '--train-csv', required=True, help='MSRVTT_train.9k.csv')
    parser.add_argument(
        '--test-csv', required=True, help='MSRVTT_JSFUSION_test.csv')
    parser.add_argument(
        '--video-ext', default='.mp4', help='extension of the videos')
    parser.add_argument(
        '--out-dir', default='data/msrvtt/annotations',
        help='where train_9k.json and test_1k.json are written')
    return parser.parse_args()


def main():
    args = parse_args()
    counts = convert(args.captions, args.train_csv, args.test_csv,
                     args.out_dir, args.video_ext)
    summary = ', '.join(f'{split} {count}' for split, count in counts.items())
    print(f'MSR-VTT: {summary} videos -> {args.out_dir}')


if __name__ == '__main__':
    main()
