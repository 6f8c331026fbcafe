"""Watch a training run's features collapse (or not), stage by stage.

Trains CONFIG for the whole epochs that hold ``--iters`` iterations (no
validation, no checkpoints; the lr schedule of the full run) and
prints, every ``--interval`` iterations, the lr, the loss and for each probed
module the share of its output that differs between the clips of the batch::

    spread = sum_b |x_b - mean_b x|^2 / sum_b |x_b|^2      (per sample, flat)

1 means nothing is shared across the batch, 0 that every sample gives the
same output: a collapsed stage, after which contrastive losses sit at their
chance value 2 ln N. The projections' outputs also get the mean cosine
between the batch's embeddings (1.0: collapsed). By default it probes the
video encoder's patch embedding, each stage (``layers.i``) and final norm,
and the retrieval head's two projections; ``--modules`` names others.

Usage::

    python tools/analysis/probe_collapse.py \\
        configs/demo/clover_retrieval_motion.py --iters 60 --interval 5

The README's motion section shows what it printed for the demo recipe with
one and with five epochs of warm-up.
"""
import argparse
import math
import os.path as osp
import sys
import tempfile
from typing import Dict, List

import torch
from mmengine.config import Config, DictAction
from mmengine.hooks import Hook

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))
from clover.utils import build_runner  # noqa: E402

PROJECTIONS = ('retrieval_head.video_proj', 'retrieval_head.text_proj')


def spread(features: torch.Tensor) -> float:
    """Share of the batch's squared norm that is not shared by all samples.

    Args:
        features (Tensor): ``(B, ...)``, one sample per row.
    """
    flat = features.detach().float().flatten(1)
    centred = flat - flat.mean(0, keepdim=True)
    return (centred.pow(2).sum() / flat.pow(2).sum().clamp_min(1e-12)).item()


def mean_cosine(features: torch.Tensor) -> float:
    """Mean cosine between the distinct pairs of the batch's rows."""
    flat = torch.nn.functional.normalize(
        features.detach().float().flatten(1), dim=1)
    num = flat.shape[0]
    cosines = flat @ flat.T
    return ((cosines.sum() - cosines.diagonal().sum()) /
            max(num * (num - 1), 1)).item()


def default_modules(model: torch.nn.Module) -> List[str]:
    """The video encoder's patch embedding, stages and norm, and the
    retrieval projections, those of them that ``model`` has."""
    names = ['video_encoder.patch_embed']
    layers = getattr(getattr(model, 'video_encoder', None), 'layers', [])
    names += [f'video_encoder.layers.{i}' for i in range(len(layers))]
    names += ['video_encoder.norm', *PROJECTIONS]
    present = dict(model.named_modules())
    return [name for name in names if name in present]


class CollapseProbeHook(Hook):
    """Capture the probed modules' outputs and print their spread.

    Args:
        modules (list[str]): Module names within the model.
        interval (int): Print every this many iterations (and the first).
        num_iters (int): Stop printing after this many iterations, and
            training at the end of the epoch that holds the last of them.
    """

    # Before ParamSchedulerHook ('LOW'): the lr read is this iteration's.
    priority = 'NORMAL'

    def __init__(self, modules: List[str], interval: int,
                 num_iters: int) -> None:
        self.modules = modules
        self.interval = interval
        self.num_iters = num_iters
        self.outputs: Dict[str, torch.Tensor] = {}
        self.rows: List[Dict[str, float]] = []

    def before_train(self, runner) -> None:
        model = runner.model
        model = getattr(model, 'module', model)
        present = dict(model.named_modules())
        missing = [name for name in self.modules if name not in present]
        if missing:
            children = [name for name, _ in model.named_children()]
            raise KeyError(f'the model has no module {missing}; its '
                           f'top-level modules are {children}')
        for name in self.modules:
            present[name].register_forward_hook(self._capture(name))
        # Columns named without the top-level module's name.
        self.labels = [
            '.'.join(name.split('.')[1:]) if '.' in name else name
            for name in self.modules
        ]
        self.widths = [
            max(len(label), 18 if name in PROJECTIONS else 5)
            for name, label in zip(self.modules, self.labels)
        ]
        print('iter       lr    loss  ' + '  '.join(
            label.rjust(width)
            for label, width in zip(self.labels, self.widths)), flush=True)

    def _capture(self, name: str):

        def hook(module, inputs, output):
            if isinstance(output, (tuple, list)):
                output = output[0]
            self.outputs[name] = output

        return hook

    def after_train_epoch(self, runner) -> None:
        # The loop's own early stop (as MMEngine's EarlyStoppingHook).
        if runner.iter >= self.num_iters:
            runner.train_loop.stop_training = True

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        step = runner.iter  # iterations done before this one
        if step >= self.num_iters or (step % self.interval
                                      and step != self.num_iters - 1):
            return
        row = dict(iter=step, lr=runner.optim_wrapper.get_lr()['lr'][0],
                   loss=float(outputs['loss']))
        cells = []
        for name in self.modules:
            value = spread(self.outputs[name])
            row[name] = value
            cell = f'{value:.3f}'
            if name in PROJECTIONS:
                row[f'{name}/cos'] = mean_cosine(self.outputs[name])
                cell += f' (cos {row[name + "/cos"]:.3f})'
            cells.append(cell)
        self.rows.append(row)
        print(f'{step:4d}  {row["lr"]:.1e}  {row["loss"]:6.3f}  ' +
              '  '.join(cell.rjust(width)
                        for cell, width in zip(cells, self.widths)),
              flush=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Print the between-clip spread of each probed module '
        'during the first training iterations')
    parser.add_argument('config', help='training config')
    parser.add_argument('--iters', type=int, default=60,
                        help='iterations to train (default 60)')
    parser.add_argument('--interval', type=int, default=5,
                        help='print every this many iterations (default 5)')
    parser.add_argument('--modules', nargs='+',
                        help='module names to probe (default: the video '
                        'stages and the retrieval projections)')
    parser.add_argument('--work-dir', help='default: a temporary folder')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries')
    return parser.parse_args(argv)


def main(argv=None) -> List[Dict[str, float]]:
    args = parse_args(argv)
    if args.iters < 1 or args.interval < 1:
        raise SystemExit('--iters and --interval must be >= 1')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    with tempfile.TemporaryDirectory() as tmp:
        cfg.work_dir = args.work_dir or tmp
        # Training only (the hook stops it once the iterations are done).
        for key in ('val_dataloader', 'val_cfg', 'val_evaluator'):
            cfg[key] = None
        cfg.default_hooks.checkpoint = None
        runner = build_runner(cfg)
        epochs = math.ceil(args.iters / len(runner.train_dataloader))
        print(f'Probing {args.iters} iterations: training stops after '
              f'epoch {epochs}.', flush=True)
        modules = args.modules or default_modules(
            getattr(runner.model, 'module', runner.model))
        probe = CollapseProbeHook(modules, args.interval, args.iters)
        runner.register_hook(probe)
        runner.train()
    return probe.rows


if __name__ == '__main__':
    main()
