import pytest
import torch
import torch.nn.functional as F

from clover.models import CloverRetrieval
from clover.structures import VideoTextDataSample


def tiny_model(pooling='mean'):
    return CloverRetrieval(
        video_encoder=dict(
            type='SwinTransformer3D',
            arch=dict(embed_dims=8, depths=[1, 1], num_heads=[1, 2]),
            window_size=(2, 2, 2),
            drop_path_rate=0.),
        text_encoder=dict(
            type='BertTextEncoder',
            config=dict(
                vocab_size=50,
                hidden_size=16,
                num_hidden_layers=1,
                num_attention_heads=2,
                intermediate_size=32,
                hidden_dropout_prob=0.,
                attention_probs_dropout_prob=0.),
            pooling=pooling),
        retrieval_head=dict(
            type='RetrievalHead',
            video_proj=dict(
                type='ProjectionHead',
                in_channels=16,
                hidden_channels=16,
                out_channels=8),
            text_proj=dict(
                type='ProjectionHead',
                in_channels=16,
                hidden_channels=16,
                out_channels=8,
                norm=False)))


def make_data(texts_per_clip=(1, 1, 1)):
    g = torch.Generator().manual_seed(0)
    imgs, ids, samples = [], [], []
    for i, k in enumerate(texts_per_clip):
        imgs.append(
            torch.randint(0, 256, (3, 4, 16, 16), generator=g,
                          dtype=torch.uint8))
        t = torch.randint(3, 50, (k, 6), generator=g)
        t[:, 0] = 1
        ids.append(t)
        samples.append(
            VideoTextDataSample(text=['x'] * k, video_index=i))
    masks = [torch.ones_like(t) for t in ids]
    return dict(
        inputs=dict(imgs=imgs, text_ids=ids, text_mask=masks),
        data_samples=samples)


def test_loss_mode_matches_infonce_of_embeddings():
    model = tiny_model()
    data = model.data_preprocessor(make_data())
    losses = model(**data, mode='loss')
    emb = model(**data, mode='tensor')
    logits = emb['video'] @ emb['text'].t() / 0.05
    target = torch.arange(3)
    expected = F.cross_entropy(logits, target) + F.cross_entropy(
        logits.t(), target)
    torch.testing.assert_close(losses['loss_nce'], expected)
    assert losses['nce_global_batch'].item() == 3
    losses['loss_nce'].backward()
    for name in ('video_encoder', 'text_encoder', 'retrieval_head.video_proj',
                 'retrieval_head.text_proj'):
        grads = [p.grad for p in model.get_submodule(name).parameters()
                 if p.requires_grad]
        assert any(g is not None and g.abs().sum() > 0 for g in grads), name


def test_loss_needs_one_text_per_clip():
    model = tiny_model()
    data = model.data_preprocessor(make_data((1, 2, 1)))
    with pytest.raises(ValueError, match='one text per clip'):
        model(**data, mode='loss')


def test_predict_assigns_each_clip_its_own_texts():
    model = tiny_model().eval()
    data = model.data_preprocessor(make_data((2, 1, 3)))
    with torch.no_grad():
        samples = model(**data, mode='predict')
        emb = model(**data, mode='tensor')
    assert [s.text_embeddings.shape[0] for s in samples] == [2, 1, 3]
    torch.testing.assert_close(samples[2].text_embeddings, emb['text'][3:])
    torch.testing.assert_close(samples[1].video_embedding, emb['video'][1])
    norms = torch.cat([s.text_embeddings for s in samples]).norm(dim=-1)
    torch.testing.assert_close(norms, torch.ones(6))


def test_video_embedding_is_pooled_backbone_output():
    model = tiny_model().eval()
    imgs = torch.randn(2, 3, 4, 16, 16)
    with torch.no_grad():
        feat = model.video_encoder(imgs)
        expected = F.normalize(
            model.retrieval_head.video_proj(feat.mean(dim=(2, 3, 4))), dim=-1)
        torch.testing.assert_close(model.embed_video(imgs), expected)


def test_unknown_mode():
    model = tiny_model()
    with pytest.raises(ValueError, match='Invalid mode'):
        model(dict(), mode='bogus')


def test_training_step_reads_no_tensor_value_on_the_host():
    """Forward and backward of the loss on preprocessed inputs under
    FakeTensorMode (shapes, no values), where any host read of a tensor
    value raises; the preprocessor's host-side checks run before."""
    from torch._subclasses.fake_tensor import FakeTensorMode
    model = tiny_model().train()
    data = model.data_preprocessor(make_data((1, 1, 1)))
    with FakeTensorMode(allow_non_fake_inputs=True):
        losses = model(**data, mode='loss')
        losses['loss_nce'].backward()
    assert 'loss_nce' in losses
