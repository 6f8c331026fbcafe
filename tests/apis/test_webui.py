"""demo/webui.py served on the tiny trained retrieval and QA models and
driven in a real headless Chromium: type a query, read the first result,
see it play, ask a question about it, and no request leaves the machine."""
import importlib.util
import json
import os.path as osp
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import av
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
CHROMEDRIVER = shutil.which('chromedriver')


def load_webui():
    spec = importlib.util.spec_from_file_location(
        'webui', osp.join(REPO_ROOT, 'demo', 'webui.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


webui = load_webui()


@pytest.fixture(scope='module')
def gallery(tmp_path_factory, tiny_data):
    """A folder of the 8 test videos and their captions."""
    with open(osp.join(tiny_data, 'annotations', 'test.json')) as f:
        records = json.load(f)['data_list']
    folder = tmp_path_factory.mktemp('webui_gallery')
    for record in records:
        shutil.copy(osp.join(tiny_data, 'videos', record['video']), folder)
    return dict(folder=str(folder),
                captions=[r['captions'][0] for r in records])


def test_preview_is_vp8_of_the_clip(tmp_path, tiny_data):
    """The playable copy holds the clip's frames (enlarged 5x to 160 px),
    VP8 in WebM, and is made once."""
    from clover.datasets.video_io import open_video

    path = osp.join(tiny_data, 'videos', 'demo_00000.mp4')
    out = webui.preview_clip(path, str(tmp_path))
    with av.open(out) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == 'vp8'
        frames = [f.to_ndarray(format='rgb24') for f in container.decode(0)]
    reader = open_video(path)
    original = reader.read_frames(list(range(reader.num_frames)))
    reader.close()
    assert len(frames) == len(original)
    assert frames[0].shape == (160, 160, 3)
    # Every 5 x 5 block of the copy is one source pixel (lossy: on average).
    small = frames[0].reshape(32, 5, 32, 5, 3).mean((1, 3))
    assert abs(small - original[0]).mean() < 12
    mtime = osp.getmtime(out)
    assert webui.preview_clip(path, str(tmp_path)) == out
    assert osp.getmtime(out) == mtime
    assert webui.preview_size(480, 640) == (360, 480)
    assert webui.parse_candidates('red; blue\n green \n') == [
        'red', 'blue', 'green'
    ]
    assert webui.parse_candidates('  ') is None


def test_backend_errors_say_what_to_do(tmp_path, tiny_config):
    """What the page shows as an error, before any model is built."""
    backend = webui.WebUIBackend(tiny_config, 'missing.pth',
                                 preview_dir=str(tmp_path))
    with pytest.raises(FileNotFoundError, match='checkpoint not found: '
                       'missing.pth'):
        backend.load(str(tmp_path), 'missing.pth')
    with pytest.raises(RuntimeError, match='load a video folder first'):
        backend.search('a red square', 3)
    with pytest.raises(RuntimeError, match='--qa-config and --qa-checkpoint'):
        backend.answer('clip.mp4', 'what colour?')
    with pytest.raises(ValueError, match='both --qa-config and '
                       '--qa-checkpoint'):
        webui.WebUIBackend(tiny_config, 'x.pth', qa_config=tiny_config)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason='Debian chromium and chromium-driver are not installed (CI '
    'installs them: tools/install.sh --tests, as root)')
def test_page_ranks_plays_and_answers_in_chromium(
        tiny_checkpoint, qa_run, gallery, tiny_config, tmp_path, tiny_env):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from clover.apis import TextVideoRetrievalInferencer

    query = gallery['captions'][3]
    # What the page must show first: the inferencer's own top hit.
    inferencer = TextVideoRetrievalInferencer(
        tiny_config, tiny_checkpoint, cache_dir=False)
    inferencer.index(gallery['folder'])
    (expected, ) = inferencer.rank_videos(query, topk=3)
    top_video = osp.basename(expected['paths'][0])
    # A test question about the top hit, and the answer tools/test.py's
    # dump gives it (the argmax over the checkpoint's vocabulary).
    question = next(q for q in qa_run['questions'] if q['video'] == top_video)
    answer = qa_run['vocab'][qa_run['preds'][question['question_id']]
                             ['pred_label']]

    port = free_port()
    server = subprocess.Popen([
        sys.executable, 'demo/webui.py', tiny_config, tiny_checkpoint,
        '--videos', gallery['folder'], '--port',
        str(port), '--topk', '3', '--cache-dir',
        str(tmp_path / 'cache'), '--qa-config', qa_run['config'],
        '--qa-checkpoint', qa_run['checkpoint']
    ], cwd=REPO_ROOT, env=dict(qa_run['env'], SE_AVOID_STATS='true'),
        stdout=open(tmp_path / 'server.log', 'w'), stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}/'
    driver = None
    try:
        deadline = time.time() + 120
        while True:
            assert server.poll() is None, (tmp_path / 'server.log').read_text()
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                assert time.time() < deadline, 'the page did not come up'
                time.sleep(0.5)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ('--headless=new', '--no-sandbox', '--disable-gpu',
                     '--disable-dev-shm-usage', '--autoplay-policy='
                     'no-user-gesture-required', '--window-size=1280,1600'):
            options.add_argument(flag)
        options.set_capability('goog:loggingPrefs', {'performance': 'ALL'})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER),
                                  options=options)
        driver.get(url)
        wait = WebDriverWait(driver, 90)
        # The folder given on the command line is indexed when the page
        # opens.
        wait.until(EC.text_to_be_present_in_element(
            (By.ID, 'status'), 'Indexed 8 videos'))
        box = driver.find_element(By.CSS_SELECTOR, '#query textarea, '
                                  '#query input')
        box.send_keys(query)
        driver.find_element(By.ID, 'search').click()
        # The first row of the results table (gradio 6 draws a grid of
        # cells 'cell-ROW-COL').
        first_row = [f'#results [data-testid="cell-0-{col}"]'
                     for col in range(3)]
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, first_row[2])
                   and d.find_element(By.CSS_SELECTOR, first_row[2]).text)
        cells = [driver.find_element(By.CSS_SELECTOR, cell).text.strip()
                 for cell in first_row]
        assert cells[0] == '1'
        assert cells[2] == top_video
        assert float(cells[1]) == pytest.approx(expected['scores'][0],
                                                abs=1e-4)
        # The first hit plays: the browser decoded its frames.
        video = wait.until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, '#hit0 video')))
        wait.until(lambda d: d.execute_script(
            'return arguments[0].readyState >= 2', video))
        assert driver.execute_script(
            'return arguments[0].videoWidth', video) == 160
        label = driver.find_element(By.ID, 'hit0').text
        assert top_video in label
        # Ask about the first hit (the video the search selected).
        driver.find_element(By.CSS_SELECTOR, '#question textarea, '
                            '#question input').send_keys(question['question'])
        driver.find_element(By.ID, 'ask').click()
        wait.until(lambda d: d.find_element(By.ID, 'answer').text.strip())
        assert driver.find_element(By.ID, 'answer').text.startswith(
            f'{answer} (')
        # Offline: every request the page made went to the local server.
        urls = [
            json.loads(entry['message'])['message']['params']['request']
            ['url'] for entry in driver.get_log('performance')
            if '"Network.requestWillBeSent"' in entry['message']
        ]
        assert urls
        foreign = [u for u in urls if not u.startswith(
            (url, 'data:', 'blob:'))]
        assert not foreign, foreign
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(timeout=30)
