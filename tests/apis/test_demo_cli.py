"""demo/retrieve.py and demo/video_qa.py in subprocesses on the tiny
models: their output against the in-process inferencers, and their errors."""
import json
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest
import torch
from PIL import Image

from clover.apis import TextVideoRetrievalInferencer, VideoQAInferencer
from clover.apis.gallery import list_video_dir
from clover.datasets.video_io import VideoDecodeError

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_demo(args, env):
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope='module')
def few_videos(tiny_data, tmp_path_factory):
    """A folder of 5 of the corpus' videos."""
    folder = tmp_path_factory.mktemp('few_videos')
    for path in list_video_dir(osp.join(tiny_data, 'videos'))[:5]:
        shutil.copy(path, folder)
    return str(folder)


def test_retrieve_table_sheet_and_results(tiny_env, tiny_config,
                                          tiny_checkpoint, few_videos,
                                          tmp_path):
    query = 'a red square moves left'
    out = tmp_path / 'out'
    proc = run_demo([
        'demo/retrieve.py', tiny_config, tiny_checkpoint, '--videos',
        few_videos, '--query', query, '--topk', '3', '--out', str(out),
        '--cache-dir', str(tmp_path / 'cache')
    ], tiny_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'rank' in proc.stdout and 'score' in proc.stdout
    with open(out / 'results.json') as file:
        results = json.load(file)
    expected = TextVideoRetrievalInferencer(
        tiny_config, tiny_checkpoint, cache_dir=False)
    expected.index(few_videos)
    expected = expected.rank_videos(query, topk=3)[0]
    assert results[0]['paths'] == expected['paths']
    assert results[0]['scores'] == pytest.approx(expected['scores'],
                                                 abs=1e-5)
    for path in expected['paths']:
        assert osp.basename(path) in proc.stdout
    # A drawn (not blank) sheet with a row per hit.
    sheet = Image.open(out / 'contact_sheet.png')
    pixels = torch.tensor(list(sheet.convert('L').getdata()), dtype=float)
    assert sheet.size[1] > 200 and pixels.std() > 10


def test_retrieve_errors_name_the_problem(tiny_env, tiny_config,
                                          tiny_checkpoint, few_videos,
                                          tmp_path):
    inferencer = TextVideoRetrievalInferencer(
        tiny_config, tiny_checkpoint, cache_dir=str(tmp_path / 'cache'))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match='no video file .* under ' +
                       re.escape(str(empty))):
        inferencer.index(str(empty))
    broken = tmp_path / 'broken'
    shutil.copytree(few_videos, broken)
    (broken / 'zz_broken.mp4').write_bytes(b'not a video at all')
    with pytest.raises(VideoDecodeError, match='zz_broken.mp4'):
        inferencer.index(str(broken))
    assert len(inferencer.index(str(broken), skip_bad=True)) == 5
    assert inferencer.skipped == [str(broken / 'zz_broken.mp4')]
    # The command line says the same in one line, without a traceback.
    proc = run_demo([
        'demo/retrieve.py', tiny_config, tiny_checkpoint, '--videos',
        str(broken), '--query', 'a cat', '--cache-dir',
        str(tmp_path / 'cache'), '--out', str(tmp_path / 'out')
    ], tiny_env)
    assert proc.returncode == 1
    last_line = proc.stderr.strip().splitlines()[-1]
    assert last_line.startswith('error: Cannot decode video')
    assert 'zz_broken.mp4' in last_line and 'Traceback' not in proc.stderr


def test_video_qa_cli_answers_as_the_inferencer(qa_run, monkeypatch):
    question = qa_run['questions'][1]
    video = osp.join(qa_run['videos'], question['video'])
    env = dict(qa_run['env'])
    for key in ('CLOVER_TINY_DATA', 'CLOVER_TINY_TOKENIZER'):
        monkeypatch.setenv(key, str(env[key]))
    inferencer = VideoQAInferencer(qa_run['config'], qa_run['checkpoint'])
    proc = run_demo([
        'demo/video_qa.py', qa_run['config'], qa_run['checkpoint'], video,
        question['question'], '--json'
    ], env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = inferencer.answer(video, question['question'])
    assert result['answer'] == expected['answer']
    assert result['scores'] == pytest.approx(expected['scores'], abs=1e-5)
    with pytest.raises(VideoDecodeError, match=re.escape(video + '.missing')):
        inferencer.answer(video + '.missing', question['question'])
