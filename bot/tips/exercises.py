"""Guided exercises as plain step lists; the cog shows one step at a time on a timer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BreathingPattern = Literal["box", "4-7-8"]


@dataclass(frozen=True)
class Step:
    text: str
    seconds: float


@dataclass(frozen=True)
class Exercise:
    name: str
    intro: str
    steps: tuple[Step, ...]
    outro: str

    @property
    def total_seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


def _rounds(phases: list[tuple[str, int]], rounds: int) -> tuple[Step, ...]:
    steps = []
    for n in range(1, rounds + 1):
        for text, seconds in phases:
            steps.append(Step(f"Round {n} of {rounds}\n\n**{text}** for {seconds}", seconds))
    return tuple(steps)


def box_breathing(rounds: int = 4) -> Exercise:
    return Exercise(
        name="Box breathing",
        intro="Sit comfortably and let your shoulders drop. Follow the words; "
        "count slowly in your head.",
        steps=(
            Step("Get comfortable. We'll start in a moment.", 5),
            *_rounds(
                [("Breathe in", 4), ("Hold", 4), ("Breathe out", 4), ("Hold", 4)],
                rounds,
            ),
        ),
        outro="Well done. Notice how your body feels now. You can come back to this any time.",
    )


def breathing_478(rounds: int = 4) -> Exercise:
    return Exercise(
        name="4-7-8 breathing",
        intro="Breathe in through your nose and out through your mouth. If holding "
        "feels uncomfortable, shorten it; it should never strain.",
        steps=(
            Step("Get comfortable and breathe out fully. We'll start in a moment.", 5),
            *_rounds(
                [("Breathe in through your nose", 4), ("Hold", 7), ("Breathe out slowly", 8)],
                rounds,
            ),
        ),
        outro="Well done. Take a normal breath or two before you carry on with your day.",
    )


def breathing(pattern: BreathingPattern) -> Exercise:
    return breathing_478() if pattern == "4-7-8" else box_breathing()


def grounding_54321() -> Exercise:
    return Exercise(
        name="5-4-3-2-1 grounding",
        intro="Take your time with each step. Name things out loud or in your head.",
        steps=(
            Step("Take a slow breath in, and a long breath out.", 6),
            Step("Look around and find **5 things you can see**.", 30),
            Step(
                "Notice **4 things you can touch or feel**: your clothes, the chair, the air.", 25
            ),
            Step("Listen for **3 things you can hear**, near or far.", 25),
            Step("Find **2 things you can smell**, or two smells you like.", 20),
            Step("Notice **1 thing you can taste**.", 15),
            Step("Take one more slow breath, and notice where you are right now.", 8),
        ),
        outro="Well done. You're here, right now. Come back to this whenever you need it.",
    )
