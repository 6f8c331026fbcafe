"""Ask a trained Clover QA model a question about a video.

    python demo/video_qa.py CONFIG CHECKPOINT VIDEO "what colour is it?" \
        [--candidates red blue green]

Open-ended models answer from the vocabulary their checkpoint carries;
with ``--candidates`` the best-scored candidate is the answer (a
multiple-choice model needs them).
"""
import argparse
import json
import sys

from rich.table import Table

from clover.utils.console import rich_console


def parse_args():
    parser = argparse.ArgumentParser(
        description='Answer a question about a video')
    parser.add_argument('config', help='config file or exported model folder')
    parser.add_argument('checkpoint', help='checkpoint file ("-" for the '
                        "exported folder's weights)")
    parser.add_argument('video', help='video file')
    parser.add_argument('question', help='the question')
    parser.add_argument('--candidates', nargs='+',
                        help='answers to choose from')
    parser.add_argument('--topk', type=int, default=5,
                        help='best answers shown')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--json', action='store_true',
                        help='print the result as one JSON line only')
    return parser.parse_args()


def main():
    args = parse_args()
    from clover.apis import VideoQAInferencer
    from clover.apis.model import CheckpointMismatchError
    from clover.datasets.video_io import VideoDecodeError

    checkpoint = None if args.checkpoint == '-' else args.checkpoint
    try:
        inferencer = VideoQAInferencer(args.config, checkpoint, args.device)
        result = inferencer.answer(args.video, args.question,
                                   args.candidates, topk=args.topk)
    except (FileNotFoundError, ValueError, VideoDecodeError,
            CheckpointMismatchError) as err:
        sys.exit(f'error: {err}')
    if args.json:
        print(json.dumps(result))
        return
    table = Table(title=f'{args.video}: "{args.question}"',
                  title_justify='left')
    table.add_column('answer')
    table.add_column('probability', justify='right')
    for answer, score in zip(result['answers'], result['scores']):
        table.add_row(answer, f'{score:.4f}')
    console = rich_console()
    console.print(table)
    console.print(f'answer: {result["answer"]}')


if __name__ == '__main__':
    main()
