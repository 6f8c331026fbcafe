"""Rank the videos of a folder written by tools/misc/extract_features.py
for text queries, without decoding any video:

    python tools/misc/search_features.py CONFIG CKPT FEATURES \
        --query "a red square moves left" [--topk 10] [--faiss [FACTORY]]

Exact search (a matrix product streamed over the shards) is the default;
``--faiss`` searches a FAISS index instead (faiss-cpu, an optional
requirement), built once and saved next to the shards. The last line
printed is one JSON list with the hits of each query.
"""
import argparse
import json
import sys


def parse_args():
    parser = argparse.ArgumentParser(description='Search saved embeddings')
    parser.add_argument('config', help='config file or exported model folder')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file')
    parser.add_argument('features', help='output folder of extract_features')
    parser.add_argument('--query', nargs='+', required=True)
    parser.add_argument('--topk', type=int, default=10)
    parser.add_argument(
        '--faiss', nargs='?', const='Flat', metavar='FACTORY',
        help='search a FAISS index (faiss.index_factory string, default '
        'Flat = exact; e.g. IVF1024,PQ32 for galleries that do not fit in '
        'memory)')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args()


def main():
    args = parse_args()
    from clover.apis import TextVideoRetrievalInferencer
    from clover.apis import feature_index as fi

    try:
        inferencer = TextVideoRetrievalInferencer(
            args.config, args.checkpoint, device=args.device, cache_dir=False)
        inferencer.cache.clip_shape = fi.clip_shape_of(args.features)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')
    queries = inferencer.embed_texts(args.query).numpy()
    if args.faiss:
        scores, ids = fi.faiss_search(args.features, queries, args.topk,
                                      args.faiss)
    else:
        scores, ids = fi.exact_search(args.features, queries, args.topk)
    results = []
    for text, row_scores, row_ids in zip(args.query, scores, ids):
        results.append(
            dict(text=text, paths=row_ids,
                 scores=[float(s) for s in row_scores[:len(row_ids)]]))
        print(f'"{text}"')
        for rank, (path, score) in enumerate(zip(row_ids, row_scores), 1):
            print(f'  {rank:>3}  {score:.4f}  {path}')
    print(json.dumps(results))


if __name__ == '__main__':
    main()
