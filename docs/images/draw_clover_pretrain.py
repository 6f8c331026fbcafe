"""Draw docs/images/clover_pretrain.svg, the data flow of Clover's
pre-training step and its five loss terms (``docs/model.md``).

    python docs/images/draw_clover_pretrain.py [--png]
"""
import argparse
import os.path as osp

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

OUT_DIR = osp.dirname(osp.abspath(__file__))
COLOURS = dict(
    data='#e8f1fb', encoder='#fde9d9', fusion='#e6f4e1', head='#f3e8fb',
    loss='#fff7d6', emb='#ffffff')


def box(ax, x, y, w, h, text, kind, size=9, code=None):
    """A rounded box centred on (x, y); ``code`` is a grey file path."""
    ax.add_patch(
        FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                       boxstyle='round,pad=0.02,rounding_size=0.08',
                       fc=COLOURS[kind], ec='#555555', lw=1))
    dy = 0.12 if code else 0
    ax.text(x, y + dy, text, ha='center', va='center', fontsize=size)
    if code:
        ax.text(x, y - 0.2, code, ha='center', va='center', fontsize=6.5,
                color='#666666', family='monospace')


def arrow(ax, start, end, colour='#444444', style='-|>', rad=0.):
    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=10,
                        lw=1, color=colour,
                        connectionstyle=f'arc3,rad={rad}'))


def draw(ax):
    ax.set_xlim(0, 16)
    ax.set_ylim(0, 9.4)
    ax.axis('off')
    ax.text(8, 9.15, 'Clover pre-training step (a batch of B clip-caption '
            'pairs)', ha='center', fontsize=12, weight='bold')

    # Inputs and masking (data pipeline).
    box(ax, 1.4, 7.6, 2.4, 0.8, 'clip V\n(B, 3, T, H, W)', 'data')
    box(ax, 1.4, 5.9, 2.4, 0.95, 'block mask\n(B, 7, 7) tube', 'data',
        code='BlockMaskGenerator')
    box(ax, 1.4, 3.5, 2.4, 0.8, 'caption T\n(B, L) token ids', 'data')
    box(ax, 1.4, 1.8, 2.4, 0.95, 'masked caption T_m\nnouns / verb phrases',
        'data', code='SemanticTextMasking')
    arrow(ax, (1.4, 3.1), (1.4, 2.3))

    # Encoders.
    box(ax, 4.6, 6.8, 2.6, 1.2, 'Video Swin\nV and V_m (mask token)',
        'encoder', code='backbones/swin3d.py')
    box(ax, 4.6, 2.7, 2.6, 1.2, 'BERT text encoder\nT and T_m', 'encoder',
        code='text_encoders/bert.py')
    for y in (7.6, 5.9):
        arrow(ax, (2.6, y), (3.3, 6.8 + (0.25 if y > 7 else -0.25)))
    for y in (3.5, 1.8):
        arrow(ax, (2.6, y), (3.3, 2.7 + (0.25 if y > 3 else -0.25)))

    # Dual-encoder projections.
    box(ax, 8.0, 8.1, 2.6, 0.8, 'g_v: pool + project\nv, v_m  (B, E)',
        'head', code=None)
    box(ax, 8.0, 1.3, 2.6, 0.8, 'g_t: pool + project\nt, t_m  (B, E)',
        'head')
    arrow(ax, (5.9, 7.2), (6.7, 8.0))
    arrow(ax, (5.9, 2.3), (6.7, 1.4))

    # Fusion.
    box(ax, 8.0, 5.9, 2.8, 1.0, 'fusion(F_Vm, H_T) = M_Vm\n[video, text] '
        'BERT', 'fusion', code='necks/fusion_transformer.py')
    box(ax, 8.0, 3.6, 2.8, 1.0, 'fusion(F_V, H_Tm) = M_Tm\n[video, text] '
        'BERT', 'fusion', code='necks/fusion_transformer.py')
    arrow(ax, (5.9, 6.6), (6.6, 6.0))
    arrow(ax, (5.9, 6.3), (6.6, 3.8))
    arrow(ax, (5.9, 3.1), (6.6, 5.7))
    arrow(ax, (5.9, 2.9), (6.6, 3.4))

    box(ax, 11.0, 5.9, 2.2, 0.8, 'h_V: fused [CLS]\nf_v  (B, E)', 'head')
    box(ax, 11.0, 4.1, 2.2, 0.8, 'h_T: fused [CLS]\nf_t  (B, E)', 'head')
    box(ax, 11.0, 2.5, 2.2, 0.95, 'MLM head\nmasked words', 'head',
        code='heads/mlm_head.py')
    arrow(ax, (9.4, 5.9), (9.9, 5.9))
    arrow(ax, (9.4, 3.8), (9.9, 4.0))
    arrow(ax, (9.4, 3.4), (9.9, 2.6))

    # Losses.
    losses = [
        (8.3, 'loss_nce: video anchor v vs {t, t_m, f_v}\n'
         'exclusive tri-modal InfoNCE, tau 0.05'),
        (7.1, 'loss_rank: s(v, t) > s(v, t_m) + 5'),
        (5.9, 'loss_v_nce: text anchor t vs {v, v_m, f_t}'),
        (4.7, 'loss_v_rank: s(t, v) > s(t, v_m) + 5'),
        (2.5, 'loss_mlm: focal MLM (gamma 2)\non the masked positions'),
    ]
    for y, text in losses:
        box(ax, 14.3, y, 3.1, 0.9 if '\n' in text else 0.7, text, 'loss',
            size=7.5)
    ax.text(14.3, 3.75, 'losses/tri_modal_loss.py', ha='center', fontsize=6.5,
            color='#666666', family='monospace')
    ax.text(14.3, 1.75, 'losses/focal_loss.py', ha='center', fontsize=6.5,
            color='#666666', family='monospace')
    arrow(ax, (9.3, 8.1), (12.7, 8.3))
    arrow(ax, (9.3, 1.3), (12.7, 5.7), rad=0.15)
    arrow(ax, (12.1, 5.9), (12.7, 8.1))
    arrow(ax, (12.1, 4.1), (12.7, 5.8))
    arrow(ax, (12.1, 2.5), (12.7, 2.5))

    ax.text(8, 0.25, 'All of it: clover/models/multimodal/clover_pretrain.py '
            '(CloverPretrain.loss). Retrieval keeps only the video and text '
            'towers with g_v / g_t.', ha='center', fontsize=8,
            family='monospace', color='#333333')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--png', action='store_true',
                        help='also write a PNG preview next to the SVG')
    args = parser.parse_args()
    plt.rcParams['svg.hashsalt'] = 'clover'  # reproducible element ids
    fig, ax = plt.subplots(figsize=(16, 9.4))
    draw(ax)
    fig.savefig(osp.join(OUT_DIR, 'clover_pretrain.svg'),
                bbox_inches='tight', metadata={'Date': None})
    if args.png:
        fig.savefig(osp.join(OUT_DIR, 'clover_pretrain.png'), dpi=70,
                    bbox_inches='tight')


if __name__ == '__main__':
    main()
