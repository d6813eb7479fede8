"""Synthetic partnership data: realistic record-level histories for one local authority,
migration artefacts switched on by name (each recorded in an answer key), and writers for
every layout the loaders read.

>>> from scorecard.synth import generate
>>> result = generate("data/raw", scale=1.0, years=2, artefacts=["orphan_rhi"],
...                   answer_key_path="data/answer_key.json")          # doctest: +SKIP
"""
from .answer_key import AnswerKey
from .artefacts import ARTEFACTS
from .generate import SynthArgumentError, SynthResult, describe, generate
from .writers import DATE_STYLES, ENCODINGS, FLAG_STYLES, FORMATS

__all__ = ["generate", "describe", "SynthResult", "SynthArgumentError", "AnswerKey", "ARTEFACTS",
           "FORMATS", "ENCODINGS", "DATE_STYLES", "FLAG_STYLES"]
