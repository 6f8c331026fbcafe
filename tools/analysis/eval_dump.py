"""Recompute the test metrics from ``tools/test.py --dump`` output, without
the model: ``python tools/analysis/eval_dump.py CONFIG DUMP``.

The dump holds one dict per test item with what the model predicted
(embeddings, answer labels and scores) and the item's meta information; the
config's ``test_evaluator`` computes the metrics from it exactly as during
the test. The last line printed is one JSON object, as for tools/test.py.
Only open dumps you trust: they are pickles.
"""
import argparse
import json
import pickle

from mmengine.config import DictAction


def parse_args():
    parser = argparse.ArgumentParser(
        description='Metrics of a tools/test.py --dump file')
    parser.add_argument('config', help='the config the dump was tested with')
    parser.add_argument('dump', help='the .pkl written by tools/test.py '
                        '--dump')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, e.g. test_evaluator.scoring=dsl')
    return parser.parse_args()


def evaluate_dump(cfg, dump_file: str) -> dict:
    """The metrics of ``cfg.test_evaluator`` over the dumped predictions.

    Args:
        cfg (Config): The test config.
        dump_file (str): Pickle of a list of per-item prediction dicts.

    Returns:
        dict: Metric name -> value.
    """
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope

    import clover.evaluation  # noqa: F401  (registers the metrics)
    init_default_scope(cfg.get('default_scope', 'clover'))
    with open(dump_file, 'rb') as file:
        predictions = pickle.load(file)
    if not isinstance(predictions, list) or not predictions or not all(
            isinstance(p, dict) for p in predictions):
        raise ValueError(f'{dump_file}: expected a non-empty list of dicts '
                         '(the output of tools/test.py --dump)')
    metrics = cfg.test_evaluator
    metrics = metrics if isinstance(metrics, list) else [metrics]
    # A --dump run's config may list the dumping step itself.
    metrics = [m for m in metrics if m.get('type') != 'DumpResults']
    return Evaluator(metrics).offline_evaluate(predictions, chunk_size=256)


def main():
    args = parse_args()
    from clover.utils import load_config
    cfg = load_config(args.config, cfg_options=args.cfg_options)
    metrics = evaluate_dump(cfg, args.dump)
    print(json.dumps({
        key: value.item() if hasattr(value, 'item') else value
        for key, value in metrics.items()
    }))


if __name__ == '__main__':
    main()
