"""The retrieval demo recipe (configs/demo/clover_retrieval_demo.py): its
warm-up and its translated training clips, and the motion-corpus config
(configs/demo/clover_retrieval_motion.py), which is that recipe with the
motion corpus' files and the smaller batch it documents."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

import clover.datasets.transforms  # noqa: F401  (registers the transforms)
from clover.registry import TRANSFORMS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO_ROOT, 'configs', 'demo', 'clover_retrieval_demo.py')
MOTION = osp.join(REPO_ROOT, 'configs', 'demo', 'clover_retrieval_motion.py')
DEMOS = osp.join(REPO_ROOT, 'configs', 'demo')


def test_retrieval_demo_warms_up_over_five_epochs_then_decays(iteration_lrs):
    cfg = Config.fromfile(DEMO)
    epoch_length = 4
    lrs = iteration_lrs(cfg, epoch_length, num_epochs=22)
    warmup = 5 * epoch_length
    peak = cfg.optim_wrapper.optimizer.lr
    assert lrs[0] == pytest.approx(0.01 * peak)
    assert np.all(np.diff(lrs[:warmup]) > 0)
    assert lrs[warmup - 1] == lrs[warmup] == pytest.approx(peak)
    # Halfway through the warm-up the lr is still about half the peak.
    assert lrs[warmup // 2] == pytest.approx(0.01 * peak + 0.99 * peak *
                                             (warmup // 2) / (warmup - 1))
    assert np.all(np.diff(lrs[warmup:]) < 0)
    assert lrs[-1] < 0.01 * peak


def _frame_steps(steps):
    # The steps after VideoDecode act on decoded frames.
    types = [step['type'] for step in steps]
    return [TRANSFORMS.build(step) for step in
            steps[types.index('VideoDecode') + 1:]]


def test_retrieval_demo_translates_training_clips_at_the_test_scale():
    cfg = Config.fromfile(DEMO)
    train_steps = _frame_steps(cfg.train_video_steps)
    test_steps = _frame_steps(cfg.test_video_steps)
    clip = np.random.default_rng(0).integers(0, 256, (8, 64, 64, 3), np.uint8)
    test = dict(imgs=clip.copy())
    for step in test_steps:
        test = step(test)
    # Test: the centre 64 x 64 of the frames resized to 72 x 72.
    assert test['crop_bbox'].tolist() == [4, 4, 68, 68]
    resized = test_steps[0](dict(imgs=clip.copy()))['imgs']
    np.random.seed(0)
    offsets = set()
    for _ in range(50):
        train = dict(imgs=clip.copy())
        for step in train_steps:
            train = step(train)
        left, top, right, bottom = train['crop_bbox'].tolist()
        assert (right - left, bottom - top) == (64, 64)
        # A translation of the test frames: same resize, a shifted box.
        np.testing.assert_array_equal(train['imgs'],
                                      resized[:, top:bottom, left:right])
        offsets.add((left, top))
    assert len(offsets) > 20
    assert {left for left, _ in offsets} == set(range(9))


@pytest.mark.parametrize('name', ['clover_qa_demo', 'clover_pretrain_demo'])
def test_qa_and_pretrain_demos_keep_untranslated_frames(name):
    cfg = Config.fromfile(osp.join(DEMOS, f'{name}.py'))
    for split in ('train', 'val', 'test'):
        steps = cfg[f'{split}_dataloader'].dataset.pipeline
        types = [step['type'] for step in steps]
        assert steps[:len(cfg.video_steps)] == cfg.video_steps, split
        assert 'RandomCrop' not in types and 'CenterCrop' not in types


def test_motion_config_is_the_demo_recipe_on_the_motion_corpus():
    demo, motion = Config.fromfile(DEMO), Config.fromfile(MOTION)
    for key in ('model', 'optim_wrapper', 'param_scheduler', 'train_cfg',
                'custom_hooks', 'default_hooks'):
        assert motion[key] == demo[key], key
    assert demo.train_dataloader.batch_size == 32
    assert motion.train_dataloader.batch_size == 16
    for split in ('train', 'val', 'test'):
        dataset = motion[f'{split}_dataloader'].dataset
        assert osp.join(dataset.data_root, dataset.ann_file) == \
            f'data/motion/annotations/{split}.json'
        assert osp.join(dataset.data_root, dataset.data_prefix.video) == \
            'data/motion/videos'
        demo_dataset = demo[f'{split}_dataloader'].dataset
        assert dataset.pipeline == demo_dataset.pipeline
        assert dataset.type == demo_dataset.type
