"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.

The last line printed (on rank 0) is one JSON object with the metrics.
"""
import argparse
import json
import logging
import os.path as osp

from clover.engine.runner import destroy_dist
from clover.utils import (add_common_args, build_runner, load_config,
                          parse_tool_args)
from clover.utils.config import checkpoint_key_report, format_key_report
from clover.utils.console import console_log


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
                      args.work_dir, args.verbose)
    runner = build_runner(apply_test_args(cfg, args))
    if runner.rank == 0:
        report_checkpoint(runner.model, args.checkpoint)
    metrics = runner.test()
    if runner.rank == 0:
        print(json.dumps({k: _plain(v) for k, v in metrics.items()}))
    destroy_dist()


def report_checkpoint(model, checkpoint):
    """Log which weights of ``checkpoint`` the non-strict load keeps: a
    pre-training checkpoint tested zero-shot carries unused fusion and MLM
    weights, while missing keys would leave part of the model untrained."""
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    report = checkpoint_key_report(model, checkpoint)
    if not report['loaded']:
        raise ValueError(f'no weight of {checkpoint} matches the model '
                         f'{type(model).__name__}: wrong checkpoint?')
    console_log(
        format_key_report(report, checkpoint),
        level=logging.WARNING
        if report['missing'] or report['mismatched'] else logging.INFO)


def _plain(value):
    """A JSON-serialisable copy of a metric value."""
    return value.item() if hasattr(value, 'item') else value


if __name__ == '__main__':
    main()
