"""The standalone shape: the whole platform in one process, nothing to install but Python."""
