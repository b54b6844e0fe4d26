"""Tiny stand-in artifacts that tests publish to the local Hub (built offline in well under a second)."""

from __future__ import annotations

import io
from pathlib import Path

WORDS = ["good", "great", "fine", "bad", "awful", "terrible", "movie", "film", "plot", "acting", "music", "story"]


def tiny_tokenizer_files(folder: Path) -> None:
    """Write a genuine WordPiece tokenizer (trained on a toy corpus) to `folder`."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.train_from_iterator(
        [" ".join(WORDS)] * 4, trainers.WordPieceTrainer(vocab_size=64, special_tokens=specials)
    )
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", tokenizer.token_to_id("[CLS]")), ("[SEP]", tokenizer.token_to_id("[SEP]"))],
    )
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    ).save_pretrained(folder)


def tiny_sentiment_model(folder: Path) -> Path:
    """A 2-layer DistilBERT classifier with SST-2's labels and its tokenizer, saved as safetensors."""
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    folder.mkdir(parents=True, exist_ok=True)
    tiny_tokenizer_files(folder)
    config = DistilBertConfig(
        vocab_size=64, dim=16, n_layers=1, n_heads=2, hidden_dim=32, max_position_embeddings=64,
        id2label={0: "NEGATIVE", 1: "POSITIVE"}, label2id={"NEGATIVE": 0, "POSITIVE": 1},
    )  # fmt: skip
    DistilBertForSequenceClassification(config).save_pretrained(folder)
    return folder


def parquet_bytes(columns: dict[str, list]) -> bytes:
    """A parquet file holding these columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()
