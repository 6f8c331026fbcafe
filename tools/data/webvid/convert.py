"""Convert WebVid-2M's CSV files to Clover's annotation schema.

Usage::

    python tools/data/webvid/convert.py \
        --train-csv data/webvid/results_2M_train.csv \
        --val-csv data/webvid/results_2M_val.csv \
        --video-root data/webvid/videos --out-dir data/webvid/annotations
"""
import argparse

from clover.datasets.converters.webvid import convert


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--train-csv', help='results_2M_train.csv')
    parser.add_argument('--val-csv', help='results_2M_val.csv')
    parser.add_argument(
        '--video-root',
        help='keep only rows whose <page_dir>/<videoid>.mp4 exists here '
        '(downloads are never complete); default: keep every row')
    parser.add_argument(
        '--video-ext', default='.mp4', help='extension of the videos')
    parser.add_argument(
        '--out-dir', default='data/webvid/annotations',
        help='where {train,val}.json are written')
    return parser.parse_args()


def main():
    args = parse_args()
    counts = convert(args.out_dir, args.train_csv, args.val_csv,
                     args.video_root, args.video_ext)
    summary = ', '.join(f'{split} {count}' for split, count in counts.items())
    print(f'WebVid: {summary} videos -> {args.out_dir}')


if __name__ == '__main__':
    main()
