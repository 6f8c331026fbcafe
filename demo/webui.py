"""A local web page over a trained Clover: search a video folder by text,
watch the ranked clips, ask a question about one of them.

Usage::

    python demo/webui.py CONFIG CHECKPOINT [--videos DIR]
        [--qa-config QA_CONFIG --qa-checkpoint QA_CHECKPOINT]
        [--port 7860] [--host 127.0.0.1] [--topk 5] [--device cpu]

Open the printed address in a browser. The page works offline: gradio's
analytics are off and its fonts are the system's (no request leaves the
machine). Each ranked clip plays from a VP8 WebM copy of its first
``--preview-seconds`` seconds, written with PyAV to a temporary folder (any
browser plays VP8; the rankings use the original files). Needs ``gradio``
(``pip install -r requirements/optional.txt``).
"""
import argparse
import hashlib
import os
import os.path as osp
import sys
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

# Before gradio is imported: no usage statistics or version check.
os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')

import av  # noqa: E402
import cv2  # noqa: E402,F401  (before decord, see clover/datasets/video_io.py)
import numpy as np  # noqa: E402

# Preview heights: the demo's 64 x 64 clips are enlarged, large ones shrunk.
MIN_PREVIEW_HEIGHT = 160
MAX_PREVIEW_HEIGHT = 360
SYSTEM_FONTS = ['ui-sans-serif', 'system-ui', 'sans-serif']
SYSTEM_MONO_FONTS = ['ui-monospace', 'monospace']


def preview_size(height: int, width: int) -> Tuple[int, int]:
    """``(height, width)`` of a clip's preview: an integer enlargement of a
    small clip up to ``MIN_PREVIEW_HEIGHT``, large clips shrunk to
    ``MAX_PREVIEW_HEIGHT``, both even (VP8 needs even sizes)."""
    if height < MIN_PREVIEW_HEIGHT:
        scale = float(np.ceil(MIN_PREVIEW_HEIGHT / height))
    else:
        scale = min(1.0, MAX_PREVIEW_HEIGHT / height)
    out_h, out_w = round(height * scale), round(width * scale)
    return out_h + out_h % 2, out_w + out_w % 2


def preview_clip(path: str, out_dir: str, max_seconds: float = 10.0) -> str:
    """A VP8 WebM copy of the first ``max_seconds`` of ``path``, which any
    browser plays (the page serves only these copies, from ``out_dir``;
    they are keyed by path, size and mtime, so each is made once).

    Raises:
        VideoDecodeError: If ``path`` cannot be decoded (names the file).
    """
    from clover.datasets.video_io import open_video

    stat = os.stat(path)
    key = hashlib.sha1(
        f'{osp.abspath(path)}:{stat.st_size}:{stat.st_mtime_ns}:'
        f'{max_seconds}'.encode()).hexdigest()[:16]
    out = osp.join(out_dir,
                   f'{osp.splitext(osp.basename(path))[0]}_{key}.webm')
    if osp.isfile(out):
        return out
    reader = open_video(path)
    try:
        fps = reader.fps if reader.fps > 0 else 25.0
        count = max(1, min(reader.num_frames, int(round(fps * max_seconds))))
        frames = reader.read_frames(list(range(count)))
    finally:
        reader.close()
    height, width = preview_size(*frames.shape[1:3])
    enlarge = height > frames.shape[1]
    tmp = out + '.part'
    with av.open(tmp, 'w', format='webm') as container:
        stream = container.add_stream('libvpx', rate=int(round(fps)))
        stream.width, stream.height = width, height
        stream.pix_fmt = 'yuv420p'
        stream.bit_rate = 2_000_000
        for frame in frames:
            frame = cv2.resize(
                frame, (width, height),
                interpolation=cv2.INTER_NEAREST if enlarge else cv2.INTER_AREA)
            for packet in stream.encode(
                    av.VideoFrame.from_ndarray(frame, format='rgb24')):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    os.replace(tmp, out)
    return out


def parse_candidates(text: str) -> Optional[List[str]]:
    """Answer candidates typed one per line or separated by ``;`` (None if
    there are none)."""
    parts = [p.strip() for line in text.splitlines() for p in line.split(';')]
    parts = [p for p in parts if p]
    return parts or None


class WebUIBackend:
    """What the page does, without the page: index a folder with a
    checkpoint, rank it for a query, answer a question.

    Args:
        config (str): Retrieval config.
        checkpoint (str): Its checkpoint (the page can switch to another).
        device (str): Defaults to ``'cpu'``.
        cache_dir (str, optional): Feature cache of the retrieval
            inferencer (None: its default, ``~/.cache/clover/features``).
        preview_dir (str, optional): Folder of the playable copies (None:
            a new temporary folder).
        preview_seconds (float): Length of a playable copy. Defaults to 10.
        qa_config (str, optional): Video QA config.
        qa_checkpoint (str, optional): Its checkpoint.
    """

    def __init__(self,
                 config: str,
                 checkpoint: str,
                 device: str = 'cpu',
                 cache_dir: Optional[str] = None,
                 preview_dir: Optional[str] = None,
                 preview_seconds: float = 10.0,
                 qa_config: Optional[str] = None,
                 qa_checkpoint: Optional[str] = None) -> None:
        if (qa_config is None) != (qa_checkpoint is None):
            raise ValueError('give both --qa-config and --qa-checkpoint, or '
                             'neither')
        self.config = config
        self.checkpoint = checkpoint
        self.device = device
        self.cache_dir = cache_dir
        self.preview_dir = preview_dir or tempfile.mkdtemp(
            prefix='clover_webui_')
        self.preview_seconds = preview_seconds
        self.qa_config = qa_config
        self.qa_checkpoint = qa_checkpoint
        self._retriever = None
        self._retriever_checkpoint = None
        self._qa = None
        self.video_dir: Optional[str] = None

    @property
    def has_qa(self) -> bool:
        return self.qa_config is not None

    def load(self, video_dir: str, checkpoint: str) -> str:
        """Index ``video_dir`` with ``checkpoint`` (the model is rebuilt
        only when the checkpoint changes); returns a status line."""
        from clover.apis import TextVideoRetrievalInferencer

        video_dir, checkpoint = video_dir.strip(), checkpoint.strip()
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
        if self._retriever is None or checkpoint != self._retriever_checkpoint:
            self._retriever = TextVideoRetrievalInferencer(
                self.config, checkpoint, device=self.device,
                cache_dir=self.cache_dir)
            self._retriever_checkpoint = checkpoint
        paths = self._retriever.index(video_dir, skip_bad=True)
        self.video_dir = video_dir
        skipped = [p for p in self._retriever.skipped
                   if p.startswith(video_dir)]
        status = (f'Indexed {len(paths)} videos of {video_dir} with '
                  f'{osp.basename(checkpoint)}.')
        if skipped:
            status += (f' Skipped {len(skipped)} unreadable: '
                       f'{", ".join(osp.basename(p) for p in skipped[:5])}.')
        return status

    def search(self, query: str, topk: int) -> List[Dict]:
        """The ``topk`` videos for ``query``, best first: ``rank``,
        ``score``, ``path`` and ``preview`` (a file the browser plays)."""
        if self._retriever is None:
            raise RuntimeError('load a video folder first')
        if not query.strip():
            raise ValueError('type a query')
        (result, ) = self._retriever.rank_videos(query.strip(), topk=topk)
        return [
            dict(rank=rank, score=score, path=path,
                 preview=preview_clip(path, self.preview_dir,
                                      self.preview_seconds))
            for rank, score, path in zip(result['ranks'], result['scores'],
                                         result['paths'])
        ]

    def answer(self, video: str, question: str,
               candidates: Optional[Sequence[str]] = None) -> Dict:
        """The QA model's answer about ``video`` (see
        :meth:`clover.apis.VideoQAInferencer.answer`)."""
        if not self.has_qa:
            raise RuntimeError('no QA model: start the page with '
                               '--qa-config and --qa-checkpoint')
        if not video:
            raise ValueError('choose a video (search first)')
        if not question.strip():
            raise ValueError('type a question')
        if self._qa is None:
            from clover.apis import VideoQAInferencer
            self._qa = VideoQAInferencer(
                self.qa_config, self.qa_checkpoint, device=self.device)
        return self._qa.answer(video, question.strip(), candidates)


def build_page(backend: WebUIBackend, video_dir: str = '', topk: int = 5):
    """The gradio page over ``backend``.

    Returns:
        gradio.Blocks: The page; ``launch()`` serves it.
    """
    import gradio as gr

    def error_box(fn):
        """Turn a backend error into a message on the page."""
        def wrapped(*args):
            try:
                return fn(*args)
            except (OSError, ValueError, RuntimeError, KeyError) as error:
                raise gr.Error(str(error)) from error
        return wrapped

    @error_box
    def on_load(folder, checkpoint):
        return backend.load(folder, checkpoint)

    @error_box
    def on_search(query, k):
        hits = backend.search(query, int(k))
        table = [[h['rank'], round(h['score'], 4),
                  osp.basename(h['path'])] for h in hits]
        players = []
        for i in range(topk):
            if i < len(hits):
                hit = hits[i]
                players.append(gr.update(
                    value=hit['preview'], visible=True,
                    label=f'#{hit["rank"]}  {osp.basename(hit["path"])}  '
                    f'({hit["score"]:.3f})'))
            else:
                players.append(gr.update(value=None, visible=False))
        choices = [h['path'] for h in hits]
        return [table, *players,
                gr.update(choices=choices, value=choices[0] if choices
                          else None)]

    @error_box
    def on_ask(video, question, candidates_text):
        result = backend.answer(video, question,
                                parse_candidates(candidates_text or ''))
        others = ', '.join(
            f'{a} ({s:.2f})' for a, s in zip(result['answers'][1:],
                                             result['scores'][1:]))
        return (f'**{result["answer"]}** ({result["score"]:.2f})'
                + (f'  \nthen: {others}' if others else ''))

    with gr.Blocks(
            title='Clover video search', analytics_enabled=False) as page:
        gr.Markdown('## Clover: search your videos by text')
        with gr.Row():
            folder = gr.Textbox(label='Video folder', value=video_dir,
                                elem_id='folder')
            checkpoint = gr.Textbox(label='Checkpoint',
                                    value=backend.checkpoint,
                                    elem_id='checkpoint')
            load = gr.Button('Index folder', elem_id='load')
        status = gr.Markdown(elem_id='status')
        with gr.Row():
            query = gr.Textbox(label='Query', elem_id='query',
                               placeholder='a red square moves left')
            k = gr.Slider(1, topk, value=topk, step=1, label='Top k')
            search = gr.Button('Search', variant='primary', elem_id='search')
        results = gr.Dataframe(
            headers=['rank', 'score', 'video'], datatype=[
                'number', 'number', 'str'], interactive=False,
            elem_id='results', label='Ranked videos')
        with gr.Row():
            players = [
                gr.Video(visible=False, autoplay=True, loop=True,
                         interactive=False, elem_id=f'hit{i}', height=220)
                for i in range(topk)
            ]
        gr.Markdown('## Ask about a video')
        if not backend.has_qa:
            gr.Markdown('No QA model: start the page with `--qa-config` and '
                        '`--qa-checkpoint` to ask questions.')
        with gr.Row():
            video = gr.Dropdown(label='Video', choices=[], elem_id='qa_video',
                                interactive=backend.has_qa)
            question = gr.Textbox(label='Question', elem_id='question',
                                  interactive=backend.has_qa)
            candidates = gr.Textbox(
                label='Candidates (optional; one per line or ";"-separated)',
                elem_id='candidates', interactive=backend.has_qa)
            ask = gr.Button('Ask', elem_id='ask', interactive=backend.has_qa)
        answer = gr.Markdown(elem_id='answer')

        load.click(on_load, [folder, checkpoint], status)
        search_outputs = [results, *players, video]
        search.click(on_search, [query, k], search_outputs)
        query.submit(on_search, [query, k], search_outputs)
        ask.click(on_ask, [video, question, candidates], answer)
        if video_dir:
            page.load(on_load, [folder, checkpoint], status)
    return page


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='A local web page: search a video folder by text with '
        'a trained Clover, ask questions about a video.')
    parser.add_argument('config', help='retrieval config file')
    parser.add_argument('checkpoint', help='retrieval checkpoint')
    parser.add_argument('--videos', default='',
                        help='video folder indexed when the page opens')
    parser.add_argument('--qa-config', help='video QA config file')
    parser.add_argument('--qa-checkpoint', help='video QA checkpoint')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to serve on (0.0.0.0: the network)')
    parser.add_argument('--port', type=int, default=7860)
    parser.add_argument('--topk', type=int, default=5,
                        help='most videos shown per query')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cache-dir',
                        help='feature cache folder (default: '
                        '~/.cache/clover/features)')
    parser.add_argument('--preview-seconds', type=float, default=10.0,
                        help='length of the playable copies of clips')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        import gradio as gr
    except ImportError:
        sys.exit('demo/webui.py needs gradio: pip install gradio '
                 '(see requirements/optional.txt)')
    if args.topk < 1:
        sys.exit(f'--topk must be >= 1, got {args.topk}')
    for name in ('config', 'checkpoint', 'qa_config', 'qa_checkpoint'):
        path = getattr(args, name)
        if path is not None and not osp.isfile(path):
            sys.exit(f'demo/webui.py: {name} not found: {path}')
    backend = WebUIBackend(
        args.config, args.checkpoint, device=args.device,
        cache_dir=args.cache_dir, preview_seconds=args.preview_seconds,
        qa_config=args.qa_config, qa_checkpoint=args.qa_checkpoint)
    page = build_page(backend, args.videos, args.topk)
    theme = gr.themes.Default(font=SYSTEM_FONTS, font_mono=SYSTEM_MONO_FONTS)
    print(f'Clover web UI on http://{args.host}:{args.port} '
          '(Ctrl+C stops it)', flush=True)
    page.queue().launch(
        server_name=args.host, server_port=args.port, share=False,
        theme=theme, ssr_mode=False, quiet=True, show_error=True,
        allowed_paths=[backend.preview_dir], footer_links=[])


if __name__ == '__main__':
    main()
