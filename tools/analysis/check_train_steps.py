"""A few training steps of every Clover task model, in each precision the
device has, with finite losses and every tensor on the device.

One config per task model: pre-training (``CloverPretrain``), retrieval
(``CloverRetrieval``), open-ended QA and fill-in-the-blank
(``CloverVideoQA``, the [CLS] and the [MASK] read-outs), multiple choice
(``CloverMultipleChoice``). Each is built by the Runner with random weights
at the config's widths (Video Swin-B, BERT-base; tiny ones on CPU or with
``--tiny``) and stepped through ``model.train_step`` with the config's
optimizer on a synthetic batch of the task's inputs. Precisions: fp16
(dynamic loss scale) and bf16 on CUDA (bf16 where supported), fp32 and bf16
autocast on CPU. The exit status is 1 when any step fails (the message is
printed: a device mismatch raises there) or gives a non-finite loss, or when
a parameter, gradient or optimizer state is off the device. Examples::

    python tools/analysis/check_train_steps.py            # CUDA: full size
    python tools/analysis/check_train_steps.py --tiny --iters 2
"""
import argparse
import contextlib
import copy
import functools
import math
import os.path as osp
import sys
import tempfile
import time
import traceback

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from benchmark_train_step import (FULL, TINY, VARIANTS, make_batch,  # noqa
                                  set_sizes, set_variant)

from clover.utils import build_runner, load_config  # noqa: E402

TASK_CONFIGS = {
    'pretrain': 'configs/pretrain/clover_webvid_cc3m.py',
    'retrieval':
    'configs/retrieval/clover_swin-b_bert-b_8xb16-100e_msrvtt-1k-ret.py',
    'qa': 'configs/qa/clover_swin-b_bert-b_8xb32-20e_msrvtt-qa.py',
    'mc': 'configs/qa/clover_swin-b_bert-b_8xb16-100e_tgif-action.py',
    'fib': 'configs/qa/clover_swin-b_bert-b_8xb16-20e_lsmdc-fib.py',
}
NUM_CANDIDATES = 5


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tiny', action='store_true',
                        help='tiny widths (the default on CPU)')
    parser.add_argument('--tasks', default=','.join(TASK_CONFIGS),
                        help='comma-separated, from ' +
                        ', '.join(TASK_CONFIGS))
    parser.add_argument('--batch', type=int, default=4,
                        help='clips per step (default 4)')
    parser.add_argument('--iters', type=int, default=3,
                        help='steps per task and precision (default 3)')
    return parser.parse_args()


def precisions(device: str):
    if device == 'cpu':
        return ['fp32', 'bf16']
    return ['fp16', 'bf16'] if torch.cuda.is_bf16_supported() else ['fp16']


def num_labels(model_cfg) -> int:
    if model_cfg.type == 'CloverMultipleChoice':
        return NUM_CANDIDATES
    return model_cfg.qa_head.num_answers if model_cfg.get('qa_head') else 0


def off_device(model, optim_wrapper, device: str):
    """Names of the parameters, gradients and optimizer states that are
    not on ``device``."""
    wrong = [
        name for name, param in model.named_parameters()
        if param.device.type != device or (
            param.grad is not None and param.grad.device.type != device)
    ]
    for state in optim_wrapper.optimizer.state.values():
        wrong += [
            f'optimizer state {key}' for key, value in state.items()
            if torch.is_tensor(value) and value.dim() and
            value.device.type != device
        ]
    return wrong


def check_task(task: str, precision: str, spec: dict, device: str,
               iters: int, work_dir: str) -> dict:
    """Build the task's runner and run ``iters`` training steps."""
    cfg = load_config(TASK_CONFIGS[task], work_dir=work_dir)
    set_sizes(cfg.model, spec)
    set_variant(cfg, VARIANTS[precision], device)
    cfg.randomness = dict(seed=0)
    runner = build_runner(cfg)
    model = runner.model
    model.init_weights()
    optim_wrapper = runner.build_optim_wrapper(copy.deepcopy(
        cfg.optim_wrapper))
    vocab = spec['bert'].get('vocab_size', 30522)
    raw = make_batch(spec, vocab, 0, task, num_labels(cfg.model))
    context = functools.partial(torch.autocast, 'cpu', dtype=torch.bfloat16) \
        if device == 'cpu' and precision == 'bf16' else contextlib.nullcontext
    losses = []
    start = time.perf_counter()
    for _ in range(iters):
        with context():
            log_vars = model.train_step(raw, optim_wrapper)
        losses.append(log_vars['loss'])
    elapsed = time.perf_counter() - start
    losses = [float(loss) for loss in losses]  # one sync, after the steps
    problems = [] if all(map(math.isfinite, losses)) else \
        ['non-finite loss']
    wrong = off_device(model, optim_wrapper, device)
    if wrong:
        problems.append(f'off the device: {wrong[:5]}')
    return dict(losses=losses, seconds=elapsed, problems=problems)


def main():
    args = parse_args()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    spec = dict(TINY if args.tiny or device == 'cpu' else FULL,
                batch=args.batch)
    tasks = args.tasks.split(',')
    unknown = [t for t in tasks if t not in TASK_CONFIGS]
    if unknown:
        raise SystemExit(f'unknown tasks {unknown}; choose from '
                         f'{list(TASK_CONFIGS)}')
    name = torch.cuda.get_device_name() if device == 'cuda' else 'cpu'
    print(f'device: {name}, torch {torch.__version__}, {spec["batch"]} '
          f'clips x {spec["frames"]} x {spec["size"]}px'
          f'{", tiny widths" if spec["size"] != FULL["size"] else ""}')
    failures = 0
    with tempfile.TemporaryDirectory() as work_dir:
        for task in tasks:
            for precision in precisions(device):
                label = f'{task:<10}{precision:<6}'
                try:
                    result = check_task(task, precision, spec, device,
                                        args.iters,
                                        osp.join(work_dir, task + precision))
                except Exception:  # report every task, then fail
                    failures += 1
                    print(f'{label}FAILED\n{traceback.format_exc()}')
                    continue
                if device == 'cuda':
                    torch.cuda.empty_cache()
                status = '; '.join(result['problems']) or 'ok'
                failures += bool(result['problems'])
                losses = ' '.join(f'{x:.4f}' for x in result['losses'])
                print(f'{label}{status:<4} losses {losses}  '
                      f'({result["seconds"]:.1f} s)')
    print(f'{failures} failed' if failures else 'all task models ok')
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
