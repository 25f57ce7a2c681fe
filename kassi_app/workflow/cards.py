"""The Major Arcana: every phase of a governed run is shown as one card."""

from __future__ import annotations

MAJOR_ARCANA: tuple[str, ...] = (
    "The Fool",
    "The Magician",
    "The High Priestess",
    "The Empress",
    "The Emperor",
    "The Hierophant",
    "The Lovers",
    "The Chariot",
    "Strength",
    "The Hermit",
    "Wheel of Fortune",
    "Justice",
    "The Hanged Man",
    "Death",
    "Temperance",
    "The Devil",
    "The Tower",
    "The Star",
    "The Moon",
    "The Sun",
    "Judgement",
    "The World",
)
REFUSAL_CARD = "The Devil"
"""A refused move: the temptation the graph did not allow."""
SEAL_CARD = "The World"
"""The sealed ledger: the run is complete."""
