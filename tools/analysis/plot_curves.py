"""Draw the loss and metric curves of a training run to a PNG.

Reads the scalars MMEngine's ``LocalVisBackend`` writes,
``WORK_DIR/<timestamp>/vis_data/scalars.json`` (one JSON object per logged
training iteration, with ``iter``, and one per validation, whose ``step`` is
the epoch, or the iteration for iteration-based runs), and draws one panel
per key: training keys against the iteration, validation metrics against
the epoch.

Usage::

    python tools/analysis/plot_curves.py WORK_DIR [--keys loss dual/t2v/R@1]
        [--out WORK_DIR/curves.png] [--all-runs]

Without ``--keys`` it draws the training ``loss`` and every validation
metric except counts, chance levels and timings. ``WORK_DIR`` may also be
one run's timestamp directory or a ``scalars.json`` file. A work dir holds
one timestamp directory per start; by default the newest is drawn,
``--all-runs`` joins them in time order (a resumed run continues its
curves; where two runs logged the same step, the later one is kept).
"""
import argparse
import glob
import json
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

# Not drawn by default: constants of the data, not of the training.
DEFAULT_SKIP = ('data_time', 'time', 'num_', 'chance_')


class Series:
    """One scalar's values over steps.

    Attributes:
        name (str): The key in ``scalars.json``.
        phase (str): ``'train'`` or ``'val'``.
        axis (str): What the steps count: ``'iteration'`` or ``'epoch'``.
        points (dict[int, float]): Value at each step.
    """

    def __init__(self, name: str, phase: str, axis: str) -> None:
        self.name = name
        self.phase = phase
        self.axis = axis
        self.points: Dict[int, float] = {}

    def steps_values(self) -> Tuple[List[int], List[float]]:
        steps = sorted(self.points)
        return steps, [self.points[step] for step in steps]


def find_scalar_files(path: str, all_runs: bool = False) -> List[str]:
    """The ``scalars.json`` file(s) of a work dir, oldest first.

    Args:
        path (str): A work dir, one run's timestamp dir or the file itself.
        all_runs (bool): Every run of the work dir rather than the newest.

    Returns:
        list[str]: The files to read.

    Raises:
        FileNotFoundError: If there is none (a run without LocalVisBackend).
    """
    if osp.isfile(path):
        return [path]
    own = osp.join(path, 'vis_data', 'scalars.json')
    if osp.isfile(own):
        return [own]
    # Timestamp directory names sort in time order.
    runs = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not runs:
        raise FileNotFoundError(
            f'No vis_data/scalars.json under {path!r}: give the work dir of '
            "a run made with vis_backends=[dict(type='LocalVisBackend')] "
            '(the default of configs/_base_/default_runtime.py).')
    return runs if all_runs else runs[-1:]


def load_scalars(files: Sequence[str]) -> Dict[Tuple[str, str], Series]:
    """Read ``scalars.json`` files into series, later files overriding the
    same step of earlier ones.

    Args:
        files (Sequence[str]): Files in time order.

    Returns:
        dict[tuple[str, str], Series]: Keyed by ``(phase, name)``.

    Raises:
        ValueError: On a line that is not a JSON object with a ``step``
            (the message names the file and line).
    """
    series: Dict[Tuple[str, str], Series] = {}
    for path in files:
        records = []
        with open(path) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(
                        f'{path}, line {number}: not JSON ({error})') from None
                if not isinstance(record, dict) or 'step' not in record:
                    raise ValueError(f'{path}, line {number}: expected a JSON '
                                     "object with a 'step' field")
                records.append(record)
        # Training lines carry 'epoch' only in epoch-based runs; their
        # validation steps are then epochs.
        by_epoch = any('iter' in r and 'epoch' in r for r in records)
        for record in records:
            phase = 'train' if 'iter' in record else 'val'
            step = record['iter'] if phase == 'train' else record['step']
            axis = 'epoch' if phase == 'val' and by_epoch else 'iteration'
            for name, value in record.items():
                if name in ('step', 'iter', 'epoch') or not isinstance(
                        value, (int, float)):
                    continue
                key = (phase, name)
                if key not in series:
                    series[key] = Series(name, phase, axis)
                series[key].points[int(step)] = float(value)
    return series


def default_keys(series: Dict[Tuple[str, str], Series]) -> List[str]:
    """The training loss and the validation metrics worth a curve."""
    keys = [name for phase, name in series if phase == 'train'
            and name == 'loss']
    keys += [
        name for phase, name in series if phase == 'val'
        and not any(skip in name for skip in DEFAULT_SKIP)
    ]
    return keys


def select(series: Dict[Tuple[str, str], Series],
           keys: Sequence[str]) -> List[Series]:
    """The series of ``keys``: a training key first, else a validation one
    (``val/NAME`` picks the validation series of a name logged by both, such
    as ``time``)."""
    chosen, unknown = [], []
    for key in keys:
        if key.startswith('val/') and ('val', key[4:]) in series:
            chosen.append(series[('val', key[4:])])
        elif ('train', key) in series:
            chosen.append(series[('train', key)])
        elif ('val', key) in series:
            chosen.append(series[('val', key)])
        else:
            unknown.append(key)
    if unknown:
        available = sorted({name for _, name in series})
        raise KeyError(f'No scalar {unknown} in the run; it logged '
                       f'{available}.')
    return chosen


def plot_curves(curves: Sequence[Series], title: Optional[str] = None):
    """One panel per series, up to three panels a row.

    Args:
        curves (Sequence[Series]): The series to draw.
        title (str, optional): Figure title (e.g. the run).

    Returns:
        matplotlib.figure.Figure: The figure; panel ``i`` draws
        ``curves[i]`` as its one line.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if not curves:
        raise ValueError('Nothing to plot: no series selected.')
    cols = min(3, len(curves))
    rows = (len(curves) + cols - 1) // cols
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.5 * cols, 3.2 * rows), squeeze=False)
    for ax, curve in zip(axes.flat, curves):
        steps, values = curve.steps_values()
        ax.plot(steps, values, marker='.' if len(steps) < 50 else None)
        ax.set_title(f'{curve.phase}: {curve.name}', fontsize=10)
        ax.set_xlabel(curve.axis)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(curves):]:
        ax.remove()
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Draw the loss and metric curves of a run to a PNG.')
    parser.add_argument(
        'work_dir',
        help='work dir of the run (or a timestamp dir, or scalars.json)')
    parser.add_argument(
        '--keys', nargs='+',
        help='scalars to draw (default: loss and the validation metrics)')
    parser.add_argument(
        '--out', help='PNG to write (default: WORK_DIR/curves.png)')
    parser.add_argument(
        '--all-runs', action='store_true',
        help='join every run of the work dir (resumed runs), oldest first')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        files = find_scalar_files(args.work_dir, args.all_runs)
        series = load_scalars(files)
        curves = select(series, args.keys or default_keys(series))
    except (FileNotFoundError, KeyError, ValueError) as error:
        sys.exit(f'plot_curves: {error.args[0]}')
    out = args.out or osp.join(
        args.work_dir if osp.isdir(args.work_dir) else
        osp.dirname(args.work_dir), 'curves.png')
    runs = [osp.basename(osp.dirname(osp.dirname(path))) for path in files]
    fig = plot_curves(curves, title=f'run {" + ".join(runs)}')
    fig.savefig(out, dpi=100)
    print(f'{len(curves)} curves of {len(files)} run(s) -> {out}')


if __name__ == '__main__':
    main()
