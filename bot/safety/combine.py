"""Combine a rule :class:`Assessment` with a :class:`SemanticResult` into the final decision.

The rule layer decides first and alone; this module may only *add* to it, never lower it:

- **Raise severity** of a rule crisis when the head is confident the message is worse
  ("i have everything ready" matched only as concern by the rules).
- **Add a crisis** the rules missed, when the head's probability of self-risk is high and
  the rule layer did not recognise a benign context. A benign context is something the
  rules explicitly read and set aside: an idiom or title mask ("this exam is killing me"),
  a negated, past/recovery or not-about-the-writer match, or a joke, hypothetical or
  academic cue (see :func:`benign_context`). With such a context the bar is higher
  (``add_with_cue``), by default out of reach.
- **Never** turn concern-for-others or harassment into self-risk: the rules recognised
  who the message is about.
- **Add concern for someone else or harassment** the rules missed, when the head is
  confident of that class and the rules saw nothing at all (no benign context either):
  "my roommate gave away her stuff and won't pick up" or "nobody would miss you, do us
  a favour". These never count as the writer's own crisis.

The thresholds are tuned on out-of-fold predictions by ``bench/train_semantic.py`` and
stored with the head; :data:`DEFAULT_POLICY` is the fallback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from bot.safety.crisis import Assessment, Category, CrisisDetector, default_detector
from bot.safety.normalise import normalise
from bot.safety.semantic import SemanticResult

log = logging.getLogger(__name__)

# Whole-message cues of the rule layer that mark a benign reading.
_BENIGN_CUES = ("joke", "hypothetical", "academic")


@dataclass(frozen=True)
class CombinePolicy:
    """Probability thresholds. A threshold above 1 switches that path off."""

    add: float = 0.8  # P(self-risk) to add a crisis the rules missed (no benign context)
    add_with_cue: float = 1.01  # the same when the rules recognised a benign context
    # A lower bar when the head also reads it as severe (severity >= 2 by the thresholds
    # below): a missed imminent crisis is the worst failure, so it gets its own threshold.
    add_severe: float = 1.01
    # Severity, given a crisis (SemanticResult.at_least): raise to 2 or 3 when confident.
    raise_to_2: float = 0.6
    raise_to_3: float = 0.7
    # P(concern for someone else) / P(harassment) to add those categories (off by default).
    add_concern: float = 1.01
    add_harassment: float = 1.01

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CombinePolicy:
        names = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in data.items() if k in names})


DEFAULT_POLICY = CombinePolicy()


def benign_context(
    text: str, detector: CrisisDetector | None = None, allow: Sequence[str] = ()
) -> tuple[str, ...]:
    """What the rule layer recognised and set aside in ``text``: "mask", "negated",
    "past", "not_self", "third_person", "discounted", "joke", "hypothetical", "academic".

    Meant for messages the rules assessed as "none" (on a rule crisis, "discounted" is
    meaningless). The rule :class:`Assessment` only carries the reasons *for* a decision, so this
    re-reads the message with the detector's own masks, cues and disposition logic
    (microseconds). It uses the detector's internals; if they change shape it returns
    ``("unknown",)``, which the combination treats as a benign context (fail safe: the
    semantic layer then adds nothing on its own rather than adding false alarms).
    """
    det = detector or default_detector()
    try:
        from bot.safety.crisis import Disposition

        norm = normalise(text)
        masked = det._apply_masks(norm, allow)
        found: list[str] = []
        if masked != norm:
            found.append("mask")
        found.extend(key for key in _BENIGN_CUES if det._cue[key].search(masked))
        candidates = [m.start() for m in det._trigger.finditer(masked)]
        names = {
            Disposition.NEGATED: "negated",
            Disposition.PAST: "past",
            Disposition.THIRD: "third_person",
        }
        for group in det._risk:
            for rule, m in group.matches(masked, candidates):
                disposition = det._disposition(masked, m.start(), m.end(), rule)
                if disposition is Disposition.SELF:
                    # A risk rule about the writer matched, yet the rules decided "none":
                    # a joke, hypothetical or academic cue discounted it.
                    if rule.severity >= 1:
                        found.append("discounted")
                elif disposition is Disposition.OTHER:
                    # Only when the match was set aside for who it is about (generic,
                    # second person, media, quote), not because a third-person-only rule
                    # does not apply to the writer.
                    if rule.person == "third" or not (rule.require_third or rule.require_first):
                        found.append("not_self")
                else:
                    found.append(names[disposition])
    except (AttributeError, KeyError, TypeError, ImportError):
        log.warning("benign_context: the rule layer's internals changed; treating as benign")
        return ("unknown",)
    return tuple(dict.fromkeys(found))


def _semantic_severity(result: SemanticResult, policy: CombinePolicy) -> int:
    if result.at_least(3) >= policy.raise_to_3:
        return 3
    if result.at_least(2) >= policy.raise_to_2:
        return 2
    return 1


def combine(
    rule: Assessment,
    result: SemanticResult,
    *,
    benign: Sequence[str] = (),
    policy: CombinePolicy = DEFAULT_POLICY,
) -> Assessment:
    """The final assessment: ``rule`` itself, or ``rule`` raised by the semantic result."""
    if rule.category in (Category.CONCERN_FOR_OTHER, Category.HARASSMENT):
        return rule
    if rule.is_crisis:
        severity = max(rule.severity, _semantic_severity(result, policy))
        if severity == rule.severity:
            return rule
        reason = f"semantic: severity {severity} (p={_p(result, severity)})"
        return replace(rule, severity=severity, reasons=(*rule.reasons, reason))
    severity = _semantic_severity(result, policy)
    if benign:
        threshold = policy.add_with_cue
    elif severity >= 2:
        threshold = min(policy.add, policy.add_severe)
    else:
        threshold = policy.add
    if result.crisis_prob >= threshold:
        reason = f"semantic: self-risk p={result.crisis_prob:.2f}, severity {severity}"
        return Assessment(Category.SELF_RISK, severity, (*rule.reasons, reason))
    if rule.category is not Category.NONE or benign:
        return rule  # someone else's risk or abuse only where the rules read nothing at all
    if result.harassment_prob >= policy.add_harassment:
        reason = f"semantic: harassment p={result.harassment_prob:.2f}"
        return Assessment(Category.HARASSMENT, 0, (*rule.reasons, reason))
    if result.other_prob >= policy.add_concern:
        reason = f"semantic: concern for someone else p={result.other_prob:.2f}"
        return Assessment(Category.CONCERN_FOR_OTHER, 0, (*rule.reasons, reason), urgency=1)
    return rule


def upgrade(
    rule: Assessment,
    result: SemanticResult,
    *,
    text: str,
    allow: Sequence[str] = (),
    policy: CombinePolicy = DEFAULT_POLICY,
    detector: CrisisDetector | None = None,
) -> Assessment | None:
    """The combined assessment if it differs from ``rule`` (something to act on), else None."""
    benign: tuple[str, ...] = ()
    if not rule.is_crisis and rule.category is Category.NONE:
        benign = benign_context(text, detector, allow)
    final = combine(rule, result, benign=benign, policy=policy)
    return None if final == rule else final


def _p(result: SemanticResult, severity: int) -> str:
    return f"{result.at_least(severity):.2f}"
