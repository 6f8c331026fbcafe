"""ResumableSampler and the per-sample seeding of random transforms: the
same samples as MMEngine's DefaultSampler, a mid-epoch start, and each
sample's augmentation fixed by (seed, epoch, index) whatever the workers."""
import os.path as osp
import pickle
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import DefaultSampler
from torch.utils.data import DataLoader

from clover.datasets import (ResumableSampler, SampleIndex,
                             VideoTextRetrievalDataset, start_loader_at)

SEED = 7


@pytest.mark.parametrize('shuffle', [True, False])
def test_same_order_as_default_sampler_and_keys_carry_seed_and_epoch(
        shuffle):
    dataset = list(range(11))
    ours = ResumableSampler(dataset, shuffle=shuffle, seed=SEED)
    reference = DefaultSampler(dataset, shuffle=shuffle, seed=SEED)
    for epoch in range(3):
        ours.set_epoch(epoch)
        reference.set_epoch(epoch)
        keys = list(ours)
        assert [int(key) for key in keys] == list(reference)
        assert all(isinstance(key, SampleIndex) for key in keys)
        assert {(key.seed, key.epoch) for key in keys} == {(SEED, epoch)}
    copy = pickle.loads(pickle.dumps(keys[3]))
    assert (int(copy), copy.seed, copy.epoch) == (int(keys[3]), SEED, 2)


def test_start_at_skips_once_and_keeps_the_length():
    sampler = ResumableSampler(list(range(10)), seed=SEED)
    full = list(sampler)
    sampler.start_at(4)
    assert len(sampler) == 10
    assert list(sampler) == full[4:]
    assert list(sampler) == full  # the next pass is whole again
    with pytest.raises(ValueError, match='cannot start at sample 11'):
        sampler.start_at(11)


def test_start_loader_at_skips_whole_batches():
    dataset = list(range(10))
    loader = DataLoader(
        dataset, batch_size=3,
        sampler=ResumableSampler(dataset, seed=SEED),
        collate_fn=lambda keys: [int(key) for key in keys])
    full = list(loader)
    assert start_loader_at(loader, 2)
    assert list(loader) == full[2:]
    plain = DataLoader(dataset, batch_size=3,
                       sampler=DefaultSampler(dataset, seed=SEED))
    assert not start_loader_at(plain, 2)


@pytest.fixture
def random_dataset(tiny_corpus):
    """The demo training split through random frame and caption choice."""
    return VideoTextRetrievalDataset(
        ann_file=osp.join(tiny_corpus, 'annotations', 'train.json'),
        data_prefix=dict(video=osp.join(tiny_corpus, 'videos')),
        pipeline=[
            dict(type='VideoInit'),
            dict(type='SampleFrames', num_frames=4, num_views=2),
            dict(type='VideoDecode'),
            dict(type='SampleCaptions', num_captions=2),
        ])


def draws(dataset, epoch, num_workers, persistent_workers=False):
    """(index, frame indices, captions) of every sample of ``epoch``, in
    index order."""
    sampler = ResumableSampler(dataset, seed=SEED)
    loader = DataLoader(
        dataset, batch_size=2, sampler=sampler, num_workers=num_workers,
        persistent_workers=persistent_workers, collate_fn=list,
        timeout=60 if num_workers else 0)
    sampler.set_epoch(epoch)
    items = [item for batch in loader for item in batch]
    return sorted((item['video_index'], item['frame_inds'].tolist(),
                   item['text']) for item in items)


def test_sample_draws_depend_on_seed_epoch_and_index_only(random_dataset):
    in_workers = draws(random_dataset, epoch=1, num_workers=2)
    in_process = draws(random_dataset, epoch=1, num_workers=0)
    assert in_workers == in_process
    # Another epoch draws other frames (8 draws from 2-frame segments).
    assert draws(random_dataset, epoch=2, num_workers=0) != in_process
    # A direct fetch with the key gives the sample of the loader.
    key = SampleIndex(3, SEED, 1)
    item = random_dataset[key]
    assert (3, item['frame_inds'].tolist(), item['text']) == in_process[3]


def test_seeded_fetch_leaves_the_global_generators_alone(random_dataset):
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    expected = (random.random(), np.random.rand(), torch.rand(()).item())
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    random_dataset[SampleIndex(0, SEED, 0)]
    assert (random.random(), np.random.rand(),
            torch.rand(()).item()) == expected
