"""Train a model from a config: ``python tools/train.py CONFIG [options]``."""
import argparse

from clover.engine.runner import destroy_dist
from clover.utils import (add_common_args, build_runner, load_config,
                          parse_tool_args)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a Clover model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from PATH, or with no PATH (or "auto") from the latest '
        'checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true', help='mixed precision training')
    add_common_args(parser)
    return parse_tool_args(parser)


def apply_train_args(cfg, args):
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'--amp cannot be combined with {wrapper}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main():
    args = parse_args()
    cfg = load_config(args.config, args.launcher, args.cfg_options,
                      args.work_dir, args.verbose)
    runner = build_runner(apply_train_args(cfg, args))
    runner.train()
    destroy_dist()


if __name__ == '__main__':
    main()
