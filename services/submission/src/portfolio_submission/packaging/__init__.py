"""Submission packages: built from a batch's content (streamed from object storage), encrypted at
rest, downloaded decrypted on the fly. See ``builder`` and ``crypto``."""
