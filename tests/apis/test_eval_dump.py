"""tools/analysis/eval_dump.py recomputes tools/test.py's metrics from its
--dump output alone."""
import json
import pickle
import sys

import pytest


def eval_dump(run_tool, env, config, dump):
    proc = run_tool(
        [sys.executable, 'tools/analysis/eval_dump.py', config, dump], env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_retrieval_dump_gives_tools_test_metrics(run_tool, tool_env,
                                                 tiny_config,
                                                 tiny_test_metrics):
    metrics, dump = tiny_test_metrics
    assert eval_dump(run_tool, tool_env, tiny_config, dump) == metrics


def test_qa_dump_gives_tools_test_metrics(run_tool, qa_run):
    assert eval_dump(run_tool, qa_run['env'], qa_run['config'],
                     qa_run['dump']) == qa_run['metrics']


def test_a_changed_prediction_changes_the_metric(tmp_path, qa_run, run_tool):
    """The metric is recomputed, not read back: flipping one prediction to
    the right answer raises the accuracy by one question."""
    with open(qa_run['dump'], 'rb') as file:
        preds = pickle.load(file)
    wrong = next(p for p in preds if p['pred_label'] != p['answer_label']
                 and p['answer_label'] >= 0)
    scores = wrong['pred_scores'].clone()
    scores[wrong['answer_label']] = scores.max() + 1
    wrong['pred_scores'] = scores
    wrong['pred_label'] = wrong['answer_label']
    edited = tmp_path / 'edited.pkl'
    with open(edited, 'wb') as file:
        pickle.dump(preds, file)
    metrics = eval_dump(run_tool, qa_run['env'], qa_run['config'],
                        str(edited))
    key = next(k for k in metrics if k.endswith('/acc'))
    assert metrics[key] == pytest.approx(qa_run['metrics'][key] +
                                         100 / len(preds))
