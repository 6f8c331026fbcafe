"""Search one's own videos by text with a trained Clover.

    python demo/retrieve.py CONFIG CHECKPOINT --videos DIR \
        --query "a red square moves left" --topk 5 [--out DIR]

Prints the ranked hits and writes a contact sheet per query (the query,
then one row of frames per hit with its rank and score) and the results as
JSON into ``--out``. Video features are cached (see docs/inference.md), so
a second query over the same folder decodes nothing.
"""
import argparse
import json
import os
import os.path as osp
import sys

from rich.table import Table

from clover.utils.console import rich_console


def parse_args():
    parser = argparse.ArgumentParser(
        description='Rank the videos of a folder for text queries')
    parser.add_argument('config', help='config file, or an exported model '
                        'folder (then give no checkpoint)')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file')
    parser.add_argument(
        '--videos', required=True,
        help='a folder of videos (searched recursively) or a .json '
        'annotation file (with --video-dir)')
    parser.add_argument('--video-dir', help='folder the annotation file\'s '
                        '"video" fields are relative to')
    parser.add_argument('--query', nargs='+', required=True,
                        help='one or more text queries')
    parser.add_argument('--topk', type=int, default=5, help='hits per query')
    parser.add_argument('--out', default='outputs/retrieve',
                        help='where the contact sheets and results.json go')
    parser.add_argument('--frames', type=int, default=4,
                        help='frames per hit in the contact sheet')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cache-dir', help='feature cache folder (default '
                        '~/.cache/clover/features)')
    parser.add_argument('--skip-bad', action='store_true',
                        help='leave out unreadable videos instead of failing')
    return parser.parse_args()


def print_results(results):
    console = rich_console()
    for result in results:
        table = Table(title=f'"{result["text"]}"', title_justify='left')
        table.add_column('rank', justify='right')
        table.add_column('score', justify='right')
        table.add_column('video')
        for rank, score, path in zip(result['ranks'], result['scores'],
                                     result['paths']):
            table.add_row(str(rank), f'{score:.4f}', path)
        console.print(table)


def main():
    args = parse_args()
    # Imported after parsing, so that --help is instant.
    from clover.apis import TextVideoRetrievalInferencer
    from clover.apis.contact_sheet import draw_contact_sheet
    from clover.apis.model import CheckpointMismatchError
    from clover.datasets.video_io import VideoDecodeError

    try:
        inferencer = TextVideoRetrievalInferencer(
            args.config, args.checkpoint, device=args.device,
            cache_dir=args.cache_dir, show_progress=True)
        inferencer.index(args.videos, args.video_dir, skip_bad=args.skip_bad)
    except (FileNotFoundError, ValueError, VideoDecodeError,
            CheckpointMismatchError) as err:
        sys.exit(f'error: {err}')
    if inferencer.skipped:
        print(f'skipped {len(inferencer.skipped)} unreadable videos: '
              f'{", ".join(inferencer.skipped)}', file=sys.stderr)
    results = inferencer.rank_videos(args.query, topk=args.topk)
    print_results(results)
    os.makedirs(args.out, exist_ok=True)
    for index, result in enumerate(results):
        name = ('contact_sheet.png' if len(results) == 1 else
                f'contact_sheet_{index:02d}.png')
        result['contact_sheet'] = osp.join(args.out, name)
        draw_contact_sheet(result, result['contact_sheet'], args.frames)
    with open(osp.join(args.out, 'results.json'), 'w') as file:
        json.dump(results, file, indent=1)
    print(f'contact sheets and results.json in {args.out}')


if __name__ == '__main__':
    main()
