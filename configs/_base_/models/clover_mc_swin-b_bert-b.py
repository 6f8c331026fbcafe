# Clover's multiple-choice model (TGIF-Action / Transition, LSMDC-MC): the
# QA model of clover_qa_swin-b_bert-b.py with the multiple-choice head in
# place of the open-ended one. The MC head's dropout is not stated by the
# spec; 0.1 is the head default.
_base_ = ['./clover_qa_swin-b_bert-b.py']

model = dict(
    type='CloverMultipleChoice',
    qa_head=dict(
        _delete_=True, type='MultipleChoiceHead', in_channels=768,
        dropout=0.1))
