"""Training through MMEngine's FlexibleRunner strategies: FSDP on two CPU
(gloo) processes against DDP, and the DeepSpeed config translation."""
import importlib.util
import inspect
import os.path as osp

import pytest
import torch
import torch.distributed as dist
from mmengine.config import Config

import clover.engine  # noqa: F401  (allow-lists the checkpoint types)
from clover.utils.config import deepspeed_settings, prepare_strategy

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STRATEGIES = osp.join(REPO_ROOT, 'configs', '_base_', 'strategies')
PRETRAIN_BF16 = osp.join(REPO_ROOT, 'configs', 'pretrain',
                         'clover_webvid_cc3m_bf16.py')


def weights(path):
    checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    return checkpoint['state_dict']


@pytest.mark.skipif(not dist.is_gloo_available(), reason='needs gloo')
def test_fsdp_on_two_cpu_processes_trains_as_ddp(tmp_path, tool_env, run_tool,
                                                 tiny_config, run_log):
    """The tiny config with the FSDP piece, 2 gloo processes, 2 iterations
    with gradient clipping active (max_norm 0.01, the norms are ~300): the
    weights equal those of the same run under DDP (CloverRunner). Clipping
    by each rank's shard norm (MMEngine's FSDPStrategy) would differ."""
    fsdp_config = tmp_path / 'tiny_fsdp.py'
    fsdp_config.write_text(
        f'_base_ = [{tiny_config!r}, {osp.join(STRATEGIES, "fsdp.py")!r}]\n')
    options = ['--cfg-options', 'train_cfg.max_epochs=1',
               'optim_wrapper.clip_grad.max_norm=0.01']
    port = 29500 + (hash(str(tmp_path)) % 1000)
    work_dirs = {}
    for name, config in (('fsdp', str(fsdp_config)), ('ddp', tiny_config)):
        work_dirs[name] = tmp_path / name
        port += 1
        run_tool([
            'bash', 'tools/dist_train.sh', config, '2', '--work-dir',
            str(work_dirs[name]), *options
        ], dict(tool_env, PORT=str(port)), timeout=600)
    assert 'Training MMFullyShardedDataParallel' in run_log(work_dirs['fsdp'])
    assert 'grad_norm' in run_log(work_dirs['fsdp'])
    fsdp, ddp = (weights(work_dirs[name] / 'epoch_1.pth')
                 for name in ('fsdp', 'ddp'))
    assert fsdp.keys() == ddp.keys()
    for key in ddp:
        torch.testing.assert_close(fsdp[key], ddp[key], rtol=1e-5, atol=1e-6,
                                   msg=key)


def test_a_strategy_selects_the_flexible_runner():
    cfg = Config(dict(runner_type='CloverRunner', optim_wrapper=dict()))
    prepare_strategy(cfg)
    assert cfg.runner_type == 'CloverRunner'
    cfg = Config.fromfile(osp.join(STRATEGIES, 'fsdp.py'))
    cfg.runner_type = 'CloverRunner'
    prepare_strategy(cfg)
    assert cfg.runner_type == 'CloverFlexibleRunner'


@pytest.mark.skipif(
    importlib.util.find_spec('deepspeed') is not None,
    reason='deepspeed is installed')
def test_deepspeed_without_the_package_fails_naming_it(tmp_path):
    leaf = tmp_path / 'bf16_zero2.py'
    leaf.write_text(f'_base_ = [{PRETRAIN_BF16!r}, '
                    f'{osp.join(STRATEGIES, "deepspeed_zero2.py")!r}]\n')
    cfg = Config.fromfile(str(leaf))
    with pytest.raises(ImportError, match=r'bf16_zero2\.py.*deepspeed'):
        prepare_strategy(cfg)


def test_deepspeed_takes_over_precision_and_clipping():
    recipe = Config.fromfile(PRETRAIN_BF16).optim_wrapper
    wrapper, strategy = deepspeed_settings(recipe, 'recipe.py')
    assert wrapper['type'] == 'DeepSpeedOptimWrapper'
    assert wrapper['optimizer'] == recipe.optimizer
    assert wrapper['paramwise_cfg'] == recipe.paramwise_cfg
    assert not {'dtype', 'loss_scale', 'clip_grad'} & set(wrapper)
    assert strategy == dict(bf16=dict(enabled=True),
                            gradient_clipping=recipe.clip_grad.max_norm)

    fp16 = dict(type='AmpOptimWrapper', optimizer=dict(type='AdamW'),
                accumulative_counts=4)
    assert deepspeed_settings(fp16, 'f.py')[1] == dict(
        fp16=dict(enabled=True, loss_scale=0), gradient_accumulation_steps=4)
    static = dict(fp16, loss_scale=512., accumulative_counts=1)
    assert deepspeed_settings(static, 'f.py')[1] == dict(
        fp16=dict(enabled=True, loss_scale=512.))
    assert deepspeed_settings(dict(optimizer=dict(type='AdamW')),
                              'f.py')[1] == {}
    with pytest.raises(ValueError, match=r'f\.py.*norm'):
        deepspeed_settings(
            dict(clip_grad=dict(max_norm=1., norm_type=1)), 'f.py')
    with pytest.raises(ValueError, match=r'f\.py.*loss_scale'):
        deepspeed_settings(dict(fp16, loss_scale=dict(init_scale=8.)),
                           'f.py')


def test_flexible_runner_honours_the_compile_option(tmp_path, tool_env,
                                                   tiny_config, monkeypatch):
    """MMEngine's FlexibleRunner.from_cfg drops ``compile``; under
    CloverFlexibleRunner the option reaches the strategy, which compiles
    train_step (the eager backend: dynamo tracing, no C++ toolchain)."""
    from clover.utils import build_runner, load_config
    for key in ('CLOVER_TINY_DATA', 'CLOVER_TINY_TOKENIZER'):
        monkeypatch.setenv(key, tool_env[key])
    cfg = load_config(
        tiny_config, work_dir=str(tmp_path), cfg_options={
            'strategy': dict(type='SingleDeviceStrategy'),
            'compile': dict(backend='eager'),
            'train_cfg.max_epochs': 1,
            'train_dataloader.dataset.indices': 4,
            'val_dataloader.dataset.indices': 4,
        })
    runner = build_runner(cfg)
    assert type(runner).__name__ == 'CloverFlexibleRunner'
    assert runner._compile == dict(backend='eager')
    runner.train()
    # The compiled function replaces the bound method on the model.
    assert 'train_step' in vars(runner.model)
    assert not inspect.ismethod(runner.model.train_step)
    assert (tmp_path / 'epoch_1.pth').exists()


def test_wrap_policy_makes_one_unit_per_transformer_block():
    from transformers import BertConfig
    from transformers.models.bert.modeling_bert import BertLayer

    from clover.engine.strategies import transformer_block_wrap_policy
    from clover.models.backbones import SwinTransformer3D
    swin = SwinTransformer3D(
        arch=dict(embed_dims=8, depths=[1, 1], num_heads=[1, 2]),
        window_size=(2, 2, 2))
    blocks = [m for m in swin.modules()
              if transformer_block_wrap_policy(m, False, 0)]
    assert [type(m).__name__ for m in blocks] == ['SwinTransformerBlock3D'] * 2
    layer = BertLayer(BertConfig(hidden_size=8, num_attention_heads=2,
                                 intermediate_size=16))
    assert transformer_block_wrap_policy(layer, False, 0)
    assert not transformer_block_wrap_policy(torch.nn.Linear(2, 2), False, 0)
    # Every module is searched for blocks.
    assert transformer_block_wrap_policy(torch.nn.Linear(2, 2), True, 0)
