"""Build random-weight Detoxify-format checkpoints offline (tests and bench/toxicity.py).

The layout is what Detoxify 0.5.4 needs to load a local checkpoint without the network:
``model_type`` in the checkpoint config is a local folder holding the Hugging Face
``config.json`` (with ``num_labels``) and the tokenizer files (``vocab.txt``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ORIGINAL_CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
# Detoxify renames these to toxicity, severe_toxicity, obscene, threat, insult, identity_attack.
DETOXIFY_LABELS = [
    "toxicity",
    "severe_toxicity",
    "obscene",
    "threat",
    "insult",
    "identity_attack",
]
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# Enough everyday chat words that test and benchmark messages mostly map to real ids.
_CHAT_WORDS = """
i me my you your we they he she it is am are was were be been being have has had do does did
not no yes so very really just too also but and or if then than that this these those what
who why how when where there here all any some more most much many few a an the of to in on
at for with about from by up down out over after before again never always sometimes today
tonight tomorrow yesterday now day night week time life people friend friends family mom dad
feel feeling felt think thought know knew want need like love hate hope help thanks thank
please sorry okay ok good bad better worse best worst great awful sad happy angry tired lonely
anxious scared alone stupid idiot dumb ugly loser pathetic shut kill hurt die dead go away
leave talk listen say said tell told hear heard read post posts chat server channel someone
everyone nobody anything nothing something work school exam class job sleep eat home today
can don't won't i'm ! ? . , '
"""
BASE_WORDS = tuple(_CHAT_WORDS.split())


@dataclass(frozen=True)
class TinyModel:
    checkpoint: Path
    model_dir: Path
    labels: list[str]


def write_vocab(folder: Path, vocab_size: int | None = None) -> list[str]:
    """Write ``vocab.txt``: special tokens, chat words, then filler tokens up to ``vocab_size``."""
    words: list[str] = []
    seen: set[str] = set()
    for word in [*SPECIAL_TOKENS, *BASE_WORDS]:
        if word not in seen:
            seen.add(word)
            words.append(word)
    index = 0
    while vocab_size is not None and len(words) < vocab_size:
        words.append(f"##w{index}")
        index += 1
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(words) + "\n", "utf-8")
    return words


def build_checkpoint(
    folder: Path,
    *,
    hidden_size: int = 32,
    num_layers: int = 2,
    num_heads: int = 2,
    intermediate_size: int | None = None,
    vocab_size: int | None = None,
    max_positions: int = 128,
    seed: int = 0,
    model_type: str | None = None,
) -> TinyModel:
    """Save a random-weight ``BertForSequenceClassification`` as a Detoxify checkpoint.

    ``folder/hf`` gets the HF config and tokenizer, ``folder/model.ckpt`` the checkpoint.
    ``model_type`` overrides what the checkpoint names as its base model (default: the
    ``hf`` folder, which is what makes Detoxify load it offline); pass e.g.
    ``"bert-base-uncased"`` to mimic an official checkpoint.
    """
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    model_dir = folder / "hf"
    words = write_vocab(model_dir, vocab_size)
    config = BertConfig(
        vocab_size=len(words),
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=intermediate_size or hidden_size * 4,
        max_position_embeddings=max_positions,
        num_labels=len(ORIGINAL_CLASSES),  # type: ignore[call-arg]  # PretrainedConfig kwarg
    )
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    config.save_pretrained(model_dir)
    BertTokenizer(str(model_dir / "vocab.txt"), model_max_length=max_positions).save_pretrained(
        model_dir
    )
    checkpoint = folder / "model.ckpt"
    torch.save(
        {
            "config": {
                "arch": {
                    "args": {
                        "model_type": model_type or str(model_dir),
                        "model_name": "BertForSequenceClassification",
                        "tokenizer_name": "BertTokenizer",
                        "num_classes": len(ORIGINAL_CLASSES),
                    }
                },
                "dataset": {"args": {"classes": list(ORIGINAL_CLASSES)}},
            },
            "state_dict": model.state_dict(),
        },
        checkpoint,
    )
    return TinyModel(checkpoint=checkpoint, model_dir=model_dir, labels=list(DETOXIFY_LABELS))
