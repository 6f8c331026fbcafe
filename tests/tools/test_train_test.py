"""End-to-end runs of tools/train.py, tools/test.py and dist_train.sh."""
import json
import os.path as osp
import pickle
import re
import shutil
import sys

import pytest
import torch

import clover.engine  # noqa: F401  (allow-lists the checkpoint types)


@pytest.fixture(scope='module')
def train(run_tool, tiny_config, tool_env):
    def run(work_dir, *extra):
        return run_tool([
            sys.executable, 'tools/train.py', tiny_config, '--work-dir',
            str(work_dir), *extra
        ], tool_env)

    return run


def weights(path):
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


@pytest.fixture(scope='module')
def trained_checkpoint(tmp_path_factory, train):
    """The tiny model trained for 2 epochs by tools/train.py."""
    work_dir = tmp_path_factory.mktemp('trained')
    train(work_dir)
    return work_dir / 'epoch_2.pth'


def test_train_then_test_prints_json_and_dumps(tmp_path, tool_env, run_tool,
                                               tiny_config,
                                               trained_checkpoint):
    ckpt = trained_checkpoint
    assert ckpt.exists()
    dump = tmp_path / 'preds.pkl'
    proc = run_tool([
        sys.executable, 'tools/test.py', tiny_config,
        str(ckpt), '--work-dir',
        str(tmp_path / 'test'), '--dump',
        str(dump)
    ], tool_env)
    metrics = json.loads(proc.stdout.strip().splitlines()[-1])
    assert metrics['dual/num_videos'] == 8
    assert metrics['dual/t2v/chance_R@1'] == 100 / 8
    assert 0 <= metrics['dual/t2v/R@1'] <= 100
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 8
    assert preds[0]['video_embedding'].shape == (8, )


def test_resume_gives_identical_weights(tmp_path, train, run_log):
    """2 epochs straight == the same run interrupted after epoch 1 and
    resumed with ``--resume`` (auto: the work dir's last checkpoint)."""
    straight = tmp_path / 'straight'
    train(straight)
    resumed = tmp_path / 'resumed'
    resumed.mkdir()
    shutil.copy(straight / 'epoch_1.pth', resumed / 'epoch_1.pth')
    (resumed / 'last_checkpoint').write_text(str(resumed / 'epoch_1.pth'))
    train(resumed, '--resume')
    assert 'resumed epoch: 1' in run_log(resumed)
    a = weights(straight / 'epoch_2.pth')
    b = weights(resumed / 'epoch_2.pth')
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    # load_from (weights only, fresh optimiser) also loads under
    # weights_only=True.
    train(tmp_path / 'finetune', '--cfg-options',
          f'load_from={straight / "epoch_2.pth"}', 'train_cfg.max_epochs=1')
    assert 'Load checkpoint from' in run_log(tmp_path / 'finetune')


def test_dist_train_two_processes_see_global_batch(tmp_path, tool_env,
                                                   run_tool, tiny_config,
                                                   run_log):
    """Two gloo processes: both finish, and the contrastive loss reports
    the global batch (2 x 4) as its candidates."""
    env = dict(tool_env, PORT=str(29500 + (hash(str(tmp_path)) % 1000)))
    proc = run_tool([
        'bash', 'tools/dist_train.sh', tiny_config, '2', '--work-dir',
        str(tmp_path)
    ], env, timeout=600)
    log = proc.stdout + proc.stderr + run_log(tmp_path)
    assert re.search(r'nce_global_batch: 8\.0000', log), log[-3000:]
    assert (tmp_path / 'epoch_2.pth').exists()
    # Both ranks ran to the end (each logs its rank in the env info).
    assert 'Distributed launcher: pytorch' in log
    assert 'Distributed training: True' in log
    assert osp.exists(tmp_path / 'last_checkpoint')


def test_dist_test_gathers_whole_gallery_once(tmp_path, tool_env, run_tool,
                                             tiny_config, trained_checkpoint):
    """Two processes over a 7-video gallery (the sampler pads one rank):
    the same metrics as one process, computed on 7 videos."""
    subset = 'test_dataloader.dataset.indices=7'
    single = run_tool([
        sys.executable, 'tools/test.py', tiny_config,
        str(trained_checkpoint), '--work-dir',
        str(tmp_path / 'single'), '--cfg-options', subset
    ], tool_env)
    env = dict(tool_env, PORT=str(29500 + (hash(str(tmp_path)) % 1000)))
    dist = run_tool([
        'bash', 'tools/dist_test.sh', tiny_config,
        str(trained_checkpoint), '2', '--work-dir',
        str(tmp_path / 'dist'), '--cfg-options', subset
    ], env, timeout=600)
    single_metrics = json.loads(single.stdout.strip().splitlines()[-1])
    dist_metrics = json.loads(dist.stdout.strip().splitlines()[-1])
    assert single_metrics['dual/num_videos'] == 7
    assert dist_metrics == pytest.approx(single_metrics)
