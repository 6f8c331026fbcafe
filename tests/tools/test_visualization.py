"""A tiny training run seen through the vis backends: RetrievalVisHook's
sheets (PNG files and TensorBoard images), TensorBoard scalars read back
from the event file, and tools/analysis/plot_curves.py on the run."""
import glob
import importlib.util
import json
import os.path as osp
import pickle
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VIS_CONFIG = """_base_ = [{base!r}]
visualizer = dict(vis_backends=[
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
])
custom_hooks = [
    dict(type='RetrievalVisHook', num_queries=3, topk=3, num_frames=2,
         frame_size=(32, 32)),
]
"""
HOOK_LINE = re.compile(
    r"RetrievalVisHook (\w+) step (\d+) query (\d+) \(video_index (\d+)\) "
    r".*: top-3 (\[.*?\]), ground truth at rank (\d+)")


def load_plot_curves():
    spec = importlib.util.spec_from_file_location(
        'plot_curves', osp.join(REPO_ROOT, 'tools', 'analysis',
                                'plot_curves.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


plot_curves = load_plot_curves()


@pytest.fixture(scope='module')
def vis_run(tmp_path_factory, run_tool, tool_env, tiny_config):
    """Two epochs of the tiny config with LocalVisBackend, TensorBoard and
    the hook; returns the work dir and its run (timestamp) directory."""
    root = tmp_path_factory.mktemp('vis')
    config = root / 'tiny_vis.py'
    config.write_text(VIS_CONFIG.format(base=tiny_config))
    work_dir = root / 'work'
    run_tool([
        sys.executable, 'tools/train.py',
        str(config), '--work-dir',
        str(work_dir)
    ], tool_env)
    (run_dir, ) = glob.glob(str(work_dir / '2*'))
    return dict(config=config, work_dir=work_dir, run_dir=run_dir)


def hook_lines(log_text):
    return {(m[1], int(m[2]), int(m[3])): (int(m[4]), eval(m[5]), int(m[6]))
            for m in HOOK_LINE.finditer(log_text)}


def event_accumulator(run_dir):
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    (events, ) = glob.glob(osp.join(run_dir, 'vis_data', 'events.out.*'))
    acc = EventAccumulator(events, size_guidance={'scalars': 0, 'images': 0})
    acc.Reload()
    return acc


def read_scalars_json(run_dir):
    with open(osp.join(run_dir, 'vis_data', 'scalars.json')) as f:
        return [json.loads(line) for line in f]


def test_tensorboard_holds_the_loss_and_metrics(vis_run):
    """The event file's loss (per iteration) and t2v R@1 (per epoch) are
    those LocalVisBackend wrote, and R@1 is what the run logged."""
    acc = event_accumulator(vis_run['run_dir'])
    records = read_scalars_json(vis_run['run_dir'])
    train = {r['iter']: r['loss'] for r in records if 'iter' in r}
    val = {r['step']: r['dual/t2v/R@1'] for r in records if 'iter' not in r}
    assert sorted(train) == list(range(1, 9)) and sorted(val) == [1, 2]
    tb_loss = {e.step: e.value for e in acc.Scalars('loss')}
    tb_r1 = {e.step: e.value for e in acc.Scalars('dual/t2v/R@1')}
    assert tb_loss == pytest.approx(train, rel=1e-6)
    assert tb_r1 == pytest.approx(val, rel=1e-6)
    log = open(glob.glob(osp.join(vis_run['run_dir'], '*.log'))[0]).read()
    logged = [float(v) for v in re.findall(
        r'Epoch\(val\) \[(?:\d+)\]\[\d+/\d+\].*?dual/t2v/R@1: ([\d.]+)', log)]
    assert logged == pytest.approx([val[1], val[2]], abs=1e-4)


def test_hook_writes_sheets_to_every_backend(vis_run, run_log):
    """Three queries at each of the two validations: a PNG per query and
    epoch under vis_data/vis_image, the same image in TensorBoard, and a
    log line per sheet."""
    image_dir = osp.join(vis_run['run_dir'], 'vis_data', 'vis_image')
    names = sorted(osp.basename(p) for p in glob.glob(f'{image_dir}/*.png'))
    assert names == [
        f'val_retrieval_query{q}_{epoch}.png' for q in range(3)
        for epoch in (1, 2)
    ]
    acc = event_accumulator(vis_run['run_dir'])
    for q in range(3):
        tb_images = acc.Images(f'val_retrieval_query{q}')
        assert [image.step for image in tb_images] == [1, 2]
        local = cv2.imread(
            osp.join(image_dir, f'val_retrieval_query{q}_2.png'))
        board = cv2.imdecode(
            np.frombuffer(tb_images[1].encoded_image_string, np.uint8),
            cv2.IMREAD_COLOR)
        np.testing.assert_array_equal(local, board)
    lines = hook_lines(run_log(vis_run['work_dir']))
    # Evenly spaced over the 8 validation videos: items 0, 4 (3.5 rounds to
    # even) and 7.
    assert {key[2]: value[0] for key, value in lines.items()} == {
        0: 0, 1: 4, 2: 7}
    assert sorted(lines) == [('val', epoch, q) for epoch in (1, 2)
                             for q in range(3)]


def val_split_args(vis_run, tiny_data, work_dir, *extra):
    """tools/test.py's arguments for the final checkpoint of ``vis_run``
    over the validation split."""
    val_ann = osp.join(tiny_data, 'annotations', 'val.json')
    return [
        str(vis_run['config']),
        str(vis_run['work_dir'] / 'epoch_2.pth'), '--work-dir',
        str(work_dir), *extra, '--cfg-options',
        f'test_dataloader.dataset.ann_file={val_ann}'
    ]


@pytest.fixture(scope='module')
def val_test_run(vis_run, tiny_data, tmp_path_factory, run_tool, tool_env):
    """tools/test.py with the hook over the validation split, dumping the
    predictions; returns its work dir and the dump."""
    root = tmp_path_factory.mktemp('vis_test')
    dump = root / 'preds.pkl'
    run_tool([
        sys.executable, 'tools/test.py',
        *val_split_args(vis_run, tiny_data, root / 'test', '--dump', str(dump))
    ], tool_env)
    return dict(work_dir=root / 'test', dump=dump)


def test_hook_ranking_matches_the_dumped_predictions(vis_run, val_test_run,
                                                     run_log, tiny_data):
    """tools/test.py over the validation split with the hook: its logged
    top-3 and ground-truth rank are those recomputed from the dumped
    embeddings (cosine, naive ranking with ties against the ground truth),
    and equal the hook's ranking at the end of training (same weights)."""
    with open(val_test_run['dump'], 'rb') as f:
        preds = sorted(pickle.load(f), key=lambda p: p['video_index'])
    with open(osp.join(tiny_data, 'annotations', 'val.json')) as f:
        ids = [r['video_id'] for r in json.load(f)['data_list']]
    videos = torch.stack([p['video_embedding'] for p in preds]).float()
    test_lines = hook_lines(run_log(val_test_run['work_dir']))
    assert len(test_lines) == 3
    for (mode, step, q), (gt, top, rank) in test_lines.items():
        assert (mode, step) == ('test', 0)
        scores = (videos @ preds[gt]['text_embeddings'][0].float()).tolist()
        naive_rank = 1 + sum(s >= scores[gt] for i, s in enumerate(scores)
                             if i != gt)
        assert rank == naive_rank
        best = sorted(range(len(ids)), key=lambda i: -scores[i])[:3]
        assert top == [ids[i] for i in best]
    train_lines = hook_lines(run_log(vis_run['work_dir']))
    for (_, _, q), value in test_lines.items():
        assert train_lines[('val', 2, q)] == value
    images = glob.glob(str(val_test_run['work_dir'] / '*' / 'vis_data' /
                           'vis_image' / 'test_retrieval_query*_0.png'))
    assert len(images) == 3


def test_hook_gathers_the_gallery_of_two_processes(vis_run, val_test_run,
                                                   tiny_data, tmp_path,
                                                   run_tool, tool_env,
                                                   run_log):
    """tools/dist_test.sh, two gloo processes, each embedding half of the
    gallery: rank 0 draws the same rankings as one process."""
    env = dict(tool_env, PORT=str(29500 + (hash(str(tmp_path)) % 1000)))
    run_tool([
        'bash', 'tools/dist_test.sh',
        *val_split_args(vis_run, tiny_data, tmp_path)[:2], '2',
        *val_split_args(vis_run, tiny_data, tmp_path)[2:]
    ], env, timeout=600)
    dist_lines = hook_lines(run_log(tmp_path))
    assert len(dist_lines) == 3
    assert dist_lines == hook_lines(run_log(val_test_run['work_dir']))


def test_plot_curves_draws_the_run(vis_run, tmp_path, run_tool, tool_env):
    """The CLI writes a PNG; each panel's line is the scalar's values as
    read straight from scalars.json (training against the iteration,
    validation against the epoch)."""
    out = tmp_path / 'curves.png'
    proc = run_tool([
        sys.executable, 'tools/analysis/plot_curves.py',
        str(vis_run['work_dir']), '--keys', 'loss', 'dual/t2v/R@1',
        'dual/v2t/MnR', '--out',
        str(out)
    ], tool_env)
    assert '3 curves' in proc.stdout
    image = cv2.imread(str(out))
    assert image is not None and image.shape[0] > 100
    records = read_scalars_json(vis_run['run_dir'])
    series = plot_curves.load_scalars(
        plot_curves.find_scalar_files(str(vis_run['work_dir'])))
    fig = plot_curves.plot_curves(
        plot_curves.select(series, ['loss', 'dual/t2v/R@1', 'dual/v2t/MnR']))
    expected = [
        [(r['iter'], r['loss']) for r in records if 'iter' in r],
        [(r['step'], r['dual/t2v/R@1']) for r in records if 'iter' not in r],
        [(r['step'], r['dual/v2t/MnR']) for r in records if 'iter' not in r],
    ]
    for ax, points, axis in zip(fig.axes, expected,
                                ('iteration', 'epoch', 'epoch')):
        (line, ) = ax.lines
        assert list(zip(line.get_xdata(), line.get_ydata())) == points
        assert ax.get_xlabel() == axis
    # Default keys: the loss and the metrics, no counts, chance or timing.
    defaults = plot_curves.default_keys(series)
    assert defaults[0] == 'loss' and 'dual/t2v/R@1' in defaults
    assert not [k for k in defaults if 'chance' in k or 'num_' in k
                or 'time' in k]


def test_plot_curves_joins_runs_and_names_bad_input(tmp_path, tool_env):
    """--all-runs: a resumed run continues the curve, the later run wins
    a repeated step; a broken line and an unknown key say where and what."""
    def write(run, lines):
        path = tmp_path / run / 'vis_data' / 'scalars.json'
        path.parent.mkdir(parents=True)
        path.write_text(''.join(json.dumps(line) + '\n' for line in lines))
        return path

    write('20260101_000000', [
        dict(loss=3.0, epoch=1, iter=1, step=1),
        dict(loss=2.0, epoch=1, iter=2, step=2),
        dict(acc=10.0, step=1),
    ])
    write('20260101_010000', [
        dict(loss=1.5, epoch=2, iter=2, step=2),
        dict(loss=1.0, epoch=2, iter=3, step=3),
        dict(acc=30.0, step=2),
    ])
    files = plot_curves.find_scalar_files(str(tmp_path), all_runs=True)
    series = plot_curves.load_scalars(files)
    assert series[('train', 'loss')].steps_values() == ([1, 2, 3],
                                                        [3.0, 1.5, 1.0])
    assert series[('val', 'acc')].steps_values() == ([1, 2], [10.0, 30.0])
    assert series[('val', 'acc')].axis == 'epoch'
    newest = plot_curves.load_scalars(
        plot_curves.find_scalar_files(str(tmp_path)))
    assert newest[('train', 'loss')].steps_values() == ([2, 3], [1.5, 1.0])
    with pytest.raises(KeyError, match=r"\['los'\].*'acc', 'loss'"):
        plot_curves.select(series, ['los'])
    bad = write('20260101_020000', [dict(loss=1.0, iter=1, step=1)])
    bad.write_text(bad.read_text() + '{"loss": \n')
    proc = subprocess.run(
        [sys.executable, 'tools/analysis/plot_curves.py', str(bad)],
        cwd=REPO_ROOT, env=tool_env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert f'{bad}, line 2: not JSON' in proc.stderr
