"""TextVideoRetrievalInferencer against tools/test.py on the same
checkpoint, and its feature cache."""
import os
import os.path as osp

import pytest
import torch

import clover.datasets.transforms.loading as loading
from clover.apis import (CheckpointMismatchError, TextVideoRetrievalInferencer,
                         init_model)
from clover.apis.gallery import read_annotation_gallery


def split_of(tool_env):
    data = tool_env['CLOVER_TINY_DATA']
    return read_annotation_gallery(
        osp.join(data, 'annotations', 'test.json'), osp.join(data, 'videos'))


def test_ranking_gives_the_recalls_of_tools_test(tiny_env, tiny_config,
                                                 tiny_checkpoint,
                                                 tiny_test_metrics, tmp_path):
    metrics, _ = tiny_test_metrics
    paths, captions = split_of(tiny_env)
    inferencer = TextVideoRetrievalInferencer(
        tiny_config, tiny_checkpoint, cache_dir=str(tmp_path), batch_size=3)
    ann_file = osp.join(tiny_env['CLOVER_TINY_DATA'], 'annotations',
                        'test.json')
    assert inferencer.index(
        ann_file, video_dir=osp.dirname(paths[0])) == paths
    texts = [text for video_captions in captions for text in video_captions]
    truth = [path for path, video_captions in zip(paths, captions)
             for _ in video_captions]
    results = inferencer(texts, topk=None)
    assert [r['text'] for r in results] == texts
    # The rank of each text's own video (and, below, of each video's
    # first own caption) gives every recall and the mean rank of the test.
    t2v = [r['paths'].index(gt) + 1 for r, gt in zip(results, truth)]
    v2t = []
    for path in paths:
        ranked = inferencer.rank_texts(path, texts)
        v2t.append(1 + next(i for i, index in enumerate(ranked['indices'])
                            if truth[index] == path))
    for direction, ranks in (('t2v', t2v), ('v2t', v2t)):
        for k in (1, 5, 10):
            assert 100.0 * sum(r <= k for r in ranks) / len(ranks) == \
                pytest.approx(metrics[f'dual/{direction}/R@{k}'], abs=1e-9)
        assert sum(ranks) / len(ranks) == pytest.approx(
            metrics[f'dual/{direction}/MnR'], abs=1e-9)
    # Every hit list is the whole gallery, scores descending, ranks 1..N.
    for result in results:
        assert sorted(result['paths']) == sorted(paths)
        assert result['ranks'] == list(range(1, len(paths) + 1))
        assert result['scores'] == sorted(result['scores'], reverse=True)
    # rank_videos (embed_texts) and __call__ agree, and top-k truncates.
    top2 = inferencer.rank_videos(texts[:3], topk=2)
    for full, short in zip(results[:3], top2):
        assert short['paths'] == full['paths'][:2]
        assert short['scores'] == pytest.approx(full['scores'][:2], abs=1e-6)


def test_second_query_decodes_nothing(tiny_env, tiny_config, tiny_checkpoint,
                                      tmp_path, monkeypatch):
    paths, captions = split_of(tiny_env)
    first = TextVideoRetrievalInferencer(
        tiny_config, tiny_checkpoint, cache_dir=str(tmp_path))
    first.index(paths)
    expected = first.rank_videos(captions[0][0], topk=None)[0]
    decoded = []
    real_open = loading.open_video
    monkeypatch.setattr(loading, 'open_video',
                        lambda *a, **k: decoded.append(a[0]) or real_open(
                            *a, **k))
    # A fresh inferencer (another process, say) reads the cache file.
    second = TextVideoRetrievalInferencer(
        tiny_config, tiny_checkpoint, cache_dir=str(tmp_path))
    second.index(paths)
    again = second.rank_videos(captions[0][0], topk=None)[0]
    assert decoded == []
    assert again['paths'] == expected['paths']
    assert again['scores'] == pytest.approx(expected['scores'], abs=1e-6)
    # A touched video (new mtime) is decoded again, and only that one.
    stat = os.stat(paths[2])
    os.utime(paths[2], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    second.index(paths)
    assert decoded == [paths[2]]
    # Another checkpoint never reuses these features.
    other = tmp_path / 'other.pth'
    other.write_bytes(open(tiny_checkpoint, 'rb').read())
    TextVideoRetrievalInferencer(
        tiny_config, str(other), cache_dir=str(tmp_path)).index(paths[:1])
    assert decoded == [paths[2], paths[0]]


def test_video_to_text_and_embeddings_match_the_model(tiny_env, tiny_config,
                                                      tiny_checkpoint):
    paths, captions = split_of(tiny_env)
    inferencer = TextVideoRetrievalInferencer(
        tiny_config, tiny_checkpoint, cache_dir=False)
    texts = [c for video_captions in captions for c in video_captions]
    inferencer.index(paths)
    result = inferencer.rank_texts(paths[1], texts)
    video = inferencer.gallery_embeddings[1]
    direct = inferencer.embed_texts(texts) @ video
    assert result['scores'] == pytest.approx(
        sorted(direct.tolist(), reverse=True), abs=1e-6)
    assert result['texts'][0] == texts[int(direct.argmax())]
    # The text tower ignores the blank clip: each text alone gives the
    # embedding it has in a batch.
    alone = torch.cat([inferencer.embed_texts(t) for t in texts[:3]])
    assert torch.allclose(alone, inferencer.embed_texts(texts[:3]), atol=1e-5)


def test_init_model_names_mismatching_keys(tiny_env, tiny_config,
                                           tiny_checkpoint, tmp_path):
    model = init_model(tiny_config, tiny_checkpoint)
    assert not model.training and model.cfg.model.type == 'CloverRetrieval'
    assert isinstance(model.dataset_meta, dict)
    state = torch.load(tiny_checkpoint, map_location='cpu', weights_only=False)
    weights = state['state_dict']
    missing = next(k for k in weights if k.startswith('retrieval_head.video_proj'))
    del weights[missing]
    reshaped = next(k for k in weights if k.startswith('retrieval_head.text_proj'))
    weights[reshaped] = torch.zeros(3, 3)
    bad = tmp_path / 'bad.pth'
    torch.save(state, bad)
    with pytest.raises(CheckpointMismatchError) as error:
        init_model(tiny_config, str(bad))
    assert missing in str(error.value) and reshaped in str(error.value)
