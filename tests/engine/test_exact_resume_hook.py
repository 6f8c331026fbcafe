"""ExactResumeHook carries the train samplers' seeds through a checkpoint,
so that a run drawing a fresh seed at each start (``randomness.seed=None``)
resumes with the shuffle and augmentation seeds of the run it continues."""
from types import SimpleNamespace

import pytest
from mmengine.runner import BaseLoop
from torch.utils.data import DataLoader

from clover.datasets import ResumableSampler
from clover.engine.hooks import ExactResumeHook
from clover.engine.runner.multi_source_loop import RoundRobinLoader


class _Loop(BaseLoop):

    def run(self):
        pass


def runner_with(seeds, resume=True):
    """A runner whose built train loop reads one loader per seed (two
    loaders: a RoundRobinLoader, as MultiSourceTrainLoop builds)."""
    dataset = list(range(12))
    loaders = [
        DataLoader(dataset, batch_size=4,
                   sampler=ResumableSampler(dataset, seed=seed))
        for seed in seeds
    ]
    loader = loaders[0] if len(loaders) == 1 else RoundRobinLoader(loaders)
    return SimpleNamespace(
        _train_loop=_Loop(None, loader), _resume=resume, loaders=loaders)


def order(runner, epoch=3):
    passes = []
    for loader in runner.loaders:
        loader.sampler.set_epoch(epoch)
        passes.append([int(index) for index in loader.sampler])
    return passes


@pytest.mark.parametrize('seeds', [[11], [11, 12]])
def test_resume_restores_the_seeds_of_the_checkpointed_run(seeds):
    hook = ExactResumeHook()
    straight = runner_with(seeds)
    checkpoint = dict(meta=dict())
    hook.before_save_checkpoint(straight, checkpoint)
    assert checkpoint['meta']['sampler_seeds'] == seeds

    # A new process drew other seeds; resuming puts the saved ones back.
    resumed = runner_with([seed + 100 for seed in seeds])
    assert order(resumed) != order(straight)
    hook.after_load_checkpoint(resumed, checkpoint)
    assert order(resumed) == order(straight)


def test_load_from_keeps_the_new_run_seeds():
    hook = ExactResumeHook()
    checkpoint = dict(meta=dict(sampler_seeds=[11]))
    fine_tune = runner_with([5], resume=False)
    hook.after_load_checkpoint(fine_tune, checkpoint)
    assert fine_tune.loaders[0].sampler.seed == 5


def test_resume_with_other_sources_is_an_error():
    checkpoint = dict(meta=dict(sampler_seeds=[11, 12]))
    with pytest.raises(RuntimeError, match='2 resumable train samplers'):
        ExactResumeHook().after_load_checkpoint(runner_with([5]), checkpoint)
