"""MultiSourceTrainLoop: the turn order, the epoch length, the scheduler
length, no dropped batches (the original runner's bug) and exact resume."""
import math
import uuid

import pytest
import torch
from mmengine.dataset import DefaultSampler
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner
from mmengine.structures import BaseDataElement
from torch.utils.data import Dataset

from clover.engine.runner.multi_source_loop import RoundRobinLoader

VIDEO_VALUES = list(range(7))  # the longer (main) source: 4 batches of 2
IMAGE_VALUES = [100, 101, 102]  # the shorter source: 2 batches of 2
BATCH_SIZE = 2
STEPS_PER_EPOCH = 2 * math.ceil(len(VIDEO_VALUES) / BATCH_SIZE)  # 8
SEED = 0


class IntDataset(Dataset):
    """Samples that are just an int, as a scalar input."""

    def __init__(self, values):
        self.values = values

    def __len__(self):
        return len(self.values)

    def __getitem__(self, index):
        value = self.values[index]
        return dict(
            inputs=torch.tensor(float(value)),
            data_samples=BaseDataElement(metainfo=dict(value=value)))


class RecordingModel(BaseModel):
    """One weight pulled towards the batch values (so that the final weight
    depends on the order of the batches); records every batch it sees."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(()))
        self.batches = []  # per step: the values of the batch
        self.tags = []  # per step: (metainfo data_source, message hub one)
        self.losses = []
        self.lrs = []

    def train_step(self, data, optim_wrapper):
        self.lrs.append(optim_wrapper.get_lr()['lr'][0])
        return super().train_step(data, optim_wrapper)

    def forward(self, inputs, data_samples=None, mode='loss'):
        values = torch.stack(inputs)
        self.batches.append([s.value for s in data_samples])
        sample_tags = {s.data_source for s in data_samples}
        assert len(sample_tags) == 1, sample_tags
        hub_tag = MessageHub.get_current_instance().get_info('data_source')
        self.tags.append((sample_tags.pop(), hub_tag))
        loss = ((self.weight - values / 100)**2).mean()
        self.losses.append(loss.item())
        return dict(loss=loss)


class IterRecorder(Hook):
    """Records the ``batch_idx`` and ``runner.iter`` every hook sees."""

    def __init__(self):
        self.steps = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.steps.append((batch_idx, runner.iter))


def loader_cfg(values):
    return dict(
        dataset=IntDataset(values),
        batch_size=BATCH_SIZE,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=True))


def train(work_dir, max_epochs=2, checkpoint=None, resume_from=None,
          param_scheduler=None):
    """Train a fresh RecordingModel; returns (runner, model, steps of the
    optimizer, hook recorder)."""
    model = RecordingModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    optimizer_steps = []
    optimizer.register_step_post_hook(
        lambda *args: optimizer_steps.append(1))
    recorder = IterRecorder()
    runner = Runner(
        model=model,
        work_dir=str(work_dir),
        experiment_name=f'msl_{uuid.uuid4().hex}',
        train_dataloader=loader_cfg(VIDEO_VALUES),
        train_cfg=dict(
            type='MultiSourceTrainLoop',
            max_epochs=max_epochs,
            other_dataloaders=[loader_cfg(IMAGE_VALUES)],
            source_names=('video', 'image')),
        optim_wrapper=OptimWrapper(optimizer),
        param_scheduler=param_scheduler,
        default_hooks=dict(
            checkpoint=checkpoint or dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[recorder],
        load_from=resume_from,
        resume=resume_from is not None,
        randomness=dict(seed=SEED),
        default_scope='clover')
    runner.train()
    return runner, model, optimizer_steps, recorder


def sampler_batches(values, sampler_epoch):
    """Reference: the batches DefaultSampler gives in ``sampler_epoch``."""
    sampler = DefaultSampler(IntDataset(values), shuffle=True, seed=SEED)
    sampler.set_epoch(sampler_epoch)
    order = [values[i] for i in sampler]
    return [order[i:i + BATCH_SIZE] for i in range(0, len(order), BATCH_SIZE)]


def expected_epoch(epoch):
    """Reference schedule: each video batch once, image passes reseeded with
    sampler epoch ``epoch * passes + pass`` until the videos are done."""
    video = sampler_batches(VIDEO_VALUES, epoch)
    passes = math.ceil(len(video) / math.ceil(len(IMAGE_VALUES) / BATCH_SIZE))
    image = [
        batch for p in range(passes)
        for batch in sampler_batches(IMAGE_VALUES, epoch * passes + p)
    ]
    return [b for pair in zip(video, image) for b in pair]


def check_epoch_coverage(batches):
    """The properties asked of one epoch: video and image batches alternate,
    every video sample is seen exactly once, every image sample equally
    often (ceil(4 / 2) = 2 times)."""
    sources = ['video' if b[0] in VIDEO_VALUES else 'image' for b in batches]
    assert all(
        (v in VIDEO_VALUES) == (src == 'video') for b, src in zip(
            batches, sources) for v in b), 'a batch mixes the sources'
    assert sources == ['video', 'image'] * (STEPS_PER_EPOCH // 2)
    video = sorted(v for b in batches[0::2] for v in b)
    image = sorted(v for b in batches[1::2] for v in b)
    assert video == VIDEO_VALUES
    assert image == sorted(IMAGE_VALUES * 2)


def official_epoch(video, image):
    """The original runner: once the shorter loader runs out it restarts,
    but then feeds it into both slots of the step."""
    batches, image_iter = [], iter(image)
    video_iter, exhausted = iter(video), False
    for _ in range(len(video)):
        try:
            image_batch = next(image_iter)
        except StopIteration:
            image_iter, exhausted = iter(image), True
            image_batch = next(image_iter)
        first = next(image_iter) if exhausted else next(video_iter)
        batches += [first, image_batch]
    return batches


@pytest.fixture(scope='module')
def full_run(tmp_path_factory):
    """An uninterrupted 2-epoch run with a LinearLR warm-up over both epochs,
    converted to iterations."""
    scheduler = dict(
        type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2,
        convert_to_iter_based=True)
    return train(tmp_path_factory.mktemp('full'), param_scheduler=scheduler)


def test_turns_and_coverage(full_run):
    runner, model, _, _ = full_run
    for epoch in range(2):
        batches = model.batches[epoch * STEPS_PER_EPOCH:(epoch + 1) *
                                STEPS_PER_EPOCH]
        check_epoch_coverage(batches)
        assert batches == expected_epoch(epoch)
    # Sources are tagged in the samples' metainfo and in the message hub.
    assert model.tags == [(i % 2, i % 2) for i in range(2 * STEPS_PER_EPOCH)]
    for source, name in enumerate(('video', 'image')):
        logged = runner.message_hub.get_scalar(f'train/loss_{name}').data[0]
        assert logged.tolist() == pytest.approx(model.losses[source::2])


def test_steps_iterations_and_scheduler_length(full_run):
    runner, model, optimizer_steps, recorder = full_run
    total = 2 * STEPS_PER_EPOCH
    assert len(runner.train_dataloader) == STEPS_PER_EPOCH
    assert runner.max_iters == runner.iter == total
    assert len(optimizer_steps) == len(model.batches) == total
    assert recorder.steps == [(i % STEPS_PER_EPOCH, i) for i in range(total)]
    # LinearLR from 0.1 over 2 epochs = 16 iterations; MMEngine's reaches
    # the full lr at its last step: 0.5 * (0.1 + 0.9 k / 15) at step k. With
    # the video loader's length as epoch length it would end at step 7.
    assert model.lrs == pytest.approx(
        [0.5 * (0.1 + 0.9 * k / (total - 1)) for k in range(total)])


def test_no_discarded_batches():
    """The coverage check fails on the original runner's schedule and holds
    for the round-robin loader on plain DataLoaders."""
    video = sampler_batches(VIDEO_VALUES, 0)
    image = sampler_batches(IMAGE_VALUES, 0)
    with pytest.raises(AssertionError):
        check_epoch_coverage(official_epoch(video, image))

    loaders = [
        torch.utils.data.DataLoader(
            IntDataset(values),
            batch_size=BATCH_SIZE,
            collate_fn=lambda items: [i['data_samples'].value for i in items])
        for values in (VIDEO_VALUES, IMAGE_VALUES)
    ]
    round_robin = RoundRobinLoader(loaders)
    assert len(round_robin) == STEPS_PER_EPOCH
    check_epoch_coverage(list(round_robin))
    # Short main source, long other source: the roles swap.
    swapped = list(RoundRobinLoader(loaders[::-1]))
    assert swapped[1::2] == [[0, 1], [2, 3], [4, 5], [6]]
    assert swapped[0::2] == [[100, 101], [102], [100, 101], [102]]


@pytest.mark.parametrize(
    'checkpoint,resume_file,resume_step',
    [
        # The end of epoch 1.
        (None, 'epoch_1.pth', STEPS_PER_EPOCH),
        # Mid epoch 1: the image source is one batch into its second pass.
        (dict(type='CheckpointHook', interval=7, by_epoch=False),
         'iter_7.pth', 7),
    ])
def test_resume_is_exact(full_run, tmp_path, checkpoint, resume_file,
                         resume_step):
    scheduler = dict(
        type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2,
        convert_to_iter_based=True)
    _, full_model, _, _ = full_run
    first_dir = tmp_path / 'first'
    _, first_model, _, _ = train(
        first_dir, max_epochs=1, checkpoint=checkpoint,
        param_scheduler=scheduler)
    assert first_model.batches == full_model.batches[:STEPS_PER_EPOCH]

    runner, resumed_model, _, recorder = train(
        tmp_path / 'resumed', resume_from=str(first_dir / resume_file),
        param_scheduler=scheduler)
    assert resumed_model.batches == full_model.batches[resume_step:]
    assert resumed_model.lrs == pytest.approx(full_model.lrs[resume_step:])
    assert recorder.steps[0] == (resume_step % STEPS_PER_EPOCH, resume_step)
    assert runner.iter == 2 * STEPS_PER_EPOCH
    assert torch.equal(resumed_model.weight, full_model.weight)


def test_empty_source_is_rejected():
    with pytest.raises(ValueError, match='data source 1'):
        RoundRobinLoader([
            torch.utils.data.DataLoader(IntDataset(VIDEO_VALUES)),
            torch.utils.data.DataLoader(IntDataset([]))
        ])
