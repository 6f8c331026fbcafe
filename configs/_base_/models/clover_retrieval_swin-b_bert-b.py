# Clover's retrieval (fine-tuning) model, as in the paper: the shared
# Video Swin-B / BERT-base encoders and the retrieval head (g_v, g_t,
# InfoNCE at a fixed temperature of 0.05; docs/method.md §1 and §4).
_base_ = ['./clover_swin-b_bert-b.py']

model = dict(type='CloverRetrieval')
