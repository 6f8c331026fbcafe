import copy
from typing import List

import pytest
import torch
from mmengine.optim.scheduler import CosineAnnealingLR, LinearLR


def _iteration_lrs(cfg, epoch_length: int, num_epochs: int) -> List[float]:
    """The lr of each training iteration under ``cfg.param_scheduler``.

    Builds the config's by-epoch schedulers as the Runner does
    (``convert_to_iter_based``) on a one-parameter AdamW at
    ``cfg.optim_wrapper.optimizer.lr`` and steps them for
    ``num_epochs * epoch_length`` iterations: entry ``i`` is the lr that
    iteration ``i`` trains at.
    """
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=cfg.optim_wrapper.optimizer.lr)
    classes = dict(LinearLR=LinearLR, CosineAnnealingLR=CosineAnnealingLR)
    schedulers = []
    for scheduler_cfg in copy.deepcopy(cfg.param_scheduler):
        assert scheduler_cfg.pop('convert_to_iter_based')
        scheduler_cls = classes[scheduler_cfg.pop('type')]
        schedulers.append(
            scheduler_cls.build_iter_from_epoch(
                optimizer, epoch_length=epoch_length, **scheduler_cfg))
    lrs = []
    for _ in range(num_epochs * epoch_length):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
    return lrs


@pytest.fixture(scope='session')
def iteration_lrs():
    """``iteration_lrs(cfg, epoch_length, num_epochs)``: the lr of each
    training iteration under the config's schedule."""
    return _iteration_lrs
