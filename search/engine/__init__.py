"""The search engine of the tests and benchmarks: OpenSearch in one JVM, started by ``launch``."""
