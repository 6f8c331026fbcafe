"""Ablate Clover's pre-training losses on the demo corpus, same budget each.

Trains the pre-training config once per row, each row adding loss terms to
the one before, then evaluates every final checkpoint by zero-shot
text-to-video retrieval on the test split and prints a table:

======================  =====================================================
row                     loss terms
======================  =====================================================
contrastive only        video-text InfoNCE (video anchor, complete text only)
+ masked positives      both anchors; the masked sample of the other modality
                        is a second positive (exclusive InfoNCE)
+ ranking               + pair-wise ranking, complete over masked (margin 5)
full Clover             + fused positives (tri-modal alignment) + focal MLM
======================  =====================================================

Every row trains the same model (all modules built, the masked passes run)
for the same epochs with the same data, seed and schedule; only the loss
terms differ.

Usage::

    python tools/analysis/pretrain_ablation.py \\
        [--config configs/demo/clover_pretrain_demo.py] [--epochs 3] \\
        [--work-dir work_dirs/pretrain_ablation] [--rows contrastive ...]

The last line printed is a JSON object mapping each row to its metrics.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIG = 'configs/demo/clover_pretrain_demo.py'

_ALIGNMENT = 'model.pretrain_head.{anchor}_anchor_loss.'
# Row name -> (label, config overrides). Each row switches loss terms only.
ROWS = {
    'contrastive': ('contrastive only', {
        'model.pretrain_head.text_anchor_loss': None,
        'model.pretrain_head.video_anchor_loss.use_masked_positives': False,
        'model.pretrain_head.video_anchor_loss.use_fused_positives': False,
        'model.pretrain_head.video_anchor_loss.use_ranking': False,
        'model.pretrain_head.mlm_loss.loss_weight': 0.0,
    }),
    'masked': ('+ masked positives', {
        f'{_ALIGNMENT.format(anchor=anchor)}{key}': False
        for anchor in ('video', 'text')
        for key in ('use_fused_positives', 'use_ranking')
    } | {'model.pretrain_head.mlm_loss.loss_weight': 0.0}),
    'ranking': ('+ ranking', {
        f'{_ALIGNMENT.format(anchor=anchor)}use_fused_positives': False
        for anchor in ('video', 'text')
    } | {'model.pretrain_head.mlm_loss.loss_weight': 0.0}),
    'full': ('full Clover', {}),
}
REPORTED = ('dual/t2v/R@1', 'dual/t2v/R@5', 'dual/t2v/R@10', 'dual/t2v/MdR')


def schedule_overrides(epochs: int) -> Dict[str, object]:
    """Shorten the demo config's run to ``epochs`` (warm-up of one epoch,
    then the cosine to the new end), the same for every row."""
    return {
        'train_cfg.max_epochs': epochs,
        'param_scheduler.1.T_max': max(epochs - 1, 1),
        'param_scheduler.1.end': epochs,
    }


def format_overrides(overrides: Dict[str, object]) -> List[str]:
    """``key=value`` strings for ``--cfg-options``."""
    return [f'{key}={value}' for key, value in overrides.items()]


def run_tool(args: List[str], log_path: str) -> str:
    """Run a tool with its output in ``log_path``; return the last line it
    printed. Raises naming the log when the tool fails."""
    with open(log_path, 'w') as log:
        result = subprocess.run([sys.executable, *args],
                                cwd=REPO_ROOT,
                                stdout=subprocess.PIPE,
                                stderr=log,
                                text=True)
        log.write(result.stdout)
    if result.returncode != 0:
        raise RuntimeError(f'{args[0]} failed (exit {result.returncode}); '
                           f'see {log_path}')
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ''


def run_row(name: str, config: str, epochs: int, work_root: str) -> Dict:
    """Train one row and test its last checkpoint; returns the metrics."""
    label, overrides = ROWS[name]
    work_dir = osp.join(work_root, name)
    options = format_overrides({**schedule_overrides(epochs), **overrides})
    start = time.perf_counter()
    run_tool(['tools/train.py', config, '--work-dir', work_dir,
              '--cfg-options', *options],
             osp.join(work_root, f'{name}_train.log'))
    checkpoint = osp.join(work_dir, f'epoch_{epochs}.pth')
    metrics = json.loads(
        run_tool(['tools/test.py', config, checkpoint, '--work-dir', work_dir,
                  '--cfg-options', *options],
                 osp.join(work_root, f'{name}_test.log')))
    metrics['minutes'] = (time.perf_counter() - start) / 60
    print(f'{label}: t2v R@1 {metrics["dual/t2v/R@1"]:.1f} '
          f'({metrics["minutes"]:.1f} min)', flush=True)
    return metrics


def format_table(results: Dict[str, Dict]) -> str:
    """A Markdown table of the rows that ran."""
    lines = ['| row | ' + ' | '.join(key.split('/', 1)[1] for key in REPORTED)
             + ' | minutes |', '|---' * (len(REPORTED) + 2) + '|']
    for name, metrics in results.items():
        values = ' | '.join(f'{metrics[key]:.1f}' for key in REPORTED)
        lines.append(f'| {ROWS[name][0]} | {values} | '
                     f'{metrics["minutes"]:.1f} |')
    chance = next(iter(results.values()))['dual/t2v/chance_R@1']
    lines.append(f'\nZero-shot text-to-video retrieval on the test split; '
                 f'chance R@1 = {chance:.2f}.')
    return '\n'.join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument(
        '--epochs', type=int, default=3, help='training epochs of every row')
    parser.add_argument(
        '--work-dir', default='work_dirs/pretrain_ablation')
    parser.add_argument(
        '--rows', nargs='+', choices=list(ROWS), default=list(ROWS))
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.epochs < 1:
        raise ValueError(f'--epochs must be >= 1, got {args.epochs}')
    work_root = osp.abspath(args.work_dir)
    os.makedirs(work_root, exist_ok=True)
    results = {
        name: run_row(name, args.config, args.epochs, work_root)
        for name in args.rows
    }
    print(format_table(results))
    print(json.dumps(results))


if __name__ == '__main__':
    main()
