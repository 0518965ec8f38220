"""How durations and estimates read (cnnviz.estimates.SECONDS_WORDS, BASIS)."""

from cnnviz.estimates import BASIS, SECONDS_WORDS

TEXT = {**SECONDS_WORDS, "basis": dict(BASIS)}
