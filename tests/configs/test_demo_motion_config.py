"""The motion-corpus config (configs/demo/clover_retrieval_motion.py): the
retrieval demo recipe with the motion corpus' files and the smaller batch
it documents, everything else inherited."""
import os.path as osp

from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO_ROOT, 'configs', 'demo', 'clover_retrieval_demo.py')
MOTION = osp.join(REPO_ROOT, 'configs', 'demo', 'clover_retrieval_motion.py')


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
