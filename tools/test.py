"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.

The last line printed (on rank 0) is one JSON object with the metrics.
"""
import argparse
import json

from clover.engine.runner import destroy_dist
from clover.utils import (add_common_args, build_runner, load_config,
                          parse_tool_args)


def parse_args():
    parser = argparse.ArgumentParser(description='Test a Clover model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--dump',
        type=str,
        help='dump the predictions (embeddings per sample) to this pickle '
        'file, e.g. results.pkl')
    add_common_args(parser)
    return parse_tool_args(parser)


def apply_test_args(cfg, args):
    cfg.load_from = args.checkpoint
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError('--dump must name a .pkl or .pickle file')
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, dict):
            evaluator = [evaluator]
        cfg.test_evaluator = [
            *evaluator,
            dict(type='DumpResults', out_file_path=args.dump)
        ]
    return cfg


def main():
    args = parse_args()
    cfg = load_config(args.config, args.launcher, args.cfg_options,
                      args.work_dir)
    runner = build_runner(apply_test_args(cfg, args))
    metrics = runner.test()
    if runner.rank == 0:
        print(json.dumps({k: _plain(v) for k, v in metrics.items()}))
    destroy_dist()


def _plain(value):
    """A JSON-serialisable copy of a metric value."""
    return value.item() if hasattr(value, 'item') else value


if __name__ == '__main__':
    main()
