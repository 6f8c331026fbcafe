"""Training-step speed of a Clover config against the faithful eager
reference step, on the same batch and seed, in one process.

The reference (``tools/analysis/clover_reference.py``) is the official
composition: mmaction2's ``SwinTransformer3D``, transformers' ``BertModel``,
a BERT fusion encoder, four projection heads, the untied MLM head with focal
loss, exclusive tri-modal InfoNCE with ranking for both anchors and six
separate encoder passes, stepped by AdamW under fp16 autocast with a
``GradScaler`` on CUDA (fp32 on CPU). The project's step is the config's
model and optim wrapper built by the Runner, run through
``model.train_step``, in each variant (precision, activation checkpointing,
``compile``).

Printed: clips/s, peak CUDA memory and the speed-up over the reference for
each variant, and the first-step losses of both with the project's weights
copied into the reference (fp32, dropout off), which must agree to
``--rtol`` (the exit status is 1 otherwise).

Weights are random (the pretrained BERT and Swin files are not read), the
widths the config's: Video Swin-B and BERT-base for the recipes, 32 clips of
8 x 224 x 224 and 30-token texts on CUDA. On CPU (or with ``--tiny``) the
widths are tiny and a run takes seconds. Examples::

    python tools/analysis/benchmark_train_step.py    # the pre-training recipe
    python tools/analysis/benchmark_train_step.py --tiny --variants fp32
    python tools/analysis/benchmark_train_step.py --variants bf16,bf16-compile
    python tools/analysis/benchmark_train_step.py --profile   # top kernels
"""
import argparse
import contextlib
import copy
import functools
import gc
import json
import os.path as osp
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import Config, ConfigDict, DictAction

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from clover_reference import ReferenceClover  # noqa: E402

from clover.registry import MODELS  # noqa: E402
from clover.structures import VideoTextDataSample  # noqa: E402
from clover.utils import build_runner, load_config  # noqa: E402

DEFAULT_CONFIG = 'configs/pretrain/clover_webvid_cc3m.py'
CLS_ID, SEP_ID, MASK_ID = 101, 102, 103

# The batch and, for tiny runs, the widths replacing the config's.
FULL = dict(batch=32, frames=8, size=224, text_len=30, mask_grid=7,
            bert={})  # BertConfig's defaults are bert-base-uncased's
TINY = dict(
    batch=4, frames=8, size=32, text_len=12, mask_grid=4,
    swin=dict(arch=dict(embed_dims=16, depths=[2, 2], num_heads=[2, 4]),
              window_size=(2, 4, 4)),
    heads=dict(hidden_channels=48, out_channels=32),
    bert=dict(vocab_size=512, hidden_size=32, num_hidden_layers=2,
              num_attention_heads=2, intermediate_size=64,
              max_position_embeddings=64))

# precision: fp32, fp16 (dynamic loss scale) or bf16 (no loss scale);
# with_cp: activation checkpointing in the three encoders; compile: MMEngine's
# `compile` option.
VARIANTS = {
    'fp32': dict(precision='fp32'),
    'fp32-cp': dict(precision='fp32', with_cp=True),
    'fp16': dict(precision='fp16'),
    'bf16': dict(precision='bf16'),
    'bf16-cp': dict(precision='bf16', with_cp=True),
    'bf16-compile': dict(precision='bf16', compile=True),
    'fp16-compile': dict(precision='fp16', compile=True),
}
LOSS_KEYS = ('loss_mlm', 'loss_nce', 'loss_rank', 'loss_v_nce', 'loss_v_rank')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        '--tiny', action='store_true',
        help='tiny widths and batch (the default on CPU)')
    size.add_argument(
        '--full', action='store_true',
        help='full size on a CPU too (slow; e.g. with --batch 2 to check '
        'the losses at full size)')
    parser.add_argument(
        '--variants', default=None,
        help=f'comma-separated, from {", ".join(VARIANTS)}; default: '
        'fp16,bf16,bf16-cp,bf16-compile on CUDA (fp16 ones without bf16), '
        'fp32,fp32-cp,bf16 on CPU')
    parser.add_argument('--batch', type=int, help='clips per step')
    parser.add_argument('--warmup', type=int, default=None,
                        help='untimed steps (default 3 CUDA, 1 CPU)')
    parser.add_argument('--iters', type=int, default=None,
                        help='timed steps (default 10 CUDA, 3 CPU)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--rtol', type=float, default=1e-4,
                        help='relative tolerance of the loss agreement')
    parser.add_argument('--skip-reference-timing', action='store_true',
                        help='only check the losses against the reference')
    parser.add_argument(
        '--profile', action='store_true',
        help='after timing each variant, profile 2 steps and print the top '
        'kernels by self time')
    parser.add_argument('--work-dir', help='for the runners (default: temp)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def default_variants(device: str) -> List[str]:
    if device == 'cpu':
        return ['fp32', 'fp32-cp', 'bf16']
    if torch.cuda.is_bf16_supported():
        return ['fp16', 'bf16', 'bf16-cp', 'bf16-compile']
    return ['fp16', 'fp16-compile']


def set_sizes(model: ConfigDict, spec: dict) -> None:
    """Random weights at the config's widths (or the tiny ones) for any
    Clover task model: no pretrained file is read."""
    video = model.video_encoder
    video.update(pretrained=None, **spec.get('swin', {}))
    arch = video.arch
    if isinstance(arch, str):
        from clover.models.backbones import SwinTransformer3D
        arch = SwinTransformer3D.arch_zoo[arch]
    channels = arch['embed_dims'] * 2**(len(arch['depths']) - 1)
    # Swin merges 2x2 patches between stages.
    grid = spec['size'] // video.patch_size[1] // 2**(len(arch['depths']) - 1)
    bert = spec['bert']
    hidden = bert.get('hidden_size', 768)
    model.text_encoder.update(pretrained=None, config=bert)
    if model.get('fusion'):
        # The fusion depth is its num_layers.
        fusion_bert = {
            k: v
            for k, v in bert.items() if k != 'num_hidden_layers'
        }
        model.fusion.update(
            pretrained=None, config=fusion_bert, video_channels=channels,
            num_spatial_tokens=grid * grid)
    projections = []
    if model.get('retrieval_head'):
        model.retrieval_head.video_proj.in_channels = channels
        model.retrieval_head.text_proj.in_channels = hidden
        projections += [
            model.retrieval_head.video_proj, model.retrieval_head.text_proj
        ]
    if model.get('pretrain_head'):
        head = model.pretrain_head
        head.mlm_head.update(pretrained=None, config=bert)
        head.fused_video_proj.in_channels = hidden
        head.fused_text_proj.in_channels = hidden
        projections += [head.fused_video_proj, head.fused_text_proj]
    if model.get('qa_head'):
        model.qa_head.in_channels = hidden
    for proj in projections:
        proj.update(spec.get('heads', {}))


def set_variant(cfg: Config, variant: dict, device: str) -> None:
    """Precision, checkpointing and compile switches of one variant."""
    precision = variant['precision']
    wrapper = cfg.optim_wrapper
    if precision == 'fp32' or device == 'cpu':
        # MMEngine's AmpOptimWrapper needs CUDA; bf16 on CPU is an autocast
        # context around the step (see run_variant).
        for key in ('loss_scale', 'dtype'):
            wrapper.pop(key, None)
        wrapper.type = 'OptimWrapper'
    elif precision == 'fp16':
        wrapper.update(type='AmpOptimWrapper', dtype='float16',
                       loss_scale='dynamic')
    else:  # bf16 has fp32's exponent range: no loss scaling
        wrapper.update(type='AmpOptimWrapper', dtype='bfloat16',
                       loss_scale=dict(enabled=False))
    for name in ('video_encoder', 'text_encoder', 'fusion'):
        if cfg.model.get(name):
            cfg.model[name].with_cp = variant.get('with_cp', False)
    cfg.compile = variant.get('compile', False)


def make_batch(spec: dict, vocab_size: int, seed: int,
               task: str = 'pretrain', num_labels: int = 0) -> dict:
    """A collated batch as the pipeline packs it: uint8 clips and token ids
    with [CLS] / [SEP] and padding, plus what the task trains on.

    Args:
        spec (dict): ``batch``, ``frames``, ``size``, ``text_len`` and
            ``mask_grid``.
        vocab_size (int): Token ids are drawn below it.
        seed (int): Seed of the batch.
        task (str): ``'pretrain'`` (30 % of the words masked, MLM labels,
            tube masks), ``'retrieval'``, ``'qa'`` (a ``gt_label`` below
            ``num_labels``), ``'fib'`` (also one [MASK] per text) or
            ``'mc'`` (``num_labels`` candidate texts, the label of one).
        num_labels (int): Answers (``'qa'``, ``'fib'``) or candidates
            (``'mc'``).
    """
    gen = torch.Generator().manual_seed(seed)
    num, length = spec['batch'], spec['text_len']
    num_texts = num_labels if task == 'mc' else 1
    inputs = {key: [] for key in ('imgs', 'text_ids', 'text_mask')}
    if task == 'pretrain':
        inputs.update(masked_text_ids=[], mlm_labels=[], video_mask=[])
    samples = []
    for index in range(num):
        inputs['imgs'].append(torch.randint(
            0, 256, (3, spec['frames'], spec['size'], spec['size']),
            generator=gen, dtype=torch.uint8))
        used = torch.randint(length // 2, length + 1, (num_texts, ),
                             generator=gen)
        if index == 0:
            used[0] = length  # one text without padding
        positions = torch.arange(length)
        ids = torch.randint(MASK_ID + 1, vocab_size, (num_texts, length),
                            generator=gen)
        ids[positions >= used[:, None]] = 0
        ids[:, 0] = CLS_ID
        ids[positions == used[:, None] - 1] = SEP_ID
        if task == 'fib':
            ids[:, 1] = MASK_ID
        inputs['text_ids'].append(ids)
        inputs['text_mask'].append((positions < used[:, None]).long())
        # The texts themselves are not read; their count is (candidates).
        sample = VideoTextDataSample(
            text=[f'text {i}' for i in range(num_texts)])
        if task in ('qa', 'fib', 'mc'):
            sample.gt_label = int(
                torch.randint(0, num_labels, (1, ), generator=gen))
        samples.append(sample)
        if task != 'pretrain':
            continue
        labelled = (torch.rand(length, generator=gen) < 0.3) & \
            (positions > 0) & (positions < used[0] - 1)
        labelled[1] = True  # at least one MLM target per text
        inputs['masked_text_ids'].append(torch.where(labelled, MASK_ID, ids))
        inputs['mlm_labels'].append(torch.where(labelled, ids, -100))
        grid = spec['mask_grid']
        inputs['video_mask'].append(
            torch.rand(grid, grid, generator=gen) < 0.2)
    return dict(inputs=inputs, data_samples=samples)


def build_reference(model: ConfigDict) -> ReferenceClover:
    """The reference at the widths of the project's model config."""
    video, head = model.video_encoder, model.pretrain_head
    retrieval = model.retrieval_head
    heads = dict(
        g_v=retrieval.video_proj, g_t=retrieval.text_proj,
        h_V=head.fused_video_proj, h_T=head.fused_text_proj)
    return ReferenceClover(
        swin=dict(arch=video.arch, patch_size=tuple(video.patch_size),
                  window_size=tuple(video.window_size),
                  drop_path_rate=video.drop_path_rate),
        bert=dict(model.text_encoder.config),
        fusion_layers=model.fusion.num_layers,
        num_temporal_slots=model.fusion.num_temporal_slots,
        num_spatial_tokens=model.fusion.num_spatial_tokens,
        heads={k: (v.hidden_channels, v.out_channels)
               for k, v in heads.items()},
        fused_text_dropout=head.fused_text_proj.get('dropout', 0.),
        temperature=head.video_anchor_loss.temperature,
        margin=head.video_anchor_loss.margin,
        gamma=head.mlm_loss.gamma)


def _head_pairs(project: torch.nn.Module, reference: torch.nn.Module,
                project_prefix: str, reference_prefix: str) -> Dict[str, str]:
    """Key prefixes of a ProjectionHead's layers and the reference head's
    (both list their Linear / LayerNorm layers in the same order)."""
    def with_params(seq):
        return [i for i, m in enumerate(seq) if list(m.parameters())]

    return {
        f'{project_prefix}.layers.{i}.': f'{reference_prefix}.{j}.'
        for i, j in zip(with_params(project.layers), with_params(reference))
    }


def copy_weights(project: torch.nn.Module,
                 reference: ReferenceClover) -> None:
    """Copy every parameter of the project's model into the reference.

    Raises:
        RuntimeError: If a parameter on either side has no counterpart
            (other than the reference text BERT's unused pooler) or the
            shapes differ.
    """
    retrieval, pretrain = project.retrieval_head, project.pretrain_head
    prefixes = {
        'video_encoder.mask_token': 'mask_token',
        'video_encoder.norm.': f'swin.norm{reference.last_stage}.',
        'video_encoder.': 'swin.',
        'text_encoder.bert.': 'bert.',
        'fusion.encoder.': 'fusion_encoder.',
        'fusion.video_proj.': 'fc_in.',
        'fusion.spatial_pos': 'vis_space_pos',
        'fusion.temporal_pos': 'vis_tempor_pos',
        'fusion.token_type_embeddings.': 'token_type_embeddings.',
        'fusion.video_norm.': 'fusion_ln.',
        'pretrain_head.mlm_head.transform.': 'mlm_transform.',
        'pretrain_head.mlm_head.decoder.': 'mlm_decoder.',
    }
    for module, name, ref in (
            (retrieval.video_proj, 'retrieval_head.video_proj', 'g_v'),
            (retrieval.text_proj, 'retrieval_head.text_proj', 'g_t'),
            (pretrain.fused_video_proj, 'pretrain_head.fused_video_proj',
             'h_v'),
            (pretrain.fused_text_proj, 'pretrain_head.fused_text_proj',
             'h_t')):
        prefixes.update(_head_pairs(module, getattr(reference, ref), name,
                                    ref))
    targets = dict(reference.named_parameters())
    filled, unmatched = set(), []
    for key, value in project.named_parameters():
        match = next((p for p in prefixes if key.startswith(p)), None)
        ref_key = None if match is None else \
            prefixes[match] + key[len(match):]
        if ref_key not in targets or targets[ref_key].shape != value.shape:
            unmatched.append(key)
            continue
        targets[ref_key].data.copy_(value.data)
        filled.add(ref_key)
    unfilled = [
        k for k in targets if k not in filled and not k.startswith(
            'bert.pooler.')
    ]
    if unmatched or unfilled:
        raise RuntimeError(
            'copy_weights: no counterpart for project parameters '
            f'{unmatched[:5]} or reference parameters {unfilled[:5]}')


def device_sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def time_steps(step: Callable[[], None], spec: dict, device: str,
               warmup: int, iters: int) -> dict:
    """Clips/s over ``iters`` steps after ``warmup`` ones, the first step's
    seconds (compilation included) and the peak CUDA memory in GB."""
    start = time.perf_counter()
    step()
    device_sync(device)
    first = time.perf_counter() - start
    for _ in range(warmup - 1):
        step()
    device_sync(device)
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(iters):
        step()
    device_sync(device)
    elapsed = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 1e9 \
        if device == 'cuda' else None
    return dict(clips_per_s=iters * spec['batch'] / elapsed,
                first_step_s=first, peak_gb=peak)


def top_kernels(step: Callable[[], None], device: str,
                rows: int = 15) -> str:
    """The profiler's table of the operators with the most self time over
    two steps (CUDA time on CUDA)."""
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device == 'cuda':
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as prof:
        for _ in range(2):
            step()
        device_sync(device)
    sort_by = 'self_cuda_time_total' if device == 'cuda' else \
        'self_cpu_time_total'
    return prof.key_averages().table(sort_by=sort_by, row_limit=rows)


def reference_inputs(data: dict) -> dict:
    keys = ('imgs', 'video_mask', 'text_ids', 'text_mask', 'masked_text_ids',
            'mlm_labels')
    return {key: data['inputs'][key] for key in keys}


def check_losses(model: torch.nn.Module, reference: ReferenceClover,
                 raw: dict, rtol: float) -> dict:
    """First-step losses of both in fp32 with dropout off (eval mode), the
    reference holding the project's weights."""
    copy_weights(model, reference)
    model.eval()
    reference.eval()
    # TF32 convolutions / matmuls would blur the fp32 comparison.
    tf32 = (torch.backends.cuda.matmul.allow_tf32,
            torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        with torch.no_grad():
            data = model.data_preprocessor(raw, True)
            ours = model(**data, mode='loss')
            theirs = reference(**reference_inputs(data))
    finally:
        (torch.backends.cuda.matmul.allow_tf32,
         torch.backends.cudnn.allow_tf32) = tf32
    model.train()
    reference.train()
    result = {}
    for key in LOSS_KEYS:
        a, b = float(ours[key]), float(theirs[key])
        rel = abs(a - b) / max(abs(a), abs(b), 1e-12)
        result[key] = dict(project=a, reference=b, rel_diff=rel)
    result['agree'] = all(result[k]['rel_diff'] <= rtol for k in LOSS_KEYS)
    return result


def reference_step(reference: ReferenceClover, inputs: dict, device: str,
                   lr: float) -> Callable[[], None]:
    """One official step: fp16 autocast + GradScaler on CUDA, AdamW
    (no decay on norms, biases and bias tables), clipping at 15."""
    decay, no_decay = [], []
    for name, param in reference.named_parameters():
        skip = param.ndim <= 1 or 'relative_position_bias_table' in name
        (no_decay if skip else decay).append(param)
    optimizer = torch.optim.AdamW(
        [dict(params=decay, weight_decay=0.005),
         dict(params=no_decay, weight_decay=0.)],
        lr=lr, betas=(0.9, 0.98), eps=1e-8)
    fp16 = device == 'cuda'
    scaler = torch.amp.GradScaler(device, enabled=fp16)
    params = list(reference.parameters())

    def step():
        with torch.autocast(device, dtype=torch.float16, enabled=fp16):
            losses = reference(**inputs)
        scaler.scale(sum(losses.values())).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(params, 15.)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)

    return step


def run_variant(cfg: Config, name: str, spec: dict, raw: dict, device: str,
                args, reference: Optional[ReferenceClover]) -> dict:
    """Build the variant's runner, optionally check the losses against the
    reference, and time ``model.train_step``."""
    variant = VARIANTS[name]
    cfg = copy.deepcopy(cfg)
    set_variant(cfg, variant, device)
    cfg.work_dir = osp.join(args.work_dir, name)
    runner = build_runner(cfg)
    model = runner.model
    model.init_weights()
    result = {}
    if reference is not None:
        # On the device for the check only, so that the variants' peak
        # memory is the project's alone.
        result['losses'] = check_losses(model, reference.to(device), raw,
                                        args.rtol)
        reference.cpu()
    optim_wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    runner._maybe_compile('train_step')  # MMEngine's `compile` option
    cpu_bf16 = device == 'cpu' and variant['precision'] == 'bf16'
    context = functools.partial(torch.autocast, 'cpu', dtype=torch.bfloat16) \
        if cpu_bf16 else contextlib.nullcontext

    def step():
        with context():
            model.train_step(raw, optim_wrapper)

    result.update(time_steps(step, spec, device, args.warmup, args.iters))
    if args.profile:
        print(f'top kernels of project {name}:')
        print(top_kernels(step, device))
    del runner, model, optim_wrapper
    gc.collect()
    if device == 'cuda':
        torch.cuda.empty_cache()
    return result


def print_report(report: dict) -> None:
    ref = report['reference']
    print(f"device: {report['device']}, torch {report['torch']}, "
          f"{report['sizes']}")
    print(f"{'step':<28}{'clips/s':>10}{'peak GB':>10}{'x ref':>8}"
          f"{'mem / ref':>10}{'1st step s':>12}")
    rows = [('reference (official, ' + ref['precision'] + ')', ref)] + [
        (f'project {name}', res) for name, res in report['variants'].items()
    ]
    for label, res in rows:
        if 'clips_per_s' not in res:
            continue
        peak = '-' if res['peak_gb'] is None else f"{res['peak_gb']:.1f}"
        ratio, memory = (
            '-' if res.get(key) is None else f'{res[key]:.2f}'
            for key in ('speedup', 'memory_ratio'))
        print(f"{label:<28}{res['clips_per_s']:>10.2f}{peak:>10}{ratio:>8}"
              f"{memory:>10}{res['first_step_s']:>12.1f}")
    losses = report['losses']
    print('first-step losses, fp32, dropout off, reference holding the '
          'project weights:')
    for key in LOSS_KEYS:
        item = losses[key]
        print(f"  {key:<12} project {item['project']:.6f}  reference "
              f"{item['reference']:.6f}  rel diff {item['rel_diff']:.2e}")
    print(f"losses agree to rtol {report['rtol']:g}: {losses['agree']}")


def main():
    args = parse_args()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    tiny = args.tiny or (device == 'cpu' and not args.full)
    spec = dict(TINY if tiny else FULL)
    if args.batch:
        spec['batch'] = args.batch
    if args.warmup is None:
        args.warmup = 1 if device == 'cpu' else 3
    if args.iters is None:
        args.iters = 3 if device == 'cpu' else 10
    names = args.variants.split(',') if args.variants else \
        default_variants(device)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise SystemExit(f'unknown variants {unknown}; choose from '
                         f'{list(VARIANTS)}')
    torch.manual_seed(args.seed)

    cfg = load_config(args.config, cfg_options=args.cfg_options)
    if cfg.model.get('type') != 'CloverPretrain':
        raise SystemExit(f'{args.config}: model.type must be CloverPretrain '
                         f"(the reference step's model), got "
                         f"{cfg.model.get('type')!r}")
    set_sizes(cfg.model, spec)
    cfg.randomness = dict(seed=args.seed)
    reference = build_reference(cfg.model)
    vocab = reference.mlm_decoder.out_features
    raw = make_batch(spec, vocab, args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        args.work_dir = args.work_dir or tmp
        report = dict(
            device=torch.cuda.get_device_name() if device == 'cuda' else
            'cpu', torch=torch.__version__, rtol=args.rtol,
            sizes=(f"{spec['batch']} clips x {spec['frames']} x "
                   f"{spec['size']}px, {spec['text_len']}-token texts"
                   f"{', tiny widths' if tiny else ''}"),
            variants={})
        # The first variant's model gives its weights to the reference.
        for index, name in enumerate(names):
            report['variants'][name] = run_variant(
                cfg, name, spec, raw, device, args,
                reference if index == 0 else None)
        report['losses'] = report['variants'][names[0]].pop('losses')
        ref = dict(precision='fp16 + GradScaler' if device == 'cuda' else
                   'fp32')
        if not args.skip_reference_timing:
            # The reference gets the batch already normalised on the device
            # (the official pipeline normalised on the host).
            preprocessor = MODELS.build(cfg.model.data_preprocessor)
            with torch.no_grad():
                data = preprocessor.to(device)(raw, True)
            step = reference_step(reference.to(device),
                                  reference_inputs(data), device,
                                  cfg.optim_wrapper.optimizer.lr)
            ref.update(time_steps(step, spec, device, args.warmup,
                                  args.iters))
            if args.profile:
                print('top kernels of the reference:')
                print(top_kernels(step, device))
            for res in report['variants'].values():
                res['speedup'] = res['clips_per_s'] / ref['clips_per_s']
                if device == 'cuda':
                    res['memory_ratio'] = res['peak_gb'] / ref['peak_gb']
        report['reference'] = ref
    print_report(report)
    print(json.dumps(report))
    sys.exit(0 if report['losses']['agree'] else 1)


if __name__ == '__main__':
    main()
