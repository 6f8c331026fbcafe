"""Embed a large gallery of videos into sharded files, on one process or
many (``torchrun``), resumable after a crash.

    python tools/misc/extract_features.py CONFIG CKPT --video-dir DIR --out OUT
    python tools/misc/extract_features.py CONFIG CKPT --ann-file ANN \
        --video-dir DIR --out OUT
    torchrun --nproc_per_node 4 tools/misc/extract_features.py CONFIG CKPT \
        --video-dir DIR --out OUT --launcher pytorch

Videos are split into shards of ``--shard-size`` in gallery order; shard i
goes to rank ``i % world_size``. Each finished shard is a ``.npy`` of
embeddings and a ``.json`` of their video paths (see
clover/apis/feature_index.py); running the command again skips the finished
shards. Unreadable videos are skipped, logged and listed in their shard's
``skipped``. Search the result with tools/misc/search_features.py.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.distributed as dist


def parse_args():
    parser = argparse.ArgumentParser(
        description='Extract sharded video embeddings of a gallery')
    parser.add_argument('config', help='config file or exported model folder')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file')
    parser.add_argument('--ann-file', help='Clover annotation file listing '
                        'the videos (their "video" fields are relative to '
                        '--video-dir)')
    parser.add_argument('--video-dir', required=True,
                        help='folder of the videos (all video files under '
                        'it unless --ann-file is given)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--shard-size', type=int, default=1024)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--device', default=None,
                        help='default: cuda:LOCAL_RANK if CUDA is available, '
                        'else cpu')
    parser.add_argument('--launcher', choices=['none', 'pytorch'],
                        default='none')
    return parser.parse_args()


def setup_dist(launcher):
    """``(rank, world_size)``; joins the torchrun group (gloo on CPU)."""
    if launcher == 'none':
        return 0, 1
    backend = 'nccl' if torch.cuda.is_available() else 'gloo'
    dist.init_process_group(backend=backend)
    return dist.get_rank(), dist.get_world_size()


def barrier():
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def main():
    args = parse_args()
    from rich.progress import Progress

    from clover.apis import TextVideoRetrievalInferencer
    from clover.apis import feature_index as fi
    from clover.apis.gallery import model_key, resolve_gallery
    from clover.utils.console import rich_console

    rank, world_size = setup_dist(args.launcher)
    device = args.device or (
        f'cuda:{os.environ.get("LOCAL_RANK", 0)}'
        if torch.cuda.is_available() else 'cpu')
    try:
        paths = resolve_gallery(
            args.ann_file or args.video_dir,
            args.video_dir if args.ann_file else None)
        inferencer = TextVideoRetrievalInferencer(
            args.config, args.checkpoint, device=device, cache_dir=False,
            batch_size=args.batch_size)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')
    num_shards = -(-len(paths) // args.shard_size)
    if rank == 0:
        fi.check_or_write_manifest(
            args.out,
            dict(
                config=str(args.config),
                checkpoint=args.checkpoint,
                model_key=model_key(inferencer.model.checkpoint,
                                    inferencer.video_steps),
                shard_size=args.shard_size,
                num_videos=len(paths),
                num_shards=num_shards,
                gallery_sha1=fi.gallery_hash(paths)))
    barrier()
    mine = [i for i in range(rank, num_shards, world_size)]
    todo = [i for i in mine if not fi.is_finished(args.out, i)]
    if rank == 0 and len(todo) < len(mine):
        print(f'resuming: {len(mine) - len(todo)} finished shards skipped',
              file=sys.stderr)
    shard_paths = {
        i: paths[i * args.shard_size:(i + 1) * args.shard_size]
        for i in todo
    }
    num_skipped = 0
    with Progress(console=rich_console(), disable=rank != 0) as progress:
        task = progress.add_task(
            f'rank {rank}: embedding videos',
            total=sum(len(p) for p in shard_paths.values()))
        for index in todo:
            inferencer.skipped = []
            embeddings = inferencer.embed_videos(
                shard_paths[index], skip_bad=True,
                on_batch=lambda n: progress.advance(task, n))
            ids = [p for p in shard_paths[index] if p in embeddings]
            array = (torch.stack([embeddings[p] for p in ids]).numpy()
                     if ids else np.zeros((0, 0), np.float32))
            fi.write_shard(args.out, index, ids, array, inferencer.skipped,
                           inferencer.cache.clip_shape)
            num_skipped += len(inferencer.skipped)
            # Features live in the shard files, not in memory.
            inferencer.cache.features.clear()
    if num_skipped:
        print(f'rank {rank}: skipped {num_skipped} unreadable videos (listed '
              "in the shards' \"skipped\")", file=sys.stderr)
    barrier()
    if rank == 0:
        print(f'{len(paths)} videos in {num_shards} shards under {args.out}')
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
