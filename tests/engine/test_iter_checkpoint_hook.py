"""IterCheckpointHook: saves by iteration count and by elapsed time, keeps
the last few and leaves the epoch checkpoints alone (resuming from them is
tests/engine/test_exact_resume.py)."""
import os
import uuid

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner
from torch.utils.data import Dataset

from clover.engine.hooks import IterCheckpointHook
from clover.engine.hooks import iter_checkpoint_hook

ITERS_PER_EPOCH = 5


class Values(Dataset):

    def __len__(self):
        return ITERS_PER_EPOCH

    def __getitem__(self, index):
        return dict(inputs=torch.tensor(float(index)))


class FakeClock:
    """One minute passes per training step."""

    def __init__(self):
        self.now = 0.

    def __call__(self):
        return self.now


class StepModel(BaseModel):

    def __init__(self, clock):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(()))
        self.clock = clock

    def forward(self, inputs, data_samples=None, mode='loss'):
        self.clock.now += 60.
        return dict(loss=((self.weight - torch.stack(inputs))**2).mean())


def train(work_dir, monkeypatch, **hook_args):
    clock = FakeClock()
    monkeypatch.setattr(iter_checkpoint_hook.time, 'monotonic', clock)
    model = StepModel(clock)
    runner = Runner(
        model=model,
        work_dir=str(work_dir),
        experiment_name=f'ickpt_{uuid.uuid4().hex}',
        train_dataloader=dict(
            dataset=Values(), batch_size=1, num_workers=0,
            sampler=dict(type='ResumableSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=OptimWrapper(torch.optim.SGD(model.parameters(),
                                                   lr=0.1)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1)),
        custom_hooks=[IterCheckpointHook(**hook_args)],
        default_scope='clover')
    runner.train()
    return sorted(os.listdir(work_dir))


def checkpoints(files):
    return [name for name in files if name.endswith('.pth')]


def test_every_n_iterations_keeps_the_last_ones(tmp_path, monkeypatch):
    files = train(tmp_path, monkeypatch, interval=3, max_keep_ckpts=2)
    # Saved at 3, 6 and 9 of 10 iterations; 3 deleted; epochs untouched.
    assert checkpoints(files) == [
        'epoch_1.pth', 'epoch_2.pth', 'iter_6.pth', 'iter_9.pth'
    ]
    meta = torch.load(tmp_path / 'iter_6.pth')['meta']
    assert (meta['epoch'], meta['iter']) == (1, 6)  # mid epoch 2


def test_every_t_minutes(tmp_path, monkeypatch):
    files = train(tmp_path, monkeypatch, interval_minutes=4, max_keep_ckpts=5)
    assert checkpoints(files) == [
        'epoch_1.pth', 'epoch_2.pth', 'iter_4.pth', 'iter_8.pth'
    ]


@pytest.mark.parametrize('kwargs', [
    dict(interval=0), dict(interval_minutes=0), dict(max_keep_ckpts=0)
])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        IterCheckpointHook(**kwargs)
