"""ContrastiveCollapseHook in real MMEngine training runs: it warns on a run
whose video embeddings are collapsed (a frozen constant tower, the loss
pinned at 2 ln N) and stays silent on a run that learns."""
import logging
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import clover.engine  # noqa: F401  (registers the hook)
from clover.engine.hooks import ContrastiveCollapseHook
from clover.models.losses import InfoNCELoss

BATCH = 16
DIM = 12


class PairedFeatures(Dataset):
    """Pairs (x, x + noise): a learnable retrieval task."""

    def __init__(self, size):
        generator = torch.Generator().manual_seed(0)
        self.video = torch.randn(size, DIM, generator=generator)
        self.text = self.video + 0.1 * torch.randn(
            size, DIM, generator=generator)

    def __len__(self):
        return len(self.video)

    def __getitem__(self, index):
        return dict(video=self.video[index], text=self.text[index])


class DualEncoder(BaseModel):
    """Two linear towers and Clover's InfoNCE. ``collapsed``: the video
    tower is frozen with zero weights, so every video embeds to the same
    point and the loss can do no better than its chance value."""

    def __init__(self, collapsed):
        super().__init__()
        self.video_encoder = nn.Linear(DIM, 8)
        self.text_encoder = nn.Linear(DIM, 8)
        if collapsed:
            nn.init.zeros_(self.video_encoder.weight)
            nn.init.constant_(self.video_encoder.bias, 1.0)
            self.video_encoder.requires_grad_(False)
        self.loss_fn = InfoNCELoss(temperature=0.1)

    def forward(self, video, text, mode='loss'):
        video = F.normalize(self.video_encoder(video), dim=-1)
        text = F.normalize(self.text_encoder(text), dim=-1)
        return self.loss_fn(video, text)


def train(collapsed, work_dir, iters=90):
    # Seeded: the text tower's init and the shuffle do not depend on the
    # tests that ran before.
    torch.manual_seed(0)
    runner = Runner(
        model=DualEncoder(collapsed),
        work_dir=str(work_dir),
        train_dataloader=dict(
            # One epoch: MMEngine's iteration loop sleeps 2 s per epoch.
            dataset=PairedFeatures(BATCH * iters),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=BATCH,
            num_workers=0,
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=False, max_iters=iters),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=0.01)),
        custom_hooks=[dict(type='ContrastiveCollapseHook', patience=20)],
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1000),
                           checkpoint=dict(type='CheckpointHook',
                                           interval=-1)),
        default_scope='clover')
    warnings, losses = [], []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())
    runner.logger.addHandler(handler)
    loss_fn = runner.model.loss_fn
    loss_fn.register_forward_hook(
        lambda module, args, out: losses.append(out['loss_nce'].item()))
    try:
        runner.train()
    finally:
        runner.logger.removeHandler(handler)
    hook, = [h for h in runner.hooks
             if isinstance(h, ContrastiveCollapseHook)]
    return hook, warnings, losses


def test_warns_on_collapsed_embeddings(tmp_path):
    hook, warnings, losses = train(collapsed=True, work_dir=tmp_path)
    chance = 2 * math.log(BATCH)
    # The premise: with every video embedded to one point no iteration gets
    # below chance (the text-to-video term is ln N exactly, the other can
    # only be larger), and the run ends there.
    assert min(losses) >= chance - 1e-4
    assert losses[-1] == pytest.approx(chance, rel=0.02)
    assert hook.warned
    collapse = [w for w in warnings if 'chance value' in w]
    assert len(collapse) == 1  # once per run
    message = collapse[0]
    assert f'2 ln 16 = {chance:.4f}' in message
    for cause in ('learning rate', 'temperature', 'frozen here: '
                  'video_encoder', 'distinct captions'):
        assert cause in message, cause


def test_silent_on_a_learning_run(tmp_path):
    hook, warnings, losses = train(collapsed=False, work_dir=tmp_path)
    # The premise: the loss leaves chance far behind.
    assert losses[-1] < 0.5 * 2 * math.log(BATCH)
    assert not hook.warned
    assert not [w for w in warnings if 'chance value' in w]


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match='patience'):
        ContrastiveCollapseHook(patience=0)
    with pytest.raises(ValueError, match='rel_tol'):
        ContrastiveCollapseHook(rel_tol=1.5)
