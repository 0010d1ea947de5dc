"""Parallel corpora, the feature cache, and what a cache is built from."""

from gluegen.lazy import lazy_exports

_EXPORTS = {
    "CacheSpec": "gluegen.data.spec",
    "CorpusError": "gluegen.data.corpus",
    "FeatureCache": "gluegen.data.cache",
    "ParallelCorpus": "gluegen.data.corpus",
    "build_cache": "gluegen.data.cache",
    "prepare_cache": "gluegen.data.prepare",
    "read_corpus": "gluegen.data.readers",
    "split_indices": "gluegen.data.split",
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
