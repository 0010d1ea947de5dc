"""Parallel corpora and the feature cache."""

from gluegen.data.cache import FeatureCache, build_cache
from gluegen.data.corpus import CorpusError, ParallelCorpus, read_corpus

__all__ = ["CorpusError", "FeatureCache", "ParallelCorpus", "build_cache", "read_corpus"]
