# Clover's fusion fine-tuning model for video QA (clover_method.md §1, §4.1):
# Video Swin-B and BERT-base feed the 3-layer fusion encoder (initialised
# from BERT-base layers 0-2); the answer is read at the fused text [CLS].
# Open-ended QA by default (QA_OE_Head: 1500 answers, dropout 0.1); the
# leaf configs set the answer vocabulary, the dropout, the [MASK] read-out
# (LSMDC-FiB) or the multiple-choice model and head.
#
# Weights: fine-tuning starts from a pre-training checkpoint passed as
# `load_from` (non-strict: only `qa_head.*` is new; the pre-training heads
# and `video_encoder.mask_token` are unexpected keys, which is expected), so
# the Swin backbone has no separate checkpoint here. The BERT directory gives
# the tokenizer, the text encoder's architecture and the fusion layers'
# architecture; building fails with FileNotFoundError naming it when missing.
bert_dir = 'data/pretrained/bert-base-uncased'

model = dict(
    type='CloverVideoQA',
    # The official model consumes BGR frames normalised with BGR statistics
    # (clover_method.md §1.1); kept for faithfulness.
    data_preprocessor=dict(
        type='VideoTextDataPreprocessor',
        mean=[103.53, 116.28, 123.675],
        std=[57.375, 57.12, 58.395],
        channel_order='bgr'),
    video_encoder=dict(
        type='SwinTransformer3D',
        arch='base',
        patch_size=(2, 4, 4),
        window_size=(8, 7, 7),
        drop_path_rate=0.3,
        # The mask token is a pre-training-only parameter: building it here
        # would leave a parameter without gradient (clover_method.md §6.6).
        use_mask_token=False,
        pretrained=None),
    text_encoder=dict(
        type='BertTextEncoder', pretrained=bert_dir, pooling='cls'),
    # 8 frames -> 4 temporal tokens; 224 px -> a 7 x 7 grid. The fusion
    # encoder's 4 temporal slots limit fusion models to 8 frames per view.
    fusion=dict(
        type='FusionTransformer',
        video_channels=1024,
        pretrained=bert_dir,
        num_layers=3,
        num_temporal_slots=4,
        num_spatial_tokens=49),
    qa_head=dict(
        type='OpenEndedQAHead', in_channels=768, num_answers=1500,
        dropout=0.1))

# The QA models build only what their forward uses (no mask token, no
# dual-encoder heads, no unused fusion embeddings), so every trainable
# parameter gets a gradient in every step and DDP needs no unused-parameter
# search (the official configs' mix of True / False, §6.6, is not copied).
find_unused_parameters = False
