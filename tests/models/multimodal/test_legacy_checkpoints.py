"""Checkpoints written by the earlier model layout (commit 2cadca5: flat
``video_head`` / ``text_head`` / ``fused_*_head`` / ``mlm_head`` modules,
losses inside the models) load into today's models through their key
mapping, strictly, and give the same losses and predictions.

The earlier models are built from verbatim copies of their modules
(tests/data/legacy_models/), loaded by path with their relative imports made
absolute and their registration dropped (today's classes hold the names)."""
import copy
import os.path as osp
import types

import pytest
import torch
from mmengine.runner import load_checkpoint

from clover.models.multimodal import (CloverMultipleChoice, CloverPretrain,
                                      CloverRetrieval, CloverVideoQA)
from clover.structures import VideoTextDataSample

LEGACY_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'data',
    'legacy_models')
# A tiny random BERT (no dropout) for the text and fusion encoders.
VOCAB, HIDDEN, MASK_ID = 50, 16, 4
BERT = dict(vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=1,
            num_attention_heads=2, intermediate_size=32,
            hidden_dropout_prob=0., attention_probs_dropout_prob=0.)

VIDEO_ENCODER = dict(
    type='SwinTransformer3D',
    arch=dict(embed_dims=8, depths=[1, 1], num_heads=[1, 2]),
    window_size=(2, 2, 2),
    drop_path_rate=0.)
TEXT_ENCODER = dict(type='BertTextEncoder', config=BERT, pooling='mean')
FUSION = dict(type='FusionTransformer', video_channels=16, config=BERT,
              num_layers=1, num_temporal_slots=2, num_spatial_tokens=4)


def projection(in_channels, norm, dropout=0.):
    return dict(type='ProjectionHead', in_channels=in_channels,
                hidden_channels=24, out_channels=8, norm=norm,
                dropout=dropout)


VIDEO_HEAD, TEXT_HEAD = projection(16, True), projection(HIDDEN, False)
FUSED_VIDEO_HEAD = projection(HIDDEN, True)
FUSED_TEXT_HEAD = projection(HIDDEN, False, dropout=0.1)
MLM_HEAD = dict(type='MLMHead', config=BERT)
OE_HEAD = dict(type='OpenEndedQAHead', in_channels=HIDDEN, num_answers=5)
MC_HEAD = dict(type='MultipleChoiceHead', in_channels=HIDDEN,
               hidden_channels=16)


def load_legacy(name, namespace=None):
    """Execute the legacy module ``name`` as a fresh, unregistered module."""
    path = osp.join(LEGACY_DIR, f'{name}.py.txt')
    with open(path) as f:
        source = f.read()
    # The sibling import comes in through ``namespace``.
    source = source.replace('@MODELS.register_module()\n', '').replace(
        'from ..necks.', 'from clover.models.necks.').replace(
            'from .clover_retrieval import CloverRetrieval\n', '')
    module = types.ModuleType(f'legacy_{name}')
    module.__dict__.update(namespace or {})
    exec(compile(source, path, 'exec'), module.__dict__)
    return module


LEGACY_RETRIEVAL = load_legacy('clover_retrieval')
LEGACY_PRETRAIN = load_legacy(
    'clover_pretrain',
    dict(CloverRetrieval=LEGACY_RETRIEVAL.CloverRetrieval))
LEGACY_QA = load_legacy('clover_video_qa')


def retrieval_head(loss=dict(type='InfoNCELoss', temperature=0.05)):
    return dict(type='RetrievalHead', video_proj=VIDEO_HEAD,
                text_proj=TEXT_HEAD, loss=loss)


# (legacy class, its kwargs, today's class, its kwargs)
PAIRS = {
    'retrieval': (LEGACY_RETRIEVAL.CloverRetrieval,
                  dict(video_encoder=VIDEO_ENCODER, text_encoder=TEXT_ENCODER,
                       video_head=VIDEO_HEAD, text_head=TEXT_HEAD),
                  CloverRetrieval,
                  dict(video_encoder=VIDEO_ENCODER, text_encoder=TEXT_ENCODER,
                       retrieval_head=retrieval_head())),
    'pretrain': (LEGACY_PRETRAIN.CloverPretrain,
                 dict(video_encoder=dict(VIDEO_ENCODER, use_mask_token=True),
                      text_encoder=TEXT_ENCODER, video_head=VIDEO_HEAD,
                      text_head=TEXT_HEAD, fusion=FUSION,
                      fused_video_head=FUSED_VIDEO_HEAD,
                      fused_text_head=FUSED_TEXT_HEAD, mlm_head=MLM_HEAD),
                 CloverPretrain,
                 dict(video_encoder=dict(VIDEO_ENCODER, use_mask_token=True),
                      text_encoder=TEXT_ENCODER,
                      retrieval_head=retrieval_head(loss=None), fusion=FUSION,
                      pretrain_head=dict(
                          type='PretrainHead',
                          fused_video_proj=FUSED_VIDEO_HEAD,
                          fused_text_proj=FUSED_TEXT_HEAD,
                          mlm_head=MLM_HEAD))),
    'video_qa': (LEGACY_QA.CloverVideoQA,
                 dict(video_encoder=VIDEO_ENCODER, text_encoder=TEXT_ENCODER,
                      fusion=FUSION, qa_head=OE_HEAD, video_head=VIDEO_HEAD,
                      text_head=TEXT_HEAD),
                 CloverVideoQA,
                 dict(video_encoder=VIDEO_ENCODER, text_encoder=TEXT_ENCODER,
                      fusion=FUSION, qa_head=OE_HEAD,
                      retrieval_head=retrieval_head())),
    'multiple_choice': (LEGACY_QA.CloverMultipleChoice,
                        dict(video_encoder=VIDEO_ENCODER,
                             text_encoder=TEXT_ENCODER, fusion=FUSION,
                             qa_head=MC_HEAD),
                        CloverMultipleChoice,
                        dict(video_encoder=VIDEO_ENCODER,
                             text_encoder=TEXT_ENCODER, fusion=FUSION,
                             qa_head=MC_HEAD)),
}


def batch(task):
    """Preprocessed inputs and data samples for ``task``: 3 clips with a
    text each, or 2 clips with 3 candidates each (multiple choice)."""
    g = torch.Generator().manual_seed(3)
    counts = [3, 3] if task == 'multiple_choice' else [1, 1, 1]
    num_clips, num_texts = len(counts), sum(counts)
    text_ids = torch.randint(5, VOCAB, (num_texts, 7), generator=g)
    text_ids[:, 0] = 1
    lengths = torch.randint(3, 8, (num_texts, ), generator=g)
    text_mask = (torch.arange(7) < lengths[:, None]).long()
    inputs = dict(
        imgs=torch.randn(num_clips, 3, 4, 16, 16, generator=g),
        text_ids=text_ids * text_mask,
        text_mask=text_mask,
        text_to_video=torch.repeat_interleave(torch.arange(num_clips),
                                              torch.tensor(counts)))
    if task == 'pretrain':
        chosen = torch.zeros_like(text_ids, dtype=torch.bool)
        chosen[:, 2] = True
        inputs.update(
            masked_text_ids=torch.where(chosen, MASK_ID, inputs['text_ids']),
            mlm_labels=torch.where(chosen, inputs['text_ids'], -100),
            video_mask=torch.rand(num_clips, 2, 2, generator=g) > 0.5)
    labels = [2, 0] if task == 'multiple_choice' else [3, -1, 1]
    data_samples = []
    for index, count in enumerate(counts):
        # The earlier models read the label from the metainfo, today's from
        # gt_label: the sample carries both.
        sample = VideoTextDataSample(metainfo=dict(
            question_id=f'q{index}', video_index=index,
            answer_label=labels[index], answer_index=labels[index]))
        sample.gt_label = labels[index]
        sample.text = [f'text {index}.{k}' for k in range(count)]
        data_samples.append(sample)
    return inputs, data_samples


def predictions(samples):
    fields = ('video_embedding', 'text_embeddings', 'pred_scores',
              'pred_label')
    return [{key: sample.get(key) for key in fields if key in sample}
            for sample in samples]


@pytest.mark.parametrize('task', sorted(PAIRS))
def test_legacy_checkpoint_gives_the_same_losses_and_predictions(
        task, tmp_path):
    legacy_cls, legacy_kwargs, new_cls, new_kwargs = PAIRS[task]
    torch.manual_seed(0)
    legacy = legacy_cls(**legacy_kwargs).eval()
    path = str(tmp_path / 'legacy.pth')
    torch.save(dict(meta=dict(epoch=1), state_dict=legacy.state_dict()),
               path)
    # Another seed: every weight has to come from the checkpoint.
    torch.manual_seed(1)
    model = new_cls(**new_kwargs).eval()
    load_checkpoint(model, path, map_location='cpu', strict=True)

    inputs, data_samples = batch(task)
    with torch.no_grad():
        expected_losses = legacy(inputs, copy.deepcopy(data_samples),
                                 mode='loss')
        losses = model(inputs, copy.deepcopy(data_samples), mode='loss')
        expected = predictions(
            legacy(inputs, copy.deepcopy(data_samples), mode='predict'))
        actual = predictions(
            model(inputs, copy.deepcopy(data_samples), mode='predict'))
    assert set(losses) == set(expected_losses)
    for key in expected_losses:
        torch.testing.assert_close(losses[key], expected_losses[key],
                                   msg=key)
    assert [set(p) for p in actual] == [set(p) for p in expected]
    assert any(p for p in actual)
    for own, reference in zip(actual, expected):
        for key in reference:
            if key == 'pred_label':
                assert own[key] == reference[key]
            else:
                torch.testing.assert_close(own[key], reference[key], msg=key)


def test_legacy_pretrain_checkpoint_loads_into_today_finetuning_models(
        tmp_path):
    """A pre-training checkpoint of the earlier layout starts fine-tuning as
    before: only the task head is missing."""
    legacy_cls, legacy_kwargs = PAIRS['pretrain'][:2]
    torch.manual_seed(0)
    state = legacy_cls(**legacy_kwargs).state_dict()
    model = CloverVideoQA(**PAIRS['video_qa'][3])
    result = model.load_state_dict(copy.deepcopy(state), strict=False)
    assert set(result.missing_keys) == {
        'qa_head.' + key for key in model.qa_head.state_dict()}
    assert torch.equal(model.retrieval_head.video_proj.layers[0].weight,
                       state['video_head.layers.0.weight'])


@pytest.mark.parametrize('task', sorted(PAIRS))
def test_same_seed_gives_the_same_initial_weights(task):
    """The modules are built in the earlier order, so a run's random
    initialisation (and the demo's numbers) is unchanged."""
    legacy_cls, legacy_kwargs, new_cls, new_kwargs = PAIRS[task]
    torch.manual_seed(0)
    legacy = legacy_cls(**legacy_kwargs)
    legacy.init_weights()  # as the runner does
    torch.manual_seed(0)
    model = new_cls(**new_kwargs)
    model.init_weights()
    mapped = model.state_dict()
    # The earlier weights under today's names (the load pre-hook's mapping).
    reference = legacy.state_dict()
    model._rename_legacy_keys(reference, '')
    assert set(reference) == set(mapped)
    for key in mapped:
        assert torch.equal(mapped[key], reference[key]), key
