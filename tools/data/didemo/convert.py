"""Convert DiDeMo (paragraph retrieval) to Clover's annotation schema.

Usage (videos transcoded to <name without extension>.mp4)::

    python tools/data/didemo/convert.py \
        --train-json data/didemo/train_data.json \
        --val-json data/didemo/val_data.json \
        --test-json data/didemo/test_data.json \
        --video-pattern '{stem}.mp4' --out-dir data/didemo/annotations
"""
import argparse

from clover.datasets.converters.didemo import convert


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--train-json', help='train_data.json')
    parser.add_argument('--val-json', help='val_data.json')
    parser.add_argument('--test-json', help='test_data.json')
    parser.add_argument(
        '--video-pattern', default='{video}',
        help="video file from the annotation's name: '{video}' (as named), "
        "'{video}.mp4' (the AWS download script), '{stem}.mp4' (transcoded)")
    parser.add_argument(
        '--video-root',
        help='leave out (and count) videos missing here; default: keep all')
    parser.add_argument(
        '--out-dir', default='data/didemo/annotations',
        help='where {train,val,test}.json are written')
    return parser.parse_args()


def main():
    args = parse_args()
    counts = convert(args.out_dir, args.train_json, args.val_json,
                     args.test_json, args.video_pattern, args.video_root)
    summary = ', '.join(f'{split} {count}' for split, count in counts.items())
    print(f'DiDeMo: {summary} videos -> {args.out_dir}')


if __name__ == '__main__':
    main()
