"""tools/analysis/probe_collapse.py: the spread and cosine it reports, and a
short run of the tool on the tiny config."""
import importlib.util
import os.path as osp
import sys

import pytest
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    'probe_collapse',
    osp.join(REPO_ROOT, 'tools', 'analysis', 'probe_collapse.py'))
probe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(probe)


def test_spread_and_cosine_of_hand_made_batches():
    same = torch.ones(3, 2, 2)
    assert probe.spread(same) == pytest.approx(0)
    assert probe.mean_cosine(same) == pytest.approx(1)
    opposite = torch.tensor([[1., 2.], [-1., -2.]])
    assert probe.spread(opposite) == pytest.approx(1)
    assert probe.mean_cosine(opposite) == pytest.approx(-1)
    # Mean (0.5, 0.5): each row is 0.5 away in squared norm, of 1 each.
    orthogonal = torch.eye(2)
    assert probe.spread(orthogonal) == pytest.approx(0.5)
    assert probe.mean_cosine(orthogonal) == pytest.approx(0)
    # A shared offset lowers the spread by the offset's share of the norm.
    rows = torch.randn(16, 8)
    rows -= rows.mean(0)
    shifted = rows + 3 * torch.ones(8)
    expected = rows.pow(2).sum() / shifted.pow(2).sum()
    assert probe.spread(shifted) == pytest.approx(expected.item(), rel=1e-5)


def test_probe_prints_every_stage_of_a_short_run(run_tool, tiny_config,
                                                 tool_env):
    proc = run_tool([
        sys.executable, 'tools/analysis/probe_collapse.py', tiny_config,
        '--iters', '3', '--interval', '1'
    ], tool_env)
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith('iter'))
    assert header.split()[3:] == [
        'patch_embed', 'layers.0', 'layers.1', 'norm', 'video_proj',
        'text_proj'
    ]
    rows = [line.split() for line in lines if line[:4].strip().isdigit()]
    assert [int(row[0]) for row in rows] == [0, 1, 2]
    for row in rows:
        spreads = [float(cell) for cell in row[3:]
                   if not cell.startswith('(') and not cell.endswith(')')]
        assert len(spreads) == 6
        assert all(0 <= value <= 1 for value in spreads)


def test_probe_names_the_model_modules_when_one_is_missing(
        tiny_config, tool_env, monkeypatch):
    monkeypatch.setenv('CLOVER_TINY_DATA', tool_env['CLOVER_TINY_DATA'])
    monkeypatch.setenv('CLOVER_TINY_TOKENIZER',
                       str(tool_env['CLOVER_TINY_TOKENIZER']))
    with pytest.raises(KeyError, match='video_encoder'):
        probe.main([tiny_config, '--iters', '1', '--modules', 'no.such'])
