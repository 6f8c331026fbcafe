"""tools/analysis/benchmark_train_step.py at tiny widths on the CPU: the
project's pre-training step, built by the Runner from the recipe config,
gives the first-step losses of the independent official-composition
reference (mmaction2 Swin3D, transformers BERT) holding its weights."""
import importlib.util
import json
import math
import os.path as osp
import sys

import torch
from mmengine.config import Config

import clover.models  # noqa: F401  (registers the models)
from clover.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO_ROOT, 'tools', 'analysis', 'benchmark_train_step.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('benchmark_train_step',
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = load_tool()


def test_tiny_run_losses_agree_with_the_reference(run_tool, tool_env):
    proc = run_tool([
        sys.executable, SCRIPT, '--tiny', '--variants', 'fp32,fp32-cp',
        '--warmup', '1', '--iters', '1', '--profile'
    ], tool_env)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    losses = report['losses']
    assert losses['agree']
    for key in bench.LOSS_KEYS:
        item = losses[key]
        assert math.isfinite(item['project']) and item['project'] > 0, key
        assert abs(item['project'] - item['reference']) <= \
            1e-4 * abs(item['reference']), key
    assert set(report['variants']) == {'fp32', 'fp32-cp'}
    for name, result in report['variants'].items():
        assert result['clips_per_s'] > 0, name
        assert result['speedup'] == \
            result['clips_per_s'] / report['reference']['clips_per_s']
    assert 'losses agree to rtol 0.0001: True' in proc.stdout
    for step in ('project fp32', 'project fp32-cp', 'the reference'):
        table = proc.stdout.split(f'top kernels of {step}:')[1]
        assert 'aten::' in table.split('top kernels of')[0], step


def tiny_pair():
    cfg = Config.fromfile(osp.join(REPO_ROOT, bench.DEFAULT_CONFIG))
    bench.set_sizes(cfg.model, bench.TINY)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    reference = bench.build_reference(cfg.model)
    raw = bench.make_batch(bench.TINY, reference.mlm_decoder.out_features, 0)
    return model, reference, raw


def test_every_weight_is_copied_and_a_changed_one_is_caught():
    model, reference, raw = tiny_pair()
    result = bench.check_losses(model, reference, raw, rtol=1e-4)
    assert result['agree']
    # The mask token only enters the masked clips: v_m, the text anchor's
    # masked positive (and, barely at initialisation, fuse(V_m, T)); the
    # MLM path sees the complete clips.
    with torch.no_grad():
        model.video_encoder.mask_token.add_(1.)
    changed = bench.check_losses(model, reference, raw, rtol=1e-4)
    assert changed['agree']  # copied again: still equal
    data = model.data_preprocessor(raw, True)
    with torch.no_grad():
        reference.mask_token.fill_(10.)
        model.eval()
        reference.eval()
        ours = model(**data, mode='loss')
        theirs = reference(**bench.reference_inputs(data))
    assert torch.allclose(ours['loss_mlm'], theirs['loss_mlm'], rtol=1e-4)
    for key in ('loss_v_nce', 'loss_v_rank'):
        assert not torch.allclose(ours[key], theirs[key], rtol=1e-3), key
