"""tools/misc/extract_features.py (one process, resumed, torchrun) and
searching its output (exact and FAISS) against the in-process inferencer."""
import json
import os
import os.path as osp
import shutil
import sys

import numpy as np
import pytest

from clover.apis import TextVideoRetrievalInferencer
from clover.apis import feature_index as fi
from clover.apis.gallery import list_video_dir


@pytest.fixture(scope='module')
def gallery(tiny_data, tmp_path_factory):
    """10 of the corpus' videos and an unreadable file, which sorts last."""
    folder = tmp_path_factory.mktemp('gallery')
    for path in list_video_dir(osp.join(tiny_data, 'videos'))[:10]:
        shutil.copy(path, folder)
    (folder / 'zz_broken.mp4').write_bytes(b'no video here')
    return str(folder)


@pytest.fixture(scope='module')
def extracted(run_tool, tool_env, tiny_config, tiny_checkpoint, gallery,
              tmp_path_factory):
    out = str(tmp_path_factory.mktemp('features'))
    run_extract(run_tool, tool_env, tiny_config, tiny_checkpoint, gallery,
                out)
    return out


def run_extract(run_tool, env, config, checkpoint, gallery, out,
                launcher=()):
    return run_tool([
        *(launcher or [sys.executable]), 'tools/misc/extract_features.py',
        config, checkpoint, '--video-dir', gallery, '--out', out,
        '--shard-size', '4', '--batch-size', '3',
        *(['--launcher', 'pytorch'] if launcher else [])
    ], env)


@pytest.fixture(scope='module')
def reference(tool_env, tiny_config, tiny_checkpoint, gallery):
    """The in-process inferencer on the same gallery."""
    with pytest.MonkeyPatch.context() as patch:
        # The config reads the tokenizer directory while it is parsed.
        patch.setenv('CLOVER_TINY_TOKENIZER',
                     str(tool_env['CLOVER_TINY_TOKENIZER']))
        inferencer = TextVideoRetrievalInferencer(
            tiny_config, tiny_checkpoint, cache_dir=False)
    inferencer.index(gallery, skip_bad=True)
    return inferencer


def assert_same_features(out, expected_out):
    ids, embeddings = fi.load_features(out)
    expected_ids, expected = fi.load_features(expected_out)
    assert ids == expected_ids
    np.testing.assert_allclose(embeddings, expected, atol=1e-5)


def test_shards_hold_the_inferencers_embeddings(extracted, reference,
                                                gallery):
    manifest = fi.read_manifest(extracted)
    assert manifest['num_videos'] == 11 and manifest['num_shards'] == 3
    ids, embeddings = fi.load_features(extracted)
    assert ids == reference.gallery_paths
    np.testing.assert_allclose(
        embeddings, reference.gallery_embeddings.numpy(), atol=1e-5)
    with open(fi.shard_stem(extracted, 2) + '.json') as file:
        assert json.load(file)['skipped'] == [osp.join(gallery,
                                                       'zz_broken.mp4')]


def test_resume_redoes_only_unfinished_shards(run_tool, tool_env, tiny_config,
                                              tiny_checkpoint, gallery,
                                              extracted, tmp_path):
    out = str(tmp_path / 'crashed')
    shutil.copytree(extracted, out)
    # A crash while writing shard 1: its array is there, its ids are not.
    os.remove(fi.shard_stem(out, 1) + '.json')
    before = os.stat(fi.shard_stem(out, 0) + '.npy').st_mtime_ns
    with pytest.raises(FileNotFoundError, match=r'shards \[1\]'):
        fi.load_features(out)
    proc = run_extract(run_tool, tool_env, tiny_config, tiny_checkpoint,
                       gallery, out)
    assert 'resuming: 2 finished shards skipped' in proc.stderr
    assert os.stat(fi.shard_stem(out, 0) + '.npy').st_mtime_ns == before
    assert_same_features(out, extracted)


def test_torchrun_two_ranks_equal_one_process(run_tool, tool_env, tiny_config,
                                              tiny_checkpoint, gallery,
                                              extracted, tmp_path):
    out = str(tmp_path / 'dist')
    port = str(29500 + (hash(out) % 1000))
    run_extract(run_tool, tool_env, tiny_config, tiny_checkpoint, gallery,
                out, launcher=[
                    sys.executable, '-m', 'torch.distributed.run',
                    '--nproc_per_node', '2', '--master_port', port
                ])
    assert_same_features(out, extracted)


def test_search_cli_ranks_as_the_inferencer(run_tool, tool_env, tiny_config,
                                            tiny_checkpoint, extracted,
                                            reference):
    queries = ['a red square moves left', 'two small blue circles']
    proc = run_tool([
        sys.executable, 'tools/misc/search_features.py', tiny_config,
        tiny_checkpoint, extracted, '--query', *queries, '--topk', '6'
    ], tool_env)
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    for result, expected in zip(results, reference.rank_videos(queries, 6)):
        assert result['paths'] == expected['paths']
        assert result['scores'] == pytest.approx(expected['scores'],
                                                 abs=1e-5)


def test_streamed_exact_search_is_the_full_matrix_product(extracted):
    ids, embeddings = fi.load_features(extracted)
    queries = np.random.default_rng(0).standard_normal((5, 8)).astype(
        np.float32)
    scores, hits = fi.exact_search(extracted, queries, topk=7)
    full = queries @ embeddings.T
    for row, row_scores, row_hits in zip(full, scores, hits):
        order = np.argsort(-row, kind='stable')[:7]
        assert row_hits == [ids[i] for i in order]
        np.testing.assert_allclose(row_scores, row[order], rtol=1e-6)


def test_faiss_index_finds_the_exact_hits(extracted):
    pytest.importorskip('faiss')
    queries = np.random.default_rng(1).standard_normal((4, 8)).astype(
        np.float32)
    exact_scores, exact_hits = fi.exact_search(extracted, queries, topk=5)
    scores, hits = fi.faiss_search(extracted, queries, topk=5)
    assert hits == exact_hits
    np.testing.assert_allclose(scores, exact_scores, rtol=1e-5)
    assert osp.isfile(osp.join(extracted, fi.FAISS_FILE))
