"""Every training config resumes exactly: its train dataloaders (all the
sources of a MultiSourceTrainLoop) use ResumableSampler, its runtime has
ExactResumeHook and IterCheckpointHook, and pre-training, whose epochs take
hours, saves an iteration checkpoint on a timer (docs/get_started.md, "How
often long recipes checkpoint")."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
LEAVES = sorted(
    path for path in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in path)


def train_dataloaders(cfg):
    loaders = [cfg.train_dataloader]
    loaders += list(cfg.train_cfg.get('other_dataloaders', []))
    return loaders


@pytest.mark.parametrize(
    'path', LEAVES, ids=[osp.relpath(p, REPO_ROOT) for p in LEAVES])
def test_training_configs_resume_exactly(path):
    cfg = Config.fromfile(path)
    if cfg.get('train_dataloader') is None:
        pytest.skip('evaluation-only config')
    for loader in train_dataloaders(cfg):
        assert loader.sampler.type == 'ResumableSampler', path
    hooks = cfg.default_hooks
    assert hooks.exact_resume.type == 'ExactResumeHook'
    assert hooks.iter_checkpoint.type == 'IterCheckpointHook'
    assert hooks.checkpoint.type == 'CheckpointHook'


def test_pretraining_checkpoints_every_30_minutes_keeping_two():
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'pretrain', 'clover_webvid_cc3m.py'))
    assert len(train_dataloaders(cfg)) == 2
    hook = cfg.default_hooks.iter_checkpoint
    assert (hook.interval_minutes, hook.max_keep_ckpts) == (30, 2)
    # The epoch-end checkpoints stay as they are.
    assert cfg.default_hooks.checkpoint.interval == 1
