import json
import logging
import os.path as osp
import pickle
import shutil

import numpy as np
import pytest
from mmengine.logging import MMLogger

from clover.datasets import (AnnotationError, VideoDecodeError,
                             VideoTextRetrievalDataset)
from clover.registry import DATASETS
from clover.structures import VideoTextDataSample

TEST_PIPELINE = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', num_frames=8, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(56, 56), keep_ratio=False),
    dict(type='SampleCaptions', num_captions=None),
    dict(type='PackVideoTextInputs'),
]


def write_annotations(path, records, **metainfo):
    metainfo = dict(
        dataset_name='toy',
        task='retrieval',
        split='test',
        schema_version=1,
        **metainfo)
    with open(path, 'w') as file:
        json.dump(dict(metainfo=metainfo, data_list=records), file)
    return str(path)


def demo_dataset(corpus, split='test', **kwargs):
    return VideoTextRetrievalDataset(
        ann_file=osp.join(corpus, 'annotations', f'{split}.json'),
        data_prefix=dict(video=osp.join(corpus, 'videos')),
        **kwargs)


def test_video_mode_items(tiny_corpus):
    dataset = demo_dataset(tiny_corpus)
    with open(osp.join(tiny_corpus, 'annotations', 'test.json')) as file:
        records = json.load(file)['data_list']
    assert len(dataset) == len(records) == 4
    assert dataset.metainfo['split'] == 'test'
    assert dataset.metainfo['dataset_name'] == 'clover_demo'
    for index, record in enumerate(records):
        info = dataset.get_data_info(index)
        assert info['video_index'] == index
        assert info['video_id'] == record['video_id']
        assert info['captions'] == record['captions']
        assert info['video_path'] == osp.join(tiny_corpus, 'videos',
                                              record['video'])
        # Extra fields pass through.
        assert info['attributes'] == record['attributes']


def test_caption_mode_items(tiny_corpus):
    dataset = demo_dataset(tiny_corpus, caption_mode='caption')
    records = demo_dataset(tiny_corpus)
    pairs = [(video_index, caption) for video_index in range(len(records))
             for caption in records.get_data_info(video_index)['captions']]
    assert len(dataset) == len(pairs)
    for index, (video_index, caption) in enumerate(pairs):
        info = dataset.get_data_info(index)
        assert info['video_index'] == video_index
        assert info['captions'] == [caption]
        video_captions = records.get_data_info(video_index)['captions']
        assert video_captions[info['caption_index']] == caption


def test_items_through_the_test_pipeline(tiny_corpus):
    dataset = DATASETS.build(
        dict(
            type='VideoTextRetrievalDataset',
            ann_file=osp.join(tiny_corpus, 'annotations', 'test.json'),
            data_prefix=dict(video=osp.join(tiny_corpus, 'videos')),
            pipeline=TEST_PIPELINE,
            test_mode=True))
    item = dataset[2]
    assert item['inputs']['imgs'].shape == (3, 8, 56, 56)
    sample = item['data_samples']
    assert isinstance(sample, VideoTextDataSample)
    assert sample.video_index == 2
    assert sample.text == dataset.get_data_info(2)['captions']
    pickle.dumps(item)


def test_data_root_and_relative_prefix(tiny_corpus):
    dataset = VideoTextRetrievalDataset(
        ann_file='annotations/val.json',
        data_root=tiny_corpus,
        data_prefix=dict(video='videos'))
    assert osp.isfile(dataset.get_data_info(0)['video_path'])


GOOD_RECORD = dict(video_id='v0', video='v0.mp4', captions=['a red dot'])


@pytest.mark.parametrize('bad_record,message', [
    ({
        k: v
        for k, v in GOOD_RECORD.items() if k != 'captions'
    }, r"record 1 \(video_id 'v0'\) has no field 'captions'"),
    ({
        k: v
        for k, v in GOOD_RECORD.items() if k != 'video'
    }, "record 1 .* has no field 'video'"),
    (dict(GOOD_RECORD, captions='a red dot'),
     "record 1 .*field 'captions' must be list, got str"),
    (dict(GOOD_RECORD, captions=[]), "record 1 .*field 'captions' is empty"),
    (dict(GOOD_RECORD,
          captions=['ok', '']), r"record 1 .*field 'captions'\[1\] is empty"),
    (dict(GOOD_RECORD, captions=['ok', ' \t ']),
     r"record 1 .*field 'captions'\[1\] is empty"),
    (dict(GOOD_RECORD, captions=['ok', 7]),
     r"record 1 .*field 'captions'\[1\] must be str, got int"),
    (dict(GOOD_RECORD,
          video_id=7), "record 1: field 'video_id' must be str, got int"),
    (dict(GOOD_RECORD, video=''), "record 1 .*field 'video' is empty"),
    (['v0.mp4'], 'record 1 must be an object, got list'),
    (dict(GOOD_RECORD, video_index=3),
     "record 1 .*field 'video_index' is reserved"),
])
def test_bad_records_name_file_record_and_field(tmp_path, bad_record, message):
    ann_file = write_annotations(
        tmp_path / 'bad.json', [dict(GOOD_RECORD, video_id='ok'), bad_record])
    with pytest.raises(AnnotationError, match=message) as error:
        VideoTextRetrievalDataset(ann_file=ann_file)
    assert str(error.value).startswith(ann_file)


@pytest.mark.parametrize('content,message', [
    ('{"data_list": [', 'not valid JSON'),
    ('[]', "expected an object with a 'data_list' list"),
    ('{"metainfo": {}, "data_list": []}', "'data_list' is empty"),
    ('{"metainfo": [], "data_list": [{}]}', "field 'metainfo' must be"),
    ('{"metainfo": {"schema_version": 2}, "data_list": [{}]}',
     "'metainfo.schema_version' is 2"),
])
def test_bad_files_name_the_file(tmp_path, content, message):
    ann_file = tmp_path / 'bad.json'
    ann_file.write_text(content)
    with pytest.raises(AnnotationError, match=message) as error:
        VideoTextRetrievalDataset(ann_file=str(ann_file))
    assert str(ann_file) in str(error.value)


def test_missing_and_unknown_format_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing.json'):
        VideoTextRetrievalDataset(ann_file=str(tmp_path / 'nothing.json'))
    pkl = tmp_path / 'train.pkl'
    pkl.write_bytes(pickle.dumps(dict(data_list=[GOOD_RECORD])))
    with pytest.raises(AnnotationError, match='train.pkl: unknown annotation'):
        VideoTextRetrievalDataset(ann_file=str(pkl))


def test_duplicate_video_ids(tmp_path):
    ann_file = write_annotations(tmp_path / 'dup.json',
                                 [GOOD_RECORD, GOOD_RECORD])
    with pytest.raises(
            AnnotationError, match="records 0 and 1 share video_id 'v0'"):
        VideoTextRetrievalDataset(ann_file=ann_file)


def test_bad_arguments(tiny_corpus):
    with pytest.raises(ValueError, match='caption_mode'):
        demo_dataset(tiny_corpus, caption_mode='pair')
    with pytest.raises(ValueError, match='max_bad_fraction'):
        demo_dataset(tiny_corpus, max_bad_fraction=1.5)


@pytest.fixture
def corpus_with_bad_videos(tiny_corpus, corrupt_video, tmp_path):
    """The tiny training split with video 1 missing and video 2 corrupt."""
    video_dir = tmp_path / 'videos'
    shutil.copytree(osp.join(tiny_corpus, 'videos'), video_dir)
    with open(osp.join(tiny_corpus, 'annotations', 'train.json')) as file:
        records = json.load(file)['data_list']
    (video_dir / records[1]['video']).unlink()
    shutil.copy(corrupt_video, video_dir / records[2]['video'])
    ann_file = write_annotations(tmp_path / 'train.json', records)
    return ann_file, str(video_dir), records


def bad_video_dataset(corpus_with_bad_videos, **kwargs):
    ann_file, video_dir, _ = corpus_with_bad_videos
    pipeline = [
        dict(type='VideoInit'),
        dict(type='SampleFrames'),
        dict(type='VideoDecode')
    ]
    return VideoTextRetrievalDataset(
        ann_file=ann_file,
        data_prefix=dict(video=video_dir),
        pipeline=pipeline,
        **kwargs)


@pytest.mark.parametrize(
    'kwargs',
    [dict(test_mode=True), dict(max_bad_fraction=0)])
def test_bad_videos_raise_in_test_mode_or_without_skipping(
        corpus_with_bad_videos, kwargs):
    _, _, records = corpus_with_bad_videos
    dataset = bad_video_dataset(corpus_with_bad_videos, **kwargs)
    with pytest.raises(
            VideoDecodeError, match=f"{records[1]['video']}.*does not exist"):
        dataset[1]
    with pytest.raises(VideoDecodeError, match=records[2]['video']):
        dataset[2]
    assert dataset[0]['imgs'].shape == (8, 64, 64, 3)


class RecordingHandler(logging.Handler):

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def logged_warnings(request):
    # A new instance becomes MMLogger's current one, which the dataset uses.
    logger = MMLogger.get_instance(f'clover_test_{request.node.name}')
    handler = RecordingHandler()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def test_training_skips_and_logs_bad_videos(corpus_with_bad_videos,
                                            logged_warnings):
    _, _, records = corpus_with_bad_videos
    np.random.seed(0)
    dataset = bad_video_dataset(corpus_with_bad_videos)
    # One early bad file does not abort (fewer than min_fetches_for_cap).
    item = dataset[1]
    assert item['video_index'] not in (1, 2)
    assert dataset.num_skipped >= 1
    assert dataset.num_fetched == dataset.num_skipped + 1
    assert any(records[1]['video'] in message and 'does not exist' in message
               for message in logged_warnings)
    skipped_before = dataset.num_skipped
    assert dataset[0]['video_index'] == 0
    assert dataset.num_skipped == skipped_before


def test_training_raises_past_the_cap(corpus_with_bad_videos, logged_warnings):
    np.random.seed(0)
    dataset = bad_video_dataset(
        corpus_with_bad_videos, max_bad_fraction=0.2, min_fetches_for_cap=10)
    for _ in range(8):
        dataset[0]  # good fetches keep the share below the cap
    dataset[1]
    assert dataset.num_skipped >= 1
    with pytest.raises(
            RuntimeError,
            match=r'could not be decoded, more than '
            r'max_bad_fraction=0\.2') as error:
        for _ in range(20):
            dataset[2]
    assert isinstance(error.value.__cause__, VideoDecodeError)
    assert dataset.num_skipped / dataset.num_fetched > 0.2
    assert len(logged_warnings) == dataset.num_skipped
