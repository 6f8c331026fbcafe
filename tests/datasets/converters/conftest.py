"""Helpers shared by the converter tests: run a converter's command line and
load its output through the dataset that validates the schema."""
import json
import os
import sys

import pytest

from clover.datasets import VideoTextRetrievalDataset


@pytest.fixture(scope='session')
def run_converter(run_tool):
    """Run ``tools/data/<corpus>/convert.py`` with ``args``; return stdout."""

    def run(corpus, *args):
        env = dict(os.environ, OMP_NUM_THREADS='1')
        proc = run_tool(
            [sys.executable, f'tools/data/{corpus}/convert.py',
             *map(str, args)], env, timeout=120)
        return proc.stdout

    return run


@pytest.fixture(scope='session')
def load_output():
    """Read a written annotation file; also build the retrieval dataset on
    it (which raises on any schema violation). Returns the parsed JSON."""

    def load(path):
        dataset = VideoTextRetrievalDataset(ann_file=str(path), pipeline=[])
        with open(path, encoding='utf-8') as file:
            content = json.load(file)
        assert len(dataset) == len(content['data_list'])
        return content

    return load
